"""The public need board: published need lines, anonymised, filtered, sorted and paginated.

Only county-level place, category, kind, item, quantity, urgency, deadline and coverage leave
this module: never the household, its members, the officers' notes or the exact place. A page
costs a fixed number of queries whatever its size: the rows with their catalogue item names
(plain columns, no ORM objects), a count capped at ``pager.COUNT_CAP`` rows when the page
cannot tell the total, the coverage of the rows, and the version of the cached region
directory (county names and the place filter come from ``regions.directory``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache

from markupsafe import Markup
from sqlalchemy import Select, bindparam, case, func, literal, select

from marketplace.allocations import services as allocations
from marketplace.allocations.models import COMMITTING, Allocation
from marketplace.catalog.editing import GOODS_UNITS
from marketplace.catalog.models import GoodsItem, ServiceType
from marketplace.catalog.vocab import (
    CATEGORIES,
    KIND_LABELS,
    QUALIFICATIONS,
    SERVICE_UNITS,
    LineKind,
)
from marketplace.common.labels import TranslatedLabels
from marketplace.extensions import db
from marketplace.needs.models import BOARD_STATUSES, LineStatus, Need, NeedLine, Urgency
from marketplace.needs.pager import CappedPagination, capped_page
from marketplace.needs.services import URGENCY_LABELS
from marketplace.regions import directory
from marketplace.regions.directory import Place
from marketplace.regions.models import RegionLevel, scope_prefix

SORTS = ("deadline", "urgency", "newest")
MAX_PER_PAGE = 100
#: Coverage is shown in cents on both databases (PostgreSQL returns a bare 0 for no pledge).
CENT = Decimal("0.01")
#: The statuses as literals, not parameters: a database uses the board's partial indexes
#: (``models._ON_BOARD``) only when it can see that the query's condition implies theirs.
ON_BOARD = Need.status.in_(bindparam("board_statuses", [str(s) for s in BOARD_STATUSES],
                                     expanding=True, literal_execute=True))


def _fixed(value):
    """A filter value written into the SQL text, not bound. The board's values come from small
    vocabularies (kinds, categories, urgencies, county codes), so there are few distinct
    statements; PostgreSQL prepares each once (psycopg, after five runs) and reuses one plan.
    With bound values it judges a generic plan a little dearer than a fresh one and plans
    every request again (about 2 ms per query at Hunan scale, more than running it)."""
    return literal(value, literal_execute=True)


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


def place_condition(region: str, by_sort_index: bool = False):
    """Lines whose county lies in ``region`` (a county, prefecture or province code), as an
    equality or a range on ``county_code`` that an index serves (a LIKE 'prefix%' is not).

    ``by_sort_index``: for a page of rows, a prefecture's or the province's range is written
    so that no index serves it (``county_code || ''``): the database then walks the index of
    the page's order (deadline, urgency or publication), skips other places and stops after
    the page. Through the county index SQLite would take every board need of the prefecture
    and sort them (8 ms at 100k households, 85 ms for the province)."""
    prefix = scope_prefix(region)
    if len(prefix) >= 6:
        return Need.county_code == _fixed(prefix)
    pad = 6 - len(prefix)
    county = Need.county_code.concat(_fixed("")) if by_sort_index else Need.county_code
    return county.between(_fixed(prefix + "0" * pad), _fixed(prefix + "9" * pad))


def _filtered(flt: BoardFilter, *columns, by_sort_index: bool = False) -> Select:
    """SELECT ``columns`` of the open lines of published needs under ``flt``."""
    query = (select(*columns).select_from(NeedLine).join(Need, NeedLine.need_id == Need.id)
             .where(ON_BOARD, NeedLine.status == _fixed(str(LineStatus.open))))
    if flt.region:
        query = query.where(place_condition(flt.region, by_sort_index))
    if flt.kind:
        query = query.where(NeedLine.kind == _fixed(flt.kind))
    if flt.category:
        query = query.where(NeedLine.category == _fixed(flt.category))
    if flt.urgency:
        query = query.where(Need.urgency == _fixed(flt.urgency))
    return query


def board_query(flt: BoardFilter) -> Select:
    """The ordered SELECT of the board's columns under ``flt`` (no personal columns: only
    what a :class:`BoardRow` shows, with the catalogue item's names)."""
    query = (_filtered(flt, NeedLine.id, Need.county_code, NeedLine.kind, NeedLine.category,
                       func.coalesce(GoodsItem.name_zh, ServiceType.name_zh),
                       func.coalesce(GoodsItem.name_en, ServiceType.name_en),
                       NeedLine.quantity, NeedLine.unit, Need.urgency, Need.deadline,
                       NeedLine.requires, _covered(), by_sort_index=True)
             .outerjoin(GoodsItem, NeedLine.goods_item_id == GoodsItem.id)
             .outerjoin(ServiceType, NeedLine.service_type_id == ServiceType.id))
    emergency_first = case((Need.urgency == _fixed(str(Urgency.emergency)), _fixed(0)),
                           else_=_fixed(1))
    order = {
        "deadline": (Need.deadline, emergency_first),
        # 'emergency' sorts before 'normal' (a test checks it): the column itself, not a CASE,
        # so that ix_needs_board_urgency gives this order.
        "urgency": (Need.urgency, Need.deadline),
        "newest": (Need.published_at.desc(),),
    }[flt.sort]
    return query.order_by(*order, NeedLine.id)


