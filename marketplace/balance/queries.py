"""What the oversight pages read: figures of one region and period from the summaries only.

Every function reads the rows of the current generation (a handful to about 1,500 rows, bounded
by counties × months, never by the data) and returns plain data (NamedTuples and frozen
dataclasses of ``int``, ``Decimal`` or None, never ORM objects). Results are cached per process,
keyed by the refresh's unique token, so a cached value is never older than the summary
it was computed from; a refresh makes every cached value unreachable at once.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple, TypeVar

from flask import g
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, type_coerce

from marketplace.balance.metrics import gini, median_from_histogram, merge_histograms, share
from marketplace.balance.models import (
    BalanceCell,
    BalanceCountyNow,
    BalanceRegionMonth,
    BalanceState,
)
from marketplace.balance.results import (
    Amounts,
    Balance,
    CategoryFigures,
    Figures,
    MonthPoint,
    Overdue,
    PublicRow,
    RegionFigures,
    StateInfo,
)
from marketplace.extensions import db
from marketplace.regions.models import Region, RegionLevel, scope_prefix, subtree_condition

__all__ = ["Amounts", "Balance", "BalanceError", "CategoryFigures", "Figures", "MonthPoint",
           "Overdue", "Period", "PublicRow", "RegionFigures", "StateInfo", "balance",
           "by_category", "children", "clear_cache", "county_coverage", "overview",
           "parse_period", "public_table", "state", "trend", "urban_rural"]

T = TypeVar("T")
ZERO = Decimal(0)
#: The earliest year the period form accepts.
FIRST_YEAR = 2000


class BalanceError(ValueError):
    """A period or region the dashboard cannot show; the message is for the user."""


# --- period -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Period:
    """Months ``first``..``last`` (1–12) of one calendar ``year`` (China time)."""

    year: int
    first: int
    last: int

    @property
    def months(self) -> tuple[str, ...]:
        """The months as ``'YYYY-MM'``, the key of the summary rows."""
        return tuple(f"{self.year:04d}-{m:02d}" for m in range(self.first, self.last + 1))


def parse_period(args: Mapping[str, Any], today: date) -> Period:
    """The period of ``?year=2026&from=1&to=12``; missing values default to the current year,
    from January to the current month (to December for another year). Raises
    :class:`BalanceError` for a non-number, a month outside 1–12, a reversed range or a year
    outside 2000..next year."""

    def number(name: str, default: int) -> int:
        raw = args.get(name)
        if raw is None or str(raw).strip() == "":
            return default
        try:
            return int(str(raw).strip())
        except ValueError:
            raise BalanceError(str(_l("The period must be given in whole numbers."))) from None

    year = number("year", today.year)
    if not FIRST_YEAR <= year <= today.year + 1:
        raise BalanceError(str(_l("Choose a year from %(first)d to %(last)d.",
                                  first=FIRST_YEAR, last=today.year + 1)))
    first = number("from", 1)
    last = number("to", today.month if year == today.year else 12)
    if not (1 <= first <= 12 and 1 <= last <= 12):
        raise BalanceError(str(_l("Months run from 1 to 12.")))
    if first > last:
        raise BalanceError(str(_l("The first month of the period comes after the last.")))
    return Period(year, first, last)


# --- cache ------------------------------------------------------------------------------------

#: Cached results per process (each small: at most a few hundred plain values).
CACHE_SIZE = 1024
_cache: OrderedDict[tuple, Any] = OrderedDict()
_lock = threading.Lock()


def clear_cache() -> None:
    """Forget every cached result (benchmarks of cold pages; a refresh needs no call)."""
    with _lock:
        _cache.clear()


#: Where a request keeps the state it read (one query per page, not one per figure).
_STATE_KEY = "balance_state"


def state() -> StateInfo | None:
    """The current generation, when it was built ("as of") and its token, or None before the
    first refresh. Read once per request (app context): a page's figures all come from the
    same generation."""
    if _STATE_KEY in g:
        return g.get(_STATE_KEY)
    row = db.session.execute(
        select(BalanceState.generation, BalanceState.refreshed_at, BalanceState.seconds,
               BalanceState.token)
        .where(BalanceState.id == 1)).first()
    current = StateInfo(*row) if row else None
    setattr(g, _STATE_KEY, current)
    return current


def forget_state() -> None:
    """Read the state again at the next call (after a refresh in this app context)."""
    g.pop(_STATE_KEY, None)


def _gen(st: StateInfo | None) -> int | None:
    return None if st is None else st.generation


def _cached(current: StateInfo | None, fn: Callable[..., T], *args: Any) -> T:
    """``fn(current, *args)``, cached per (refresh token, function, args)."""
    if current is None:
        return fn(None, *args)
    key = (current.token, fn.__name__, args)
    with _lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    value = fn(current, *args)
    with _lock:
        _cache[key] = value
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return value


def _memo(fn: Callable[..., T], *args: Any) -> T:
    """``fn(state, *args)`` of the current generation, cached."""
    return _cached(state(), fn, *args)


# --- reading rows -----------------------------------------------------------------------------

_NUMBERS = ("needs_published", "lines", "priority", "covered_priority", "delivered_funds",
            "delivered_goods", "delivered_hours", "needs_fulfilled", "households_new",
            "persons_new")


class _Row(NamedTuple):
    region_code: str
    month: str
    numbers: tuple
    fulfil_days: Mapping[str, int]


def _month_rows(generation: int | None, *where: Any) -> list[_Row]:
    if generation is None:
        return []
    m = BalanceRegionMonth
    rows = db.session.execute(
        select(m.region_code, m.month, *[getattr(m, f) for f in _NUMBERS], m.fulfil_days)
        .where(m.generation == generation, *where)).all()
    return [_Row(r[0], r[1], tuple(r[2:2 + len(_NUMBERS)]), r[-1] or {}) for r in rows]


def _subtree_year(st: StateInfo | None, code: str, year: int) -> tuple[_Row, ...]:
    """The county-month rows of ``code``'s subtree in ``year``: read once per generation and
    shared by urban/rural, the Gini, the map and the trend (up to 122 × 12 rows)."""
    m = BalanceRegionMonth
    return tuple(_month_rows(_gen(st), m.level == RegionLevel.county,
                             subtree_condition(m.region_code, scope_prefix(code)),
                             m.month.between(f"{year:04d}-01", f"{year:04d}-12")))


def _county_rows(st: StateInfo | None, code: str, months: tuple[str, ...]) -> list[_Row]:
    """The county-month rows of ``code``'s subtree in ``months`` (of one year)."""
    if st is None or not months:
        return []
    rows = _cached(st, _subtree_year, code, int(months[0][:4]))
    wanted = set(months)
    return [r for r in rows if r.month in wanted]


