"""The public need board: published need lines, anonymised, filtered, sorted and paginated.

Only county-level place, category, kind, item, quantity, urgency, deadline and coverage leave
this module: never the household, its members, the officers' notes or the exact place. A page
costs a fixed number of queries whatever its size (count, rows with their catalogue items, the
coverage of the rows, the county names).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import case, select
from sqlalchemy.orm import contains_eager, joinedload

from marketplace.allocations import services as allocations
from marketplace.catalog.vocab import CATEGORIES, LineKind
from marketplace.extensions import db
from marketplace.needs.models import BOARD_STATUSES, LineStatus, Need, NeedLine, Urgency
from marketplace.regions.models import Region, RegionLevel, scope_prefix

SORTS = ("deadline", "urgency", "newest")


@dataclass(frozen=True)
class BoardFilter:
    region: str = ""
    kind: str = ""
    category: str = ""
    urgency: str = ""
    sort: str = "deadline"

    @classmethod
    def from_args(cls, args) -> BoardFilter:
        """Read the query string, dropping values that are not in the vocabularies."""
        region = args.get("region", "")
        kind = args.get("kind", "")
        category = args.get("category", "")
        urgency = args.get("urgency", "")
        sort = args.get("sort", "deadline")
        return cls(region=region if region.isdigit() and len(region) == 6 else "",
                   kind=kind if kind in set(LineKind) else "",
                   category=category if category in CATEGORIES else "",
                   urgency=urgency if urgency in set(Urgency) else "",
                   sort=sort if sort in SORTS else "deadline")

    def args(self) -> dict[str, str]:
        """The non-empty filters, for pagination links."""
        return {k: v for k, v in vars(self).items() if v and not (k == "sort" and v == "deadline")}


@dataclass(frozen=True)
class BoardRow:
    """One anonymised line as the board shows it."""

    line_id: int
    county_code: str
    county_name: str
    kind: str
    category: str
    item_name: str
    quantity: Decimal
    unit: str
    covered: Decimal
    urgency: str
    deadline: date
    requires: tuple[str, ...]

    @property
    def remaining(self) -> Decimal:
        return max(self.quantity - self.covered, Decimal(0))

    @property
    def covered_percent(self) -> int:
        return min(100, int(self.covered * 100 / self.quantity)) if self.quantity else 0


def board_query(flt: BoardFilter):
    """SELECT of the open lines of published needs under ``flt`` (no personal columns)."""
    query = (select(NeedLine).join(NeedLine.need)
             .options(contains_eager(NeedLine.need), joinedload(NeedLine.goods_item),
                      joinedload(NeedLine.service_type))
             .where(Need.status.in_([str(s) for s in BOARD_STATUSES]),
                    NeedLine.status == LineStatus.open))
    if flt.region:
        query = query.where(Need.county_code.startswith(scope_prefix(flt.region),
                                                        autoescape=True))
    if flt.kind:
        query = query.where(NeedLine.kind == flt.kind)
    if flt.category:
        query = query.where(NeedLine.category == flt.category)
    if flt.urgency:
        query = query.where(Need.urgency == flt.urgency)
    emergency_first = case((Need.urgency == Urgency.emergency, 0), else_=1)
    order = {
        "deadline": (Need.deadline, emergency_first),
        "urgency": (emergency_first, Need.deadline),
        "newest": (Need.published_at.desc(),),
    }[flt.sort]
    return query.order_by(*order, NeedLine.id)


def covered_by_line(line_ids: list[int]) -> dict[int, Decimal]:
    """How much of each line providers have pledged or delivered (supply's allocations)."""
    return allocations.covered_by_line(line_ids) if line_ids else {}


def county_names(codes: set[str], locale: str) -> dict[str, str]:
    """Names of counties with their prefecture, in one query."""
    wanted = codes | {code[:4] + "00" for code in codes}
    regions = {r.code: r for r in db.session.scalars(select(Region).where(
        Region.code.in_(sorted(wanted))))}
    names = {}
    for code in codes:
        county = regions.get(code)
        prefecture = regions.get(code[:4] + "00")
        parts = [r.display_name(locale) for r in (prefecture, county) if r is not None]
        names[code] = " · ".join(dict.fromkeys(parts)) or code
    return names


def board_page(flt: BoardFilter, page: int, per_page: int, locale: str
               ) -> tuple[Pagination, list[BoardRow]]:
    """One page of the board, anonymised."""
    pagination = db.paginate(board_query(flt), page=page, per_page=per_page, max_per_page=100,
                             error_out=False)
    lines: list[NeedLine] = list(pagination.items)
    covered = covered_by_line([line.id for line in lines])
    names = county_names({line.need.county_code for line in lines}, locale)
    rows = [_row(line, names[line.need.county_code], covered.get(line.id, Decimal(0)), locale)
            for line in lines]
    return pagination, rows


def _row(line: NeedLine, county_name: str, covered: Decimal, locale: str) -> BoardRow:
    item = line.goods_item or line.service_type
    return BoardRow(
        line_id=line.id, county_code=line.need.county_code, county_name=county_name,
        kind=str(line.kind), category=line.category,
        item_name=item.display_name(locale) if item else "", quantity=line.quantity,
        unit=line.unit, covered=covered, urgency=str(line.need.urgency),
        deadline=line.need.deadline, requires=tuple(line.requires or ()))


def board_row(line: NeedLine, locale: str) -> BoardRow:
    """The anonymised row of one line (the pledge page shows it)."""
    county = line.need.county_code
    return _row(line, county_names({county}, locale)[county],
                covered_by_line([line.id]).get(line.id, Decimal(0)), locale)


def region_filter_choices(locale: str) -> list[tuple[str, str]]:
    """Prefectures and counties for the board's place filter."""
    rows = db.session.scalars(select(Region).where(
        Region.level.in_([RegionLevel.prefecture, RegionLevel.county])).order_by(Region.code))
    return [(r.code, ("" if r.level == RegionLevel.prefecture else "— ") + r.display_name(locale))
            for r in rows]


def public_line(line_id: int) -> NeedLine | None:
    """A line that is on the board (open, need published), or None."""
    line = db.session.get(NeedLine, line_id)
    if line is None or line.status != LineStatus.open or line.need.status not in BOARD_STATUSES:
        return None
    return line
