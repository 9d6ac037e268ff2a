"""Rebuild the balance summaries: a few GROUP BY queries over the base tables, rolled up from
counties to prefectures and the province, written as a new generation in one transaction.

The read queries return rows already aggregated per county × month (× kind × category, or ×
days): the Python work is bounded by counties × months × categories, never by the number of
needs, lines or deliveries. Definitions: docs/oversight.md.
"""

from __future__ import annotations

import time
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Integer,
    Text,
    case,
    cast,
    delete,
    exists,
    func,
    insert,
    literal_column,
    or_,
    select,
    text,
    type_coerce,
)

from marketplace.allocations.models import (
    COMMITTING,
    WAITING,
    Allocation,
    AllocationStatus,
    Delivery,
    DeliveryStatus,
)
from marketplace.balance.metrics import GROUP_WEIGHTS, URGENCY_WEIGHTS
from marketplace.balance.models import (
    BalanceCell,
    BalanceCountyNow,
    BalanceRegionMonth,
    BalanceState,
    Priority,
    Quantity,
)
from marketplace.balance.queries import forget_state
from marketplace.catalog.vocab import LineKind
from marketplace.common.models import utcnow
from marketplace.extensions import db
from marketplace.households.models import Household, Person
from marketplace.needs.models import BOARD_STATUSES, LineStatus, Need, NeedLine, NeedStatus
from marketplace.offers.models import Offer
from marketplace.regions.models import Region, RegionLevel

#: China time is UTC+8 all year (no daylight saving time).
CHINA_OFFSET = timedelta(hours=8)
#: Days from publication to fulfilment are counted up to this (the histogram's last key).
MAX_DAYS = 365
#: Rows per INSERT batch.
BATCH = 5_000
#: PostgreSQL's work_mem during a refresh.
WORK_MEM = "64MB"
#: Levels that get summary rows.
LEVELS = (RegionLevel.county, RegionLevel.prefecture, RegionLevel.province)


@dataclass(frozen=True)
class RefreshReport:
    """What one refresh wrote."""

    generation: int
    cells: int
    region_months: int
    counties_now: int
    seconds: float


# --- dialect helpers --------------------------------------------------------------------------

def _dialect() -> str:
    return db.session.get_bind().dialect.name


def china_month(col: Any) -> Any:
    """``'YYYY-MM'`` of a UTC timestamp column in China time."""
    if _dialect() == "postgresql":
        return func.to_char(func.timezone("UTC", col) + literal_column("interval '8 hours'"),
                            "YYYY-MM")
    return func.strftime("%Y-%m", col, "+8 hours")


def date_month(col: Any) -> Any:
    """``'YYYY-MM'`` of a date column (dates are already local dates)."""
    if _dialect() == "postgresql":
        return func.to_char(col, "YYYY-MM")
    return func.strftime("%Y-%m", col)


def days_between(start: Any, end: Any) -> Any:
    """Whole days from ``start`` to ``end`` (floored), between 0 and :data:`MAX_DAYS`."""
    if _dialect() == "postgresql":
        days = cast(func.floor(func.extract("epoch", end - start) / 86400), Integer)
    else:
        days = cast(func.julianday(end) - func.julianday(start), Integer)
    return case((days < 0, 0), (days > MAX_DAYS, MAX_DAYS), else_=days)


def need_priority() -> Any:
    """SQL for ``metrics.priority_weight``: the urgency weight × the highest group weight of
    the household, the groups found by ``LIKE '%"code"%'`` on the JSON text (same on SQLite
    and PostgreSQL)."""
    urgency = case(
        *[(Need.urgency == code, literal_column(str(w))) for code, w in URGENCY_WEIGHTS.items()],
        else_=literal_column("1.0"))
    groups = cast(Household.groups, Text)
    by_weight: dict[Decimal, list[str]] = defaultdict(list)
    for code, weight in GROUP_WEIGHTS.items():
        by_weight[weight].append(code)
    whens = [(or_(*[groups.like(f'%"{code}"%') for code in sorted(codes)]),
              literal_column(str(weight)))
             for weight, codes in sorted(by_weight.items(), reverse=True) if weight != 1]
    group = case(*whens, else_=literal_column("1.0")) if whens else literal_column("1.0")
    return urgency * group