def _now_rows(generation: int | None, prefix: str) -> dict[str, Overdue]:
    if generation is None:
        return {}
    c = BalanceCountyNow
    rows = db.session.execute(
        select(c.county_code, c.overdue_needs, c.overdue_acceptances, c.overdue_deliveries)
        .where(c.generation == generation, subtree_condition(c.county_code, prefix))).all()
    return {code: Overdue(*values) for code, *values in rows}


def _sum_overdue(values: Iterable[Overdue]) -> Overdue:
    needs = acceptances = deliveries = 0
    for v in values:
        needs, acceptances, deliveries = (needs + v.needs, acceptances + v.acceptances,
                                          deliveries + v.deliveries)
    return Overdue(needs, acceptances, deliveries)


def _figures(rows: Iterable[_Row], overdue: Overdue) -> Figures:
    rows = list(rows)
    sums = [sum((r.numbers[i] or 0 for r in rows), 0) for i in range(len(_NUMBERS))]
    t = dict(zip(_NUMBERS, sums, strict=True))
    delivered = Amounts(Decimal(t["delivered_funds"]), Decimal(t["delivered_goods"]),
                        Decimal(t["delivered_hours"]))
    households, persons = int(t["households_new"]), int(t["persons_new"])
    return Figures(
        needs_published=int(t["needs_published"]), lines=int(t["lines"]),
        priority=Decimal(t["priority"]), covered_priority=Decimal(t["covered_priority"]),
        coverage=share(t["covered_priority"], t["priority"]),
        delivered=delivered,
        households=households, persons=persons,
        per_household=Amounts(*(share(v, households) for v in delivered)),
        per_capita=Amounts(*(share(v, persons) for v in delivered)),
        median_days=median_from_histogram(merge_histograms(r.fulfil_days for r in rows)),
        needs_fulfilled=int(t["needs_fulfilled"]),
        overdue=overdue)


