"""The performance indicators of one purchase contract, computed with SQL aggregates.

Every figure comes from the contract's own offers (``offers.contract_line_id``) and what
happened to them: allocations → deliveries → feedback. A handful of GROUP BY queries per
contract, never a loop over rows. Rates are Decimals from 0 to 1, or None when nothing could be
measured yet (no feedback, no answered proposal…): "not applicable" is kept apart from zero.

Definitions (docs and the evaluation page say the same):

* units delivered / contracted: Σ delivered quantity over Σ contracted line quantity;
* households served: distinct households with at least one delivery; its rate is served over
  the target (``households_served``) when the contract sets one, else over the households the
  contract took on (distinct households of its committing allocations);
* satisfaction rate: share of feedback rated 4 or 5 (the average is shown beside it);
* on-time acceptance: among proposals with an answer deadline, the share answered (accepted or
  declined) by it; an expired proposal is late, one still waiting in time is not counted;
* on-time delivery: among delivered allocations, the share whose last delivery is on or before
  the need line's window end, or else the need's deadline;
* budget execution: budget consumed by deliveries over the budget; committed share: committed
  over the budget (``allocations.services.contract_figures``);
* complaints: deliveries the caseworker marked as a problem or rated 1–2 (a delivery counts once);
* elapsed share: days since the start over the contract's days, clamped to 0–1.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, literal, select

from marketplace.allocations.models import (
    COMMITTING,
    DELIVERED,
    Allocation,
    AllocationStatus,
    Delivery,
    DeliveryStatus,
    Feedback,
)
from marketplace.allocations.services import contract_figures
from marketplace.contracts.models import Contract, ContractLine, ContractTarget, TargetMetric
from marketplace.contracts.services import WARN_SHARE
from marketplace.extensions import db
from marketplace.needs.models import Need, NeedLine
from marketplace.offers.models import Offer

ZERO = Decimal("0")
ONE = Decimal("1")
#: Places kept for rates (a snapshot stores them as strings).
RATE_PLACES = Decimal("0.0001")
#: A contract is behind schedule when its delivery rate trails the elapsed share of its period
#: by more than this (0.2: at half time, less than 30 % delivered).
SCHEDULE_TOLERANCE = Decimal("0.2")


def rate(num: Any, den: Any) -> Decimal | None:
    """``num / den`` as a Decimal to four places, or None when ``den`` is zero."""
    num, den = Decimal(str(num or 0)), Decimal(str(den or 0))
    if den == 0:
        return None
    return (num / den).quantize(RATE_PLACES)


@dataclass(frozen=True)
class TargetCheck:
    """One performance target of the contract against what was achieved."""

    metric: str
    target: Decimal
    actual: Decimal | None
    #: None when the actual value cannot be measured yet.
    met: bool | None


@dataclass(frozen=True)
class Indicators:
    """The computed indicators of one contract at ``as_of`` (see the module docstring)."""

    as_of: date
    budget: Decimal
    units_contracted: Decimal
    units_delivered: Decimal
    delivery_rate: Decimal | None
    households_served: int
    households_allocated: int
    households_target: Decimal | None
    households_rate: Decimal | None
    deliveries: int
    feedback_count: int
    satisfaction_rate: Decimal | None
    satisfaction_average: Decimal | None
    proposals_due: int
    on_time_acceptance_rate: Decimal | None
    allocations_delivered: int
    on_time_delivery_rate: Decimal | None
    committed: Decimal
    consumed: Decimal
    budget_execution_rate: Decimal | None
    committed_share: Decimal | None
    complaints: int
    elapsed_share: Decimal
    response_hours: Decimal | None = None
    targets: list[TargetCheck] = field(default_factory=list)

    def snapshot(self) -> dict[str, Any]:
        """Plain JSON (numbers as strings) to store with an evaluation."""
        def plain(value):
            if isinstance(value, Decimal | date):
                return str(value)
            if isinstance(value, list):
                return [plain(v) for v in value]
            if isinstance(value, dict):
                return {k: plain(v) for k, v in value.items()}
            return value
        return plain(asdict(self))


def elapsed_share(start: date, end: date, as_of: date) -> Decimal:
    """(as_of − start) / (end − start), clamped to 0..1 (a one-day contract: 0 before, 1 on
    or after its day)."""
    days = (end - start).days
    if days <= 0:
        return ONE if as_of >= end else ZERO
    share = Decimal((as_of - start).days) / Decimal(days)
    return min(max(share, ZERO), ONE).quantize(RATE_PLACES)


def _hours_between(start, end):
    """SQL: hours from ``start`` to ``end`` (timestamps), the same on both dialects."""
    if db.engine.dialect.name == "postgresql":
        return func.extract("epoch", end - start) / 3600
    return (func.julianday(end) - func.julianday(start)) * 24


def _contract_allocations(contract_id: int):
    """FROM contract lines → offers → allocations, for one contract."""
    return (select().select_from(ContractLine)
            .join(Offer, Offer.contract_line_id == ContractLine.id)
            .join(Allocation, Allocation.offer_id == Offer.id)
            .where(ContractLine.contract_id == contract_id))


def _deliveries(contract_id: int) -> dict[str, Any]:
    complaint = case((Delivery.status == DeliveryStatus.problem, 1),
                     (Feedback.satisfaction <= 2, 1), else_=0)
    row = db.session.execute(
        _contract_allocations(contract_id)
        .join(Delivery, Delivery.allocation_id == Allocation.id)
        .join(NeedLine, NeedLine.id == Allocation.need_line_id)
        .join(Need, Need.id == NeedLine.need_id)
        .outerjoin(Feedback, Feedback.delivery_id == Delivery.id)
        .add_columns(func.coalesce(func.sum(Delivery.quantity), 0),
                     func.count(Delivery.id),
                     func.count(func.distinct(Need.household_id)),
                     func.coalesce(func.sum(complaint), 0),
                     func.count(Feedback.id),
                     func.coalesce(func.sum(case((Feedback.satisfaction >= 4, 1), else_=0)), 0),
                     func.coalesce(func.sum(Feedback.satisfaction), 0))).one()
    delivered, count, households, complaints, feedback, good, satisfaction_sum = row
    return {"units_delivered": Decimal(str(delivered)), "deliveries": count,
            "households_served": households, "complaints": int(complaints),
            "feedback_count": feedback, "good": int(good),
            "satisfaction_sum": Decimal(str(satisfaction_sum))}


def _acceptance(contract_id: int, now: datetime) -> tuple[int, int]:
    """(proposals due, answered in time): proposals with a deadline, except those still
    waiting before it."""
    waiting = (Allocation.status == AllocationStatus.proposed) & (Allocation.respond_by >= now)
    in_time = (Allocation.responded_at.is_not(None)
               & (Allocation.responded_at <= Allocation.respond_by))
    due, ok = db.session.execute(
        _contract_allocations(contract_id)
        .where(Allocation.respond_by.is_not(None), ~waiting)
        .add_columns(func.count(Allocation.id),
                     func.coalesce(func.sum(case((in_time, 1), else_=0)), 0))).one()
    return due, int(ok)


def _on_time_delivery(contract_id: int) -> tuple[int, int]:
    """(delivered allocations, delivered by the line's window end or else the need's
    deadline)."""
    last = (select(Delivery.allocation_id, func.max(Delivery.delivered_on).label("last"))
            .group_by(Delivery.allocation_id).subquery())
    due = func.coalesce(NeedLine.window_end, Need.deadline)
    count, ok = db.session.execute(
        _contract_allocations(contract_id)
        .join(last, last.c.allocation_id == Allocation.id)
        .join(NeedLine, NeedLine.id == Allocation.need_line_id)
        .join(Need, Need.id == NeedLine.need_id)
        .where(Allocation.status.in_(list(DELIVERED)))
        .add_columns(func.count(Allocation.id),
                     func.coalesce(func.sum(case((last.c.last <= due, 1), else_=0)), 0))).one()
    return count, int(ok)


def _households_allocated(contract_id: int) -> int:
    return db.session.scalar(
        _contract_allocations(contract_id)
        .join(NeedLine, NeedLine.id == Allocation.need_line_id)
        .join(Need, Need.id == NeedLine.need_id)
        .where(Allocation.status.in_(list(COMMITTING)))
        .add_columns(func.count(func.distinct(Need.household_id)))) or 0


def _response_hours(contract_id: int) -> Decimal | None:
    """Average hours from a proposal to the provider's answer (the response-time target)."""
    value = db.session.scalar(
        _contract_allocations(contract_id)
        .where(Allocation.responded_at.is_not(None), Allocation.respond_by.is_not(None))
        .add_columns(func.avg(_hours_between(Allocation.created_at, Allocation.responded_at))))
    return None if value is None else Decimal(str(value)).quantize(Decimal("0.01"))