def _dec(value: Any) -> Decimal:
    return Decimal(0) if value is None else Decimal(value)


# --- the read queries (each returns aggregated rows) ------------------------------------------

def _counted_needs() -> tuple[Any, ...]:
    """Needs that were published and not withdrawn (see docs/oversight.md)."""
    return (Need.published_at.is_not(None), Need.status != NeedStatus.withdrawn)


def _cohort_lines() -> Iterator[tuple]:
    """(county, month, kind, category, lines, requested, priority, covered_priority,
    allocated) by the month the need was published."""
    covered = (select(Allocation.need_line_id, func.sum(Allocation.quantity).label("q"))
               .where(Allocation.status.in_([str(s) for s in COMMITTING]))
               .group_by(Allocation.need_line_id).subquery())
    got = func.coalesce(covered.c.q, 0)
    allocated = case((got < NeedLine.quantity, got), else_=NeedLine.quantity)
    p = need_priority()
    month = china_month(Need.published_at)
    stmt = (select(Need.county_code, month, NeedLine.kind, NeedLine.category,
                   func.count(),
                   type_coerce(func.sum(NeedLine.quantity), Quantity),
                   type_coerce(func.sum(p), Priority),
                   type_coerce(func.sum(p * allocated / NeedLine.quantity), Priority),
                   type_coerce(func.sum(allocated), Quantity))
            .select_from(NeedLine)
            .join(Need, Need.id == NeedLine.need_id)
            .join(Household, Household.id == Need.household_id)
            .outerjoin(covered, covered.c.need_line_id == NeedLine.id)
            .where(*_counted_needs(), NeedLine.status != LineStatus.cancelled)
            .group_by(Need.county_code, month, NeedLine.kind, NeedLine.category))
    return iter(db.session.execute(stmt).all())


def _needs_published() -> list[tuple]:
    month = china_month(Need.published_at)
    return db.session.execute(
        select(Need.county_code, month, func.count()).where(*_counted_needs())
        .group_by(Need.county_code, month)).all()


def _counted_deliveries() -> Any:
    return Delivery.status != DeliveryStatus.problem


def _delivered() -> list[tuple]:
    """(county, month, kind, category, quantity, value in CNY) by the month of delivery."""
    month = date_month(Delivery.delivered_on)
    value = case((NeedLine.kind == LineKind.funds, Delivery.quantity),
                 else_=Delivery.quantity * func.coalesce(Offer.unit_price, 0))
    stmt = (select(Need.county_code, month, NeedLine.kind, NeedLine.category,
                   type_coerce(func.sum(Delivery.quantity), Quantity),
                   type_coerce(func.sum(value), Quantity))
            .select_from(Delivery)
            .join(Allocation, Allocation.id == Delivery.allocation_id)
            .join(Offer, Offer.id == Allocation.offer_id)
            .join(NeedLine, NeedLine.id == Allocation.need_line_id)
            .join(Need, Need.id == NeedLine.need_id)
            .where(_counted_deliveries())
            .group_by(Need.county_code, month, NeedLine.kind, NeedLine.category))
    return db.session.execute(stmt).all()


def _fulfilled() -> list[tuple]:
    """(county, month of fulfilment, days from publication, needs)."""
    month = china_month(Need.fulfilled_at)
    days = days_between(Need.published_at, Need.fulfilled_at)
    stmt = (select(Need.county_code, month, days, func.count())
            .where(Need.fulfilled_at.is_not(None), *_counted_needs())
            .group_by(Need.county_code, month, days))
    return db.session.execute(stmt).all()


