"""Scoring and storing contract evaluations (绩效评价), and the lists built on them.

``score`` turns indicators into per-indicator scores (0–100) and a weighted total; ``evaluate``
stores the officer's judgement with a snapshot of the indicators (audited as
``contract.evaluate``). ``overview`` and ``contracts_with_warnings`` compute the schedule and
budget warnings of many contracts in a few grouped queries (``contract_figures`` and sums).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from marketplace.accounts.models import Role, User
from marketplace.allocations.models import Allocation, Delivery
from marketplace.allocations.services import contract_figures
from marketplace.audit.services import record_event
from marketplace.common.access import in_scope, scope_filter
from marketplace.common.cache import AreaFigures
from marketplace.contracts.models import Contract, ContractLine, ContractStatus
from marketplace.evaluations.indicators import (
    ONE,
    ZERO,
    Indicators,
    elapsed_share,
    indicators,
    rate,
    schedule_warnings,
)
from marketplace.evaluations.models import ContractEvaluation, Grade
from marketplace.extensions import db
from marketplace.offers.models import Offer

#: The weighted indicators, in the order the form shows them, with their default weights
#: (they add up to 100).
DEFAULT_WEIGHTS: dict[str, int] = {
    "delivery": 30,
    "households": 15,
    "satisfaction": 20,
    "on_time_acceptance": 10,
    "on_time_delivery": 10,
    "budget_execution": 10,
    "complaints": 5,
}
#: Lowest score of each grade, best first.
GRADE_FLOORS: tuple[tuple[Decimal, Grade], ...] = (
    (Decimal("90"), Grade.excellent), (Decimal("80"), Grade.good), (Decimal("60"), Grade.passed))
HUNDRED = Decimal("100")
CENTS = Decimal("0.01")
#: Contracts whose evaluation is meaningful: signed or later (a draft has no data).
EVALUABLE = (ContractStatus.signed, ContractStatus.active, ContractStatus.ended,
             ContractStatus.terminated)


class EvaluationError(Exception):
    """An evaluation rule was broken; the message is shown to the user as is."""


def grade(total: Decimal) -> Grade:
    """The grade of a weighted score: excellent ≥ 90, good ≥ 80, pass ≥ 60, else fail."""
    for floor, name in GRADE_FLOORS:
        if total >= floor:
            return name
    return Grade.fail


def _rates(ind: Indicators) -> dict[str, Decimal | None]:
    """Per weighted indicator, its 0–100 score before rounding (None: not applicable)."""
    def pct(value: Decimal | None) -> Decimal | None:
        return None if value is None else min(value, ONE) * HUNDRED
    # Complaints: 10 points off for each complaint per 10 deliveries (one in two: 50).
    complaints = (None if not ind.deliveries else
                  max(ZERO, HUNDRED - HUNDRED * Decimal(ind.complaints) / ind.deliveries))
    return {"delivery": pct(ind.delivery_rate), "households": pct(ind.households_rate),
            "satisfaction": pct(ind.satisfaction_rate),
            "on_time_acceptance": pct(ind.on_time_acceptance_rate),
            "on_time_delivery": pct(ind.on_time_delivery_rate),
            "budget_execution": pct(ind.budget_execution_rate), "complaints": complaints}


def check_weights(weights: Mapping[str, int | None]) -> dict[str, int]:
    """The weights as integers, every indicator present, none negative, adding up to 100.

    Raises:
        EvaluationError: a weight missing or negative, or the sum is not 100.
    """
    clean = {}
    for key in DEFAULT_WEIGHTS:
        value = weights.get(key)
        if value is None or int(value) != value or value < 0:
            raise EvaluationError(str(_l("Every weight must be a whole number from 0 to 100.")))
        clean[key] = int(value)
    total = sum(clean.values())
    if total != 100:
        raise EvaluationError(str(_l("The weights must add up to 100 (they add up to "
                                     "%(total)d).", total=total)))
    return clean


@dataclass(frozen=True)
class Score:
    #: Per indicator: its score 0–100 to two places, or None when it had no data.
    scores: dict[str, Decimal | None]
    total: Decimal
    grade: Grade


def score(ind: Indicators, weights: Mapping[str, int]) -> Score:
    """Weighted score of ``ind``: Σ weight × score / Σ weight over the indicators that could be
    measured (an indicator without data passes its weight on to the others in proportion)."""
    weights = check_weights(weights)
    raw = _rates(ind)
    used = {k: w for k, w in weights.items() if raw[k] is not None and w}
    weight_sum = sum(used.values())
    total = (sum((raw[k] * w for k, w in used.items()), ZERO) / weight_sum
             if weight_sum else ZERO)
    total = total.quantize(CENTS, rounding=ROUND_HALF_UP)
    scores = {k: None if v is None else v.quantize(CENTS, rounding=ROUND_HALF_UP)
              for k, v in raw.items()}
    return Score(scores, total, grade(total))


def _plain(values: Mapping[str, Decimal | None]) -> dict[str, str | None]:
    return {k: None if v is None else str(v) for k, v in values.items()}


def evaluate(actor: User, contract: Contract, weights: Mapping[str, int], comment: str = "",
             publish: bool = False, as_of: date | None = None) -> ContractEvaluation:
    """Store the officer's evaluation of ``contract`` with a snapshot of its indicators;
    flushes and records ``contract.evaluate``.

    Raises:
        EvaluationError: not an oversight officer (or admin) of the contract's region, a draft
            contract, or weights that break :func:`check_weights`.
    """
    if actor.role not in (Role.oversight, Role.admin) or not in_scope(actor, contract):
        raise EvaluationError(str(_l("Only the purchaser's oversight officers evaluate this "
                                     "contract.")))
    if contract.status not in EVALUABLE:
        raise EvaluationError(str(_l("A draft contract cannot be evaluated yet.")))
    weights = check_weights(weights)
    ind = indicators(contract, as_of)
    result = score(ind, weights)
    evaluation = ContractEvaluation(
        contract_id=contract.id, region_code=contract.region_code,
        provider_id=contract.provider_id, as_of=ind.as_of, indicators=ind.snapshot(),
        weights=weights, scores=_plain(result.scores), score=result.total, grade=result.grade,
        comment=(comment or "").strip(), evaluated_by_id=actor.id, published=bool(publish))
    db.session.add(evaluation)
    db.session.flush()
    record_event(actor, "contract.evaluate", contract,
                 after={"evaluation_id": evaluation.id, "score": str(result.total),
                        "grade": result.grade.value, "published": bool(publish),
                        "weights": weights, "as_of": ind.as_of.isoformat()})
    return evaluation


def publish(actor: User, evaluation: ContractEvaluation) -> ContractEvaluation:
    """Publish an evaluation saved earlier without publishing it; flushes and records
    ``contract.publish_evaluation``. Published evaluations stay published (a new evaluation
    replaces one on the public page: it shows the latest per contract).

    Raises:
        EvaluationError: not an oversight officer (or admin) of the contract's region, or
            already published.
    """
    contract = db.session.get(Contract, evaluation.contract_id)
    if actor.role not in (Role.oversight, Role.admin) or not in_scope(actor, contract):
        raise EvaluationError(str(_l("Only the purchaser's oversight officers evaluate this "
                                     "contract.")))
    if evaluation.published:
        raise EvaluationError(str(_l("This evaluation is already published.")))
    evaluation.published = True
    db.session.flush()
    record_event(actor, "contract.publish_evaluation", contract,
                 before={"published": False},
                 after={"evaluation_id": evaluation.id, "published": True})
    return evaluation


def history(contract: Contract) -> list[ContractEvaluation]:
    """The contract's evaluations, newest first."""
    return list(db.session.scalars(
        select(ContractEvaluation).where(ContractEvaluation.contract_id == contract.id)
        .order_by(ContractEvaluation.evaluated_at.desc(), ContractEvaluation.id.desc())))