def _covered():
    """How much of the line providers have pledged or delivered, as a column of the page's
    SELECT (one index lookup per row instead of a third query; the same sum as
    ``allocations.covered_by_line``)."""
    return (select(func.coalesce(func.sum(Allocation.quantity), _fixed(0)))
            .where(Allocation.need_line_id == NeedLine.id,
                   Allocation.status.in_(bindparam("committing", sorted(str(s) for s in COMMITTING),
                                                   expanding=True, literal_execute=True)))
            .correlate(NeedLine).scalar_subquery())


def count_query(flt: BoardFilter) -> Select:
    """The rows the capped count walks. In one county it follows ``ix_needs_board_county``
    (county, deadline, id): PostgreSQL otherwise bitmap-scans every board need of the county
    (7,000 at Hunan scale) before it can stop at the cap."""
    query = _filtered(flt, NeedLine.id)
    if flt.region and len(scope_prefix(flt.region)) >= 6:
        query = query.order_by(Need.county_code, Need.deadline, Need.id)
    return query


def covered_by_line(line_ids: list[int]) -> dict[int, Decimal]:
    """How much of each line providers have pledged or delivered (supply's allocations)."""
    return allocations.covered_by_line(line_ids) if line_ids else {}


def _county_name(places: dict[str, Place], code: str, locale: str) -> str:
    parts = [p.display_name(locale) for p in (places.get(code[:4] + "00"), places.get(code))
             if p is not None]
    return " · ".join(dict.fromkeys(parts)) or code


def county_names(codes: set[str], locale: str) -> dict[str, str]:
    """Names of counties with their prefecture (from the cached region directory)."""
    places = directory.places()
    return {code: _county_name(places, code, locale) for code in codes}


@lru_cache(maxsize=1024)
def _statements(flt: BoardFilter) -> tuple[Select, Select]:
    """The rows and count SELECTs of a filter, built once: building them costs as much as
    running them (statements are immutable, so threads share them safely)."""
    return board_query(flt), count_query(flt)


def board_page(flt: BoardFilter, page: int, per_page: int, locale: str
               ) -> tuple[CappedPagination, list[BoardRow]]:
    """One page of the board, anonymised: the rows with their coverage, and a capped count
    (two queries at most)."""
    per_page = min(max(per_page, 1), MAX_PER_PAGE)
    rows_query, counted = _statements(flt)
    pagination = capped_page(rows_query, counted, page, per_page)
    names = county_names({r[1] for r in pagination.items}, locale)
    zh = locale.startswith("zh")
    rows = [BoardRow(line_id=line_id, county_code=county, county_name=names[county],
                     kind=str(kind), category=category,
                     item_name=(name_zh if zh else name_en) or "", quantity=quantity,
                     unit=unit, covered=Decimal(covered).quantize(CENT), urgency=str(urgency),
                     deadline=deadline, requires=tuple(requires or ()))
            for (line_id, county, kind, category, name_zh, name_en, quantity, unit, urgency,
                 deadline, requires, covered) in pagination.items]
    return pagination, rows


def board_row(line: NeedLine, locale: str) -> BoardRow:
    """The anonymised row of one line (the pledge page shows it)."""
    county = line.need.county_code
    item = line.goods_item or line.service_type
    return BoardRow(
        line_id=line.id, county_code=county, county_name=county_names({county}, locale)[county],
        kind=str(line.kind), category=line.category,
        item_name=item.display_name(locale) if item else "", quantity=line.quantity,
        unit=line.unit, covered=covered_by_line([line.id]).get(line.id, Decimal(0)),
        urgency=str(line.need.urgency), deadline=line.need.deadline,
        requires=tuple(line.requires or ()))


#: The vocabularies the board shows, translated once per language (the lazy strings of
#: ``need_labels`` would be translated again for every row of every request).
board_labels = TranslatedLabels({
    "kind": KIND_LABELS, "category": CATEGORIES, "urgency": URGENCY_LABELS,
    "qualification": QUALIFICATIONS,
    # what the ``unit`` filter shows (catalog.views.unit_label)
    "unit": GOODS_UNITS | SERVICE_UNITS})


def region_options(locale: str, selected: str) -> Markup:
    """The ``<option>`` elements of the place filter, built once per language: ~150 options
    rendered by the template would cost more than the rest of the page."""
    options = directory.memo(("board_place_options", locale), lambda places: [
        (code, label, Markup('<option value="{0}">{1}</option>').format(code, label))
        for code, label in region_filter_choices(locale)])
    return Markup("").join(
        Markup('<option value="{0}" selected>{1}</option>').format(code, label)
        if code == selected else html for code, label, html in options)


def region_filter_choices(locale: str) -> list[tuple[str, str]]:
    """Prefectures and counties for the board's place filter (cached per language until the
    region directory changes)."""
    def build(places: dict[str, Place]) -> list[tuple[str, str]]:
        return [(p.code, ("" if p.level == RegionLevel.prefecture else "— ")
                 + p.display_name(locale)) for p in places.values()
                if p.level in (RegionLevel.prefecture, RegionLevel.county)]
    return directory.memo(("board_place_choices", locale), build)


def public_line(line_id: int) -> NeedLine | None:
    """A line that is on the board (open, need published), or None."""
    line = db.session.get(NeedLine, line_id)
    if line is None or line.status != LineStatus.open or line.need.status not in BOARD_STATUSES:
        return None
    return line