def _first_deliveries() -> list[tuple]:
    """(county, month, households, persons): households by the month of their first delivery
    in each calendar year, counted in the household's county."""
    month = date_month(Delivery.delivered_on)
    first = (select(Need.household_id.label("household_id"), func.min(month).label("month"))
             .select_from(Delivery)
             .join(Allocation, Allocation.id == Delivery.allocation_id)
             .join(NeedLine, NeedLine.id == Allocation.need_line_id)
             .join(Need, Need.id == NeedLine.need_id)
             .where(_counted_deliveries())
             .group_by(Need.household_id, func.substr(month, 1, 4)).subquery())
    members = (select(Person.household_id, func.count().label("n"))
               .group_by(Person.household_id).subquery())
    stmt = (select(Household.county_code, first.c.month, func.count(),
                   func.sum(func.coalesce(members.c.n, 0)))
            .select_from(first)
            .join(Household, Household.id == first.c.household_id)
            .outerjoin(members, members.c.household_id == first.c.household_id)
            .group_by(Household.county_code, first.c.month))
    return db.session.execute(stmt).all()


def _overdue(now: datetime) -> dict[str, list[int]]:
    """county → [overdue needs, overdue acceptances, overdue deliveries] at ``now``."""
    today = (now.astimezone(UTC) + CHINA_OFFSET).date()
    found: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    needs = db.session.execute(
        select(Need.county_code, func.count())
        .where(Need.status.in_([str(s) for s in BOARD_STATUSES]), Need.deadline < today)
        .group_by(Need.county_code))
    for county, count in needs:
        found[county][0] += count
    county = func.substr(Allocation.region_code, 1, 6)
    waiting = db.session.execute(
        select(county, func.count())
        .where(Allocation.status.in_([str(s) for s in WAITING]), Allocation.respond_by < now)
        .group_by(county))
    for code, count in waiting:
        found[code][1] += count
    due = func.coalesce(NeedLine.window_end, Need.deadline)
    late = db.session.execute(
        select(Need.county_code, func.count())
        .select_from(Allocation)
        .join(NeedLine, NeedLine.id == Allocation.need_line_id)
        .join(Need, Need.id == NeedLine.need_id)
        .where(Allocation.status == AllocationStatus.accepted, due < today,
               ~exists().where(Delivery.allocation_id == Allocation.id))
        .group_by(Need.county_code))
    for code, count in late:
        found[code][2] += count
    return found


# --- roll-up ----------------------------------------------------------------------------------

class _Tree:
    """Counties, prefectures and the province: each county's chain of summary regions."""

    def __init__(self) -> None:
        rows = db.session.execute(
            select(Region.code, Region.parent_code, Region.level, Region.is_urban)
            .where(Region.level.in_([str(level) for level in LEVELS]))).all()
        self.level = {code: str(level) for code, _, level, _ in rows}
        self.parent = {code: parent for code, parent, _, _ in rows}
        self.urban = {code: bool(urban) for code, _, _, urban in rows}
        self._chains: dict[str, tuple[str, ...]] = {}

    def chain(self, county: str) -> tuple[str, ...]:
        """``county`` and its ancestors that have summary rows (county first)."""
        if county not in self._chains:
            codes, code = [county], self.parent.get(county)
            while code is not None and code in self.level:
                codes.append(code)
                code = self.parent.get(code)
            self._chains[county] = tuple(codes)
        return self._chains[county]

    def level_of(self, code: str) -> str:
        return self.level.get(code, str(RegionLevel.county))


_MONTH_FIELDS = ("needs_published", "lines", "priority", "covered_priority", "delivered_funds",
                 "delivered_goods", "delivered_hours", "needs_fulfilled", "households_new",
                 "persons_new")
_DELIVERED_FIELD = {str(LineKind.funds): "delivered_funds", str(LineKind.goods): "delivered_goods",
                    str(LineKind.services): "delivered_hours"}