class PublicEvaluation(NamedTuple):
    """What the provider's public page shows: no indicator detail, comment or officer."""

    contract_title: str
    as_of: date
    score: Decimal
    grade: Grade


def published_for(org_id: int) -> list[PublicEvaluation]:
    """The latest published evaluation of each of the organisation's contracts, newest
    first."""
    rows = db.session.execute(
        select(Contract.id, Contract.title, ContractEvaluation.as_of, ContractEvaluation.score,
               ContractEvaluation.grade)
        .join(Contract, Contract.id == ContractEvaluation.contract_id)
        .where(ContractEvaluation.provider_id == org_id, ContractEvaluation.published.is_(True))
        .order_by(ContractEvaluation.evaluated_at.desc(), ContractEvaluation.id.desc()))
    seen, found = set(), []
    for contract_id, title, as_of, total, name in rows:
        if contract_id not in seen:
            seen.add(contract_id)
            found.append(PublicEvaluation(title, as_of, total, name))
    return found


class ContractRow(NamedTuple):
    """One contract on the evaluations list and the dashboard card (plain data)."""

    id: int
    title: str
    provider: str
    region_code: str
    status: str
    period_start: date
    period_end: date
    budget: Decimal
    committed: Decimal
    consumed: Decimal
    units_contracted: Decimal
    units_delivered: Decimal
    delivery_rate: Decimal | None
    elapsed_share: Decimal
    committed_share: Decimal | None
    warnings: tuple[str, ...]
    #: The latest evaluation: (score, grade, published, as_of), or None.
    latest: tuple[Decimal, str, bool, date] | None