def _region(code: str) -> Region:
    region = db.session.get(Region, code)
    if region is None or region.level not in (RegionLevel.province, RegionLevel.prefecture,
                                              RegionLevel.county):
        raise BalanceError(str(_l("Balance figures exist for the province, prefectures and "
                                  "counties only.")))
    return region


def _coverage_by_county(rows: Iterable[_Row]) -> dict[str, Decimal | None]:
    p: dict[str, Decimal] = {}
    cp: dict[str, Decimal] = {}
    for r in rows:
        p[r.region_code] = p.get(r.region_code, ZERO) + Decimal(r.numbers[2] or 0)
        cp[r.region_code] = cp.get(r.region_code, ZERO) + Decimal(r.numbers[3] or 0)
    return {code: share(cp[code], p[code]) for code in p}


def _balance(coverage: Mapping[str, Decimal | None]) -> tuple[Decimal | None, str | None,
                                                              Decimal | None]:
    """(Gini, worst county, its coverage) over the counties with needs."""
    known = {code: c for code, c in coverage.items() if c is not None}
    if not known:
        return None, None, None
    worst = min(known, key=lambda code: (known[code], code))
    return gini(list(known.values())), worst, known[worst]


# --- the query functions ----------------------------------------------------------------------

def overview(code: str, period: Period) -> Figures:
    """The top figures of region ``code`` over ``period`` (overdue counts: as of the refresh)."""
    return _memo(_overview, code, period)


def _overview(st: StateInfo | None, code: str, period: Period) -> Figures:
    _region(code)
    m = BalanceRegionMonth
    rows = _month_rows(_gen(st), m.region_code == code, m.month.in_(period.months))
    return _figures(rows, _sum_overdue(_now_rows(_gen(st), scope_prefix(code)).values()))


def children(code: str, period: Period) -> list[RegionFigures]:
    """Figures of each prefecture under the province or each county under a prefecture
    (every child region, with zeros where nothing happened); ``[]`` for a county."""
    return list(_memo(_children, code, period))


def _children(st: StateInfo | None, code: str, period: Period) -> list[RegionFigures]:
    region = _region(code)
    if region.level == RegionLevel.county:
        return []
    kids = db.session.execute(
        select(Region.code, Region.name_zh, Region.name_en, Region.level, Region.is_urban)
        .where(Region.parent_code == code,
               Region.level.in_([str(RegionLevel.prefecture), str(RegionLevel.county)]))
        .order_by(Region.code)).all()
    m = BalanceRegionMonth
    rows = _month_rows(_gen(st), m.region_code.in_([k[0] for k in kids]),
                       m.month.in_(period.months))
    overdue = _now_rows(_gen(st), scope_prefix(code))
    result = []
    for kid_code, name_zh, name_en, level, is_urban in kids:
        prefix = scope_prefix(kid_code)
        result.append(RegionFigures(
            kid_code, name_zh, name_en, bool(is_urban) if level == RegionLevel.county else None,
            _figures((r for r in rows if r.region_code == kid_code),
                     _sum_overdue(v for c, v in overdue.items() if c.startswith(prefix)))))
    return result


def urban_rural(code: str, period: Period) -> dict[str, Figures]:
    """``{"urban": Figures, "rural": Figures}`` over the counties of ``code`` (urban
    districts 市辖区 against counties and county-level cities)."""
    return dict(_memo(_urban_rural, code, period))


def _urban_rural(st: StateInfo | None, code: str, period: Period) -> dict[str, Figures]:
    _region(code)
    rows = _county_rows(st, code, period.months)
    urban_codes = set(db.session.scalars(
        select(Region.code).where(Region.level == RegionLevel.county, Region.is_urban.is_(True),
                                  subtree_condition(Region.code, scope_prefix(code)))))
    overdue = _now_rows(_gen(st), scope_prefix(code))
    return {
        "urban": _figures((r for r in rows if r.region_code in urban_codes),
                          _sum_overdue(v for c, v in overdue.items() if c in urban_codes)),
        "rural": _figures((r for r in rows if r.region_code not in urban_codes),
                          _sum_overdue(v for c, v in overdue.items() if c not in urban_codes)),
    }