def _collect(tree: _Tree) -> tuple[dict, dict]:
    """Read the aggregates and roll them up: (cells, region months)."""
    cells: dict[tuple[str, str, str, str], list[Any]] = {}
    months: dict[tuple[str, str], dict[str, Any]] = {}

    def cell(region: str, month: str, kind: str, category: str) -> list[Any]:
        key = (region, month, kind, category)
        if key not in cells:
            cells[key] = [0] + [Decimal(0)] * 6
        return cells[key]

    def region_month(region: str, month: str) -> dict[str, Any]:
        key = (region, month)
        if key not in months:
            months[key] = dict.fromkeys(_MONTH_FIELDS, 0) | {"fulfil_days": {}}
        return months[key]

    for county, month, kind, category, n, req, p, cp, alloc in _cohort_lines():
        for region in tree.chain(county):
            row = cell(region, month, str(kind), category)
            row[0] += n
            for i, value in enumerate((req, p, cp, alloc), start=1):
                row[i] += _dec(value)
            totals = region_month(region, month)
            totals["lines"] += n
            totals["priority"] += _dec(p)
            totals["covered_priority"] += _dec(cp)
    for county, month, kind, category, qty, value in _delivered():
        for region in tree.chain(county):
            row = cell(region, month, str(kind), category)
            row[5] += _dec(qty)
            row[6] += _dec(value)
            region_month(region, month)[_DELIVERED_FIELD[str(kind)]] += _dec(qty)
    for county, month, n in _needs_published():
        for region in tree.chain(county):
            region_month(region, month)["needs_published"] += n
    for county, month, days, n in _fulfilled():
        for region in tree.chain(county):
            totals = region_month(region, month)
            totals["needs_fulfilled"] += n
            key = str(int(days))
            totals["fulfil_days"][key] = totals["fulfil_days"].get(key, 0) + n
    for county, month, households, persons in _first_deliveries():
        for region in tree.chain(county):
            totals = region_month(region, month)
            totals["households_new"] += households
            totals["persons_new"] += int(persons or 0)
    return cells, months


def _batches(rows: Iterable[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def refresh(now: datetime | None = None) -> RefreshReport:
    """Rebuild every summary as of ``now`` (default: the current time) and commit.

    The reads come first; then, in one short write, the new generation is inserted, the state
    switched to it and the old generation deleted. Concurrent refreshes queue on the state
    row's lock (PostgreSQL), so generations never collide.
    """
    started = time.perf_counter()
    now = now or utcnow()
    if _dialect() == "postgresql":
        # Hash aggregates of a few million lines instead of sorts spilled to disk; the
        # setting ends with this transaction.
        db.session.execute(text(f"SET LOCAL work_mem = '{WORK_MEM}'"))
    tree = _Tree()
    cells, months = _collect(tree)
    overdue = _overdue(now)

    state = db.session.scalars(select(BalanceState).where(BalanceState.id == 1)
                               .with_for_update().execution_options(populate_existing=True)
                               ).first()
    generation = state.generation + 1 if state else 1
    for batch in _batches(
            {"generation": generation, "region_code": region, "month": month, "kind": kind,
             "category": category, "level": tree.level_of(region), "lines": v[0],
             "requested": v[1], "priority": v[2], "covered_priority": v[3], "allocated": v[4],
             "delivered_qty": v[5], "delivered_value_cny": v[6]}
            for (region, month, kind, category), v in cells.items()):
        db.session.execute(insert(BalanceCell), batch)
    for batch in _batches(
            {"generation": generation, "region_code": region, "month": month,
             "level": tree.level_of(region),
             "is_urban": tree.urban.get(region, False)
             if tree.level_of(region) == RegionLevel.county else None, **values}
            for (region, month), values in months.items()):
        db.session.execute(insert(BalanceRegionMonth), batch)
    for batch in _batches(
            {"generation": generation, "county_code": county, "overdue_needs": v[0],
             "overdue_acceptances": v[1], "overdue_deliveries": v[2]}
            for county, v in overdue.items()):
        db.session.execute(insert(BalanceCountyNow), batch)
    seconds = time.perf_counter() - started
    if state is None:
        db.session.add(BalanceState(id=1, generation=generation, refreshed_at=now,
                                    seconds=Decimal(f"{seconds:.3f}"), token=uuid.uuid4().hex))
    else:
        state.generation, state.refreshed_at = generation, now
        state.token = uuid.uuid4().hex
        state.seconds = Decimal(f"{seconds:.3f}")
    for model in (BalanceCell, BalanceRegionMonth, BalanceCountyNow):
        db.session.execute(delete(model).where(model.generation != generation))
    db.session.commit()
    forget_state()
    return RefreshReport(generation, len(cells), len(months), len(overdue),
                         time.perf_counter() - started)


def china_today(now: datetime | None = None) -> date:
    """Today's date in China."""
    return ((now or utcnow()).astimezone(UTC) + CHINA_OFFSET).date()