def _targets(contract_id: int, actual: dict[TargetMetric, Decimal | None]) -> list[TargetCheck]:
    checks = []
    for target in db.session.scalars(select(ContractTarget).where(
            ContractTarget.contract_id == contract_id).order_by(ContractTarget.id)):
        value = actual.get(target.metric)
        if value is None:
            met = None
        elif target.metric == TargetMetric.response_time_hours:
            met = value <= target.target  # a time: lower is better
        else:
            met = value >= target.target
        checks.append(TargetCheck(target.metric.value, target.target, value, met))
    return checks


def indicators(contract: Contract, as_of: date | None = None,
               now: datetime | None = None) -> Indicators:
    """Every indicator of ``contract`` from what is recorded now; ``as_of`` (default today)
    sets the elapsed share of the period."""
    as_of = as_of or date.today()
    now = now or datetime.combine(as_of, time.max, tzinfo=UTC)
    units_contracted = Decimal(str(db.session.scalar(
        select(func.coalesce(func.sum(ContractLine.quantity), literal(0)))
        .where(ContractLine.contract_id == contract.id)) or 0))
    d = _deliveries(contract.id)
    due, answered = _acceptance(contract.id, now)
    delivered_allocations, on_time = _on_time_delivery(contract.id)
    allocated = _households_allocated(contract.id)
    committed, consumed = contract_figures([contract.id])[contract.id]
    targets = {t.metric: t.target for t in db.session.scalars(
        select(ContractTarget).where(ContractTarget.contract_id == contract.id))}
    households_target = targets.get(TargetMetric.households_served)
    households_rate = (rate(d["households_served"], households_target) if households_target
                       else rate(d["households_served"], allocated))
    satisfaction = rate(d["good"], d["feedback_count"])
    average = (None if not d["feedback_count"] else
               (d["satisfaction_sum"] / d["feedback_count"]).quantize(Decimal("0.01")))
    response = (_response_hours(contract.id) if TargetMetric.response_time_hours in targets
                else None)
    actual = {TargetMetric.hours_delivered: d["units_delivered"],
              TargetMetric.households_served: Decimal(d["households_served"]),
              TargetMetric.satisfaction_rate: None if satisfaction is None
              else (satisfaction * 100).quantize(Decimal("0.01")),
              TargetMetric.response_time_hours: response}
    return Indicators(
        as_of=as_of, budget=contract.budget, units_contracted=units_contracted,
        units_delivered=d["units_delivered"],
        delivery_rate=rate(d["units_delivered"], units_contracted),
        households_served=d["households_served"], households_allocated=allocated,
        households_target=households_target, households_rate=households_rate,
        deliveries=d["deliveries"], feedback_count=d["feedback_count"],
        satisfaction_rate=satisfaction, satisfaction_average=average,
        proposals_due=due, on_time_acceptance_rate=rate(answered, due),
        allocations_delivered=delivered_allocations,
        on_time_delivery_rate=rate(on_time, delivered_allocations),
        committed=committed, consumed=consumed,
        budget_execution_rate=rate(consumed, contract.budget),
        committed_share=rate(committed, contract.budget), complaints=d["complaints"],
        elapsed_share=elapsed_share(contract.period_start, contract.period_end, as_of),
        response_hours=response, targets=_targets(contract.id, actual))


#: Warning codes (labels in the views).
BEHIND_SCHEDULE = "behind_schedule"
NEAR_BUDGET = "near_budget"


def warnings(ind: Indicators, tolerance: Decimal = SCHEDULE_TOLERANCE) -> list[str]:
    """Warning codes: behind schedule when the delivery rate trails the elapsed share by more
    than ``tolerance``; near budget when the committed share reaches ``WARN_SHARE``."""
    return schedule_warnings(ind.delivery_rate or ZERO, ind.elapsed_share,
                             ind.committed_share or ZERO, tolerance)


def schedule_warnings(delivery_rate: Decimal, elapsed: Decimal, committed_share: Decimal,
                      tolerance: Decimal = SCHEDULE_TOLERANCE) -> list[str]:
    """The rule of :func:`warnings` on bare figures (the list pages compute them in bulk)."""
    found = []
    if delivery_rate < elapsed - tolerance:
        found.append(BEHIND_SCHEDULE)
    if committed_share >= WARN_SHARE:
        found.append(NEAR_BUDGET)
    return found