def county_coverage(code: str, period: Period) -> dict[str, Decimal | None]:
    """Coverage of every county of ``code`` (None: no needs in the period), for the map."""
    return dict(_memo(_county_coverage, code, period))


def _county_coverage(st: StateInfo | None, code: str,
                     period: Period) -> dict[str, Decimal | None]:
    _region(code)
    counties = db.session.scalars(
        select(Region.code).where(Region.level == RegionLevel.county,
                                  subtree_condition(Region.code, scope_prefix(code)))
        .order_by(Region.code)).all()
    coverage = _coverage_by_county(_county_rows(st, code, period.months))
    return {c: coverage.get(c) for c in counties}


def balance(code: str, period: Period) -> Balance:
    """Gini of county coverage and the worst county, over the counties of ``code`` with needs
    in the period (each county counts once; ties on coverage go to the lower code)."""
    coverage = county_coverage(code, period)
    g, worst, worst_coverage = _balance(coverage)
    return Balance(g, worst, worst_coverage, coverage)


def trend(code: str, year: int) -> list[MonthPoint]:
    """Month by month of ``year`` (cohorts of needs published in the month): coverage, Gini
    and worst county over the counties of ``code``, and the needs published."""
    return list(_memo(_trend, code, year))


def _trend(st: StateInfo | None, code: str, year: int) -> list[MonthPoint]:
    _region(code)
    period = Period(year, 1, 12)
    m = BalanceRegionMonth
    own = {r.month: r for r in _month_rows(_gen(st), m.region_code == code,
                                           m.month.in_(period.months))}
    by_month: dict[str, list[_Row]] = {}
    for r in _county_rows(st, code, period.months):
        by_month.setdefault(r.month, []).append(r)
    points = []
    for month in period.months:
        row = own.get(month)
        g, worst, worst_coverage = _balance(_coverage_by_county(by_month.get(month, ())))
        points.append(MonthPoint(
            month, share(row.numbers[3], row.numbers[2]) if row else None, g, worst,
            worst_coverage, int(row.numbers[0]) if row else 0))
    return points


def _cell_groups(generation: int | None, *where: Any) -> dict[tuple, list[Any]]:
    """(region, kind, category) → [lines, requested, priority, covered priority, allocated,
    delivered, delivered CNY] summed over the months of ``where`` (GROUP BY in SQL)."""
    if generation is None:
        return {}
    c = BalanceCell
    rows = db.session.execute(
        select(c.region_code, c.kind, c.category, func.sum(c.lines),
               *[type_coerce(func.sum(col), col.type)
                 for col in (c.requested, c.priority, c.covered_priority, c.allocated,
                             c.delivered_qty, c.delivered_value_cny)])
        .where(c.generation == generation, *where)
        .group_by(c.region_code, c.kind, c.category)).all()
    return {(region, kind, category): [int(lines)] + [Decimal(v or 0) for v in values]
            for region, kind, category, lines, *values in rows}


def by_category(code: str, period: Period) -> list[CategoryFigures]:
    """Lines, quantities, coverage and delivered per kind × category in region ``code``."""
    return list(_memo(_by_category, code, period))


def _by_category(st: StateInfo | None, code: str, period: Period) -> list[CategoryFigures]:
    _region(code)
    c = BalanceCell
    groups = _cell_groups(_gen(st), c.region_code == code, c.month.in_(period.months))
    return [CategoryFigures(kind, category, v[0], v[1], v[4], share(v[3], v[2]), v[5], v[6])
            for (_, kind, category), v in sorted(groups.items())]


def public_table(period: Period) -> list[PublicRow]:
    """Per county × category of the whole province: lines, coverage and delivered (no
    personal data: the smallest unit is a county's category)."""
    return list(_memo(_public_table, period))


def _public_table(st: StateInfo | None, period: Period) -> list[PublicRow]:
    c = BalanceCell
    groups = _cell_groups(_gen(st), c.level == RegionLevel.county, c.month.in_(period.months))
    return [PublicRow(county, category, kind, v[0], share(v[3], v[2]), v[5])
            for (county, kind, category), v in sorted(
                groups.items(), key=lambda item: (item[0][0], item[0][1], item[0][2]))]