def _sums(query, ids: list[int]) -> dict[int, Decimal]:
    rows = db.session.execute(query.where(ContractLine.contract_id.in_(ids))
                              .group_by(ContractLine.contract_id))
    found = {k: Decimal(str(v)) for k, v in rows}
    return {i: found.get(i, ZERO) for i in ids}


#: Units delivered and the budget figures sum every delivery and allocation of the contracts:
#: 336,000 deliveries for the province's 483 contracts at Hunan scale, 1.1 s. They move
#: slowly, so the same set of contracts shares them for 5 minutes (the list says how old they
#: are); a contract's own evaluation page always computes them afresh.
DELIVERY_FIGURES = AreaFigures(ttl=300.0, clear_on_write=False)


def _delivery_figures(ids: list[int]) -> tuple[dict[int, Decimal], dict, float]:
    """(units delivered, contract_figures, time built) for the contracts ``ids``."""
    def build():
        delivered = _sums(select(
            ContractLine.contract_id, func.coalesce(func.sum(Delivery.quantity), 0))
            .join(Offer, Offer.contract_line_id == ContractLine.id)
            .join(Allocation, Allocation.offer_id == Offer.id)
            .join(Delivery, Delivery.allocation_id == Allocation.id), ids)
        return delivered, contract_figures(ids)
    (delivered, figures), built_at = DELIVERY_FIGURES.get(frozenset(ids), build)
    return delivered, figures, built_at


def overview(user: User, as_of: date | None = None,
             statuses: tuple[ContractStatus, ...] = EVALUABLE) -> list[ContractRow]:
    """The contracts ``user`` may see, with their delivery, budget and schedule figures and
    latest evaluation, contracts with warnings first (then by id). Grouped queries only."""
    return overview_dated(user, as_of, statuses)[0]


def overview_dated(user: User, as_of: date | None = None,
                   statuses: tuple[ContractStatus, ...] = EVALUABLE
                   ) -> tuple[list[ContractRow], datetime | None]:
    """:func:`overview` and the time its delivery and budget figures were computed (they are
    shared for up to 5 minutes: :data:`DELIVERY_FIGURES`); None when there is no contract."""
    as_of = as_of or date.today()
    contracts = list(db.session.scalars(
        select(Contract).where(scope_filter(Contract, user), Contract.status.in_(statuses))
        .options(joinedload(Contract.provider)).order_by(Contract.id)))
    ids = [c.id for c in contracts]
    if not ids:
        return [], None
    contracted = _sums(select(
        ContractLine.contract_id, func.coalesce(func.sum(ContractLine.quantity), 0)), ids)
    delivered, figures, built_at = _delivery_figures(ids)
    latest: dict[int, tuple] = {}
    for row in db.session.execute(
            select(ContractEvaluation.contract_id, ContractEvaluation.score,
                   ContractEvaluation.grade, ContractEvaluation.published,
                   ContractEvaluation.as_of)
            .where(ContractEvaluation.contract_id.in_(ids))
            .order_by(ContractEvaluation.evaluated_at, ContractEvaluation.id)):
        latest[row[0]] = (row[1], str(row[2]), bool(row[3]), row[4])
    rows = []
    for c in contracts:
        committed, consumed = figures[c.id]
        delivery_rate = rate(delivered[c.id], contracted[c.id])
        elapsed = elapsed_share(c.period_start, c.period_end, as_of)
        share = rate(committed, c.budget)
        flags = tuple(schedule_warnings(delivery_rate or ZERO, elapsed, share or ZERO))
        rows.append(ContractRow(c.id, c.title, c.provider.name, c.region_code, c.status.value,
                                c.period_start, c.period_end, c.budget, committed, consumed,
                                contracted[c.id], delivered[c.id], delivery_rate, elapsed,
                                share, flags, latest.get(c.id)))
    return (sorted(rows, key=lambda r: (not r.warnings, r.id)),
            datetime.fromtimestamp(built_at, UTC))


def contracts_with_warnings(user: User, limit: int = 10) -> list[ContractRow]:
    """Active contracts in ``user``'s scope that are behind schedule or near their budget
    (the officers' dashboard card)."""
    return warnings_dated(user, limit)[0]


def warnings_dated(user: User, limit: int = 10) -> tuple[list[ContractRow], datetime | None]:
    """:func:`contracts_with_warnings` and when their delivery figures were computed."""
    rows, figures_as_of = overview_dated(user, statuses=(ContractStatus.active,))
    return [r for r in rows if r.warnings][:limit], figures_as_of
