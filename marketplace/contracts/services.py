"""Government purchase of services: contracts, their budget arithmetic and life cycle.

A contract's lines (unit price × contracted quantity) must add up within its budget. When it
becomes active each line turns into a service offer of the provider (capacity = contracted
quantity, unit price = contract price, regions = the purchaser's region); the budget committed
and remaining is derived from those offers' allocations, the budget delivered (consumed) from
their recorded deliveries, visit by visit (``allocations.services.contract_figures``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from marketplace.accounts.models import Organization, Role, User
from marketplace.allocations.services import contract_figures
from marketplace.audit.services import record_event
from marketplace.catalog.models import ServiceType
from marketplace.catalog.vocab import LineKind
from marketplace.common.access import scope_filter, user_prefix
from marketplace.contracts.models import (
    TRANSITIONS,
    Contract,
    ContractLine,
    ContractStatus,
    ContractStatusChange,
    ContractTarget,
    TargetMetric,
)
from marketplace.extensions import db
from marketplace.offers.models import Offer, OfferStatus, can_operate
from marketplace.offers.services import withdraw_offer
from marketplace.regions.models import Region

ZERO = Decimal("0")
#: Share of the budget committed from which the contract page warns of overspending.
WARN_SHARE = Decimal("0.9")
#: Contracts that still bind a provider's capacity (for the overlap rule).
LIVE = (ContractStatus.draft, ContractStatus.signed, ContractStatus.active)


def money(value: Decimal) -> str:
    """A CNY amount with two decimals, for messages."""
    return f"{Decimal(value):.2f}"


class ContractError(Exception):
    """A contract rule was broken; the message is shown to the user as is."""


@dataclass
class LineData:
    service_type_id: int
    unit_price: Decimal
    quantity: Decimal


@dataclass
class ContractData:
    title: str
    region_code: str
    provider_id: int
    period_start: date
    period_end: date
    budget: Decimal
    lines: list[LineData]
    targets: dict[TargetMetric, Decimal] = field(default_factory=dict)
    overlap_reason: str = ""
    note: str = ""


@dataclass
class BudgetUse:
    """Budget figures of one contract: committed (allocations holding capacity) and delivered
    (consumed by recorded deliveries, a part of committed), both in CNY."""

    budget: Decimal
    committed: Decimal
    delivered: Decimal

    @property
    def remaining(self) -> Decimal:
        return self.budget - self.committed

    @property
    def share(self) -> Decimal:
        """Committed share of the budget, 0–1."""
        return self.committed / self.budget if self.budget else ZERO

    @property
    def percent(self) -> int:
        return int(self.share * 100)

    @property
    def warn(self) -> bool:
        return self.share >= WARN_SHARE


def budget_use(contracts: list[Contract]) -> dict[int, BudgetUse]:
    """Committed / delivered / remaining budget per contract (one query per figure)."""
    figures = contract_figures(c.id for c in contracts)
    return {c.id: BudgetUse(c.budget, *figures[c.id]) for c in contracts}


def _check_officer(actor: User, region_code: str) -> None:
    if actor.role not in (Role.oversight, Role.admin):
        raise ContractError(str(_l("Only oversight officers manage contracts.")))
    prefix = user_prefix(actor)
    if actor.role != Role.admin and not (prefix and region_code.startswith(prefix)):
        raise ContractError(str(_l("You can only buy services for your own region.")))


def overlapping(data: ContractData, exclude_id: int | None = None) -> list[Contract]:
    """Live contracts of the same provider, overlapping in period, sharing a service type."""
    types = [line.service_type_id for line in data.lines]
    query = (select(Contract).join(ContractLine)
             .where(Contract.provider_id == data.provider_id,
                    Contract.status.in_(LIVE),
                    Contract.period_start <= data.period_end,
                    Contract.period_end >= data.period_start,
                    ContractLine.service_type_id.in_(types))
             .distinct().order_by(Contract.id))
    if exclude_id is not None:
        query = query.where(Contract.id != exclude_id)
    return list(db.session.scalars(query))


def _validate(actor: User, data: ContractData, exclude_id: int | None = None) -> None:
    if not data.title.strip():
        raise ContractError(str(_l("Give the contract a title.")))
    if db.session.get(Region, data.region_code) is None:
        raise ContractError(str(_l("Unknown region code.")))
    _check_officer(actor, data.region_code)
    provider = db.session.get(Organization, data.provider_id)
    if provider is None or not can_operate(provider):
        raise ContractError(str(_l("The provider must be a verified organisation that is not "
                                   "suspended.")))
    if data.period_end < data.period_start:
        raise ContractError(str(_l("The contract cannot end before it starts.")))
    if data.budget is None or data.budget <= 0:
        raise ContractError(str(_l("The budget must be greater than zero.")))
    if not data.lines:
        raise ContractError(str(_l("Add at least one service line.")))
    seen = set()
    for line in data.lines:
        service = db.session.get(ServiceType, line.service_type_id)
        if service is None:
            raise ContractError(str(_l("Choose service types from the catalogue.")))
        if line.service_type_id in seen:
            raise ContractError(str(_l("Each service type may appear only once.")))
        seen.add(line.service_type_id)
        if line.unit_price is None or line.unit_price <= 0 or line.quantity is None \
                or line.quantity <= 0:
            raise ContractError(str(_l("Unit prices and quantities must be greater than zero.")))
    total = sum((line.unit_price * line.quantity for line in data.lines), ZERO)
    if total > data.budget:
        raise ContractError(str(_l(
            "The lines add up to %(total)s CNY, more than the budget of %(budget)s CNY.",
            total=money(total), budget=money(data.budget))))
    for metric, value in data.targets.items():
        if value < 0 or (metric == TargetMetric.satisfaction_rate and value > 100):
            raise ContractError(str(_l("Targets cannot be negative; a rate is at most 100%%.")))
    clash = overlapping(data, exclude_id)
    if clash and not data.overlap_reason.strip():
        raise ContractError(str(_l(
            "This provider already has a contract for the same service in an overlapping "
            "period (%(titles)s). Give a written reason for the overlap.",
            titles="、".join(c.title for c in clash))))


def _apply(contract: Contract, data: ContractData) -> None:
    contract.title = data.title.strip()
    contract.region_code = data.region_code
    contract.provider_id = data.provider_id
    contract.period_start = data.period_start
    contract.period_end = data.period_end
    contract.budget = data.budget
    contract.overlap_reason = data.overlap_reason.strip()
    contract.note = data.note.strip()
    contract.lines = [ContractLine(service_type_id=line.service_type_id,
                                   unit_price=line.unit_price, quantity=line.quantity)
                      for line in data.lines]
    contract.targets = [ContractTarget(metric=metric, target=value)
                        for metric, value in data.targets.items() if value is not None]


def _summary(contract: Contract) -> dict:
    return {"title": contract.title, "region_code": contract.region_code,
            "provider_id": contract.provider_id, "budget": str(contract.budget),
            "period": f"{contract.period_start}..{contract.period_end}",
            "lines": [[line.service_type_id, str(line.unit_price), str(line.quantity)]
                      for line in contract.lines],
            "status": contract.status.value}


def build_contract(actor: User, data: ContractData) -> Contract:
    """Check ``data`` and return a new, unsaved draft contract (no audit: see create_contract).

    Raises:
        ContractError: the data break a rule.
    """
    _validate(actor, data)
    contract = Contract(created_by_id=actor.id, status=ContractStatus.draft)
    _apply(contract, data)
    contract.history.append(ContractStatusChange(from_status=None,
                                                 to_status=ContractStatus.draft,
                                                 actor_id=actor.id))
    return contract


def create_contract(actor: User, data: ContractData) -> Contract:
    """An oversight officer drafts a purchase contract for a region in their scope."""
    contract = build_contract(actor, data)
    db.session.add(contract)
    db.session.flush()
    record_event(actor, "contract.create", contract, after=_summary(contract))
    return contract


def update_contract(actor: User, contract: Contract, data: ContractData) -> Contract:
    """Change a draft contract (signed contracts are fixed)."""
    if contract.status != ContractStatus.draft:
        raise ContractError(str(_l("Only draft contracts can be changed.")))
    _check_officer(actor, contract.region_code)
    _validate(actor, data, exclude_id=contract.id)
    before = _summary(contract)
    contract.lines.clear()
    contract.targets.clear()
    db.session.flush()  # delete the old lines first: (contract, service type) is unique
    _apply(contract, data)
    db.session.flush()
    record_event(actor, "contract.update", contract, before=before, after=_summary(contract))
    return contract


def transition(actor: User, contract: Contract, to: ContractStatus, note: str = "") -> None:
    """Move a contract along draft → signed → active → ended, or terminate it.

    Activating creates one open service offer per line; ending or terminating withdraws them
    (allocations already made stay, so work in progress can be finished and recorded).
    """
    _check_officer(actor, contract.region_code)
    contract = db.session.scalar(select(Contract).where(Contract.id == contract.id)
                                 .with_for_update())
    if to not in TRANSITIONS[contract.status]:
        raise ContractError(str(_l("A contract that is %(now)s cannot become %(to)s.",
                                   now=contract.status.value, to=to.value)))
    if to == ContractStatus.terminated and not note.strip():
        raise ContractError(str(_l("Give a reason for terminating the contract.")))
    if to in (ContractStatus.signed, ContractStatus.active):
        if not can_operate(contract.provider):
            raise ContractError(str(_l("The provider is not verified or is suspended.")))
        if contract.lines_total > contract.budget:
            raise ContractError(str(_l("The lines add up to more than the budget.")))
    if to == ContractStatus.active:
        if contract.period_end < date.today():
            raise ContractError(str(_l("The contract period is already over.")))
        _open_offers(actor, contract)
    if to in (ContractStatus.ended, ContractStatus.terminated):
        for offer in contract_offers(contract):
            if offer.status != OfferStatus.withdrawn:
                withdraw_offer(actor, offer, note=f"contract {to.value}", system=True)
    before = contract.status
    contract.status = to
    contract.history.append(ContractStatusChange(from_status=before, to_status=to,
                                                 actor_id=actor.id, note=note.strip()))
    db.session.flush()
    record_event(actor, f"contract.{_VERBS[to]}", contract, before={"status": before.value},
                 after={"status": to.value}, note=note.strip())


_VERBS = {ContractStatus.signed: "sign", ContractStatus.active: "activate",
          ContractStatus.ended: "end", ContractStatus.terminated: "terminate",
          ContractStatus.draft: "draft"}


def _open_offers(actor: User, contract: Contract) -> None:
    for offer in build_contract_offers(contract, actor.id):
        db.session.add(offer)
        db.session.flush()
        record_event(actor, "offer.create", offer, note=f"contract {contract.id}",
                     after={"contract_line_id": offer.contract_line_id,
                            "capacity": str(offer.capacity)})


def build_contract_offers(contract: Contract, actor_id: int | None) -> list[Offer]:
    """One open service offer per contract line (unsaved): capacity = contracted quantity,
    unit price = contract price, regions = the purchaser's region, valid for the period."""
    offers = []
    for line in contract.lines:
        service = line.service_type or db.session.get(ServiceType, line.service_type_id)
        offers.append(Offer(
            organization_id=contract.provider_id, kind=LineKind.services,
            category=service.category, service_type_id=service.id, capacity=line.quantity,
            regions=[contract.region_code],
            # What the provider's verified profile lists, else what the service requires.
            qualifications=list(getattr(contract.provider, "qualifications", None)
                                or service.qualifications or []),
            groups=[], categories=[], unit_price=line.unit_price,
            valid_from=max(contract.period_start, date.today()),
            valid_until=contract.period_end, status=OfferStatus.open,
            contract_line_id=line.id, created_by_id=actor_id,
            note=contract.title))
    return offers


def contract_offers(contract: Contract) -> list[Offer]:
    """The service offers generated from the contract's lines."""
    return list(db.session.scalars(
        select(Offer).join(ContractLine, Offer.contract_line_id == ContractLine.id)
        .where(ContractLine.contract_id == contract.id).order_by(Offer.id)))


@dataclass
class ContractFilters:
    status: ContractStatus | None = None
    provider_id: int | None = None
    period_from: date | None = None
    period_to: date | None = None


@dataclass
class ContractTotals:
    count: int
    budget: Decimal
    committed: Decimal
    delivered: Decimal

    @property
    def remaining(self) -> Decimal:
        return self.budget - self.committed


def _filtered(actor: User, filters: ContractFilters):
    query = select(Contract).where(scope_filter(Contract, actor))
    if filters.status:
        query = query.where(Contract.status == filters.status)
    if filters.provider_id:
        query = query.where(Contract.provider_id == filters.provider_id)
    if filters.period_from:
        query = query.where(Contract.period_end >= filters.period_from)
    if filters.period_to:
        query = query.where(Contract.period_start <= filters.period_to)
    return query


def list_contracts(actor: User, filters: ContractFilters, page: int = 1, per_page: int = 20):
    """The contracts ``actor`` may see (purchaser region or own organisation), filtered."""
    return db.paginate(_filtered(actor, filters).order_by(Contract.period_start.desc(),
                                                          Contract.id.desc()),
                       page=page, per_page=per_page, error_out=False)


def contract_totals(actor: User, filters: ContractFilters) -> ContractTotals:
    """Totals over every contract matching the filters (not just the page shown)."""
    ids = list(db.session.scalars(_filtered(actor, filters).with_only_columns(Contract.id)))
    budget = db.session.scalar(select(func.coalesce(func.sum(Contract.budget), 0))
                               .where(Contract.id.in_(ids))) if ids else 0
    figures = contract_figures(ids).values()
    return ContractTotals(len(ids), Decimal(budget),
                          sum((c for c, _d in figures), ZERO), sum((d for _c, d in figures), ZERO))


def providers_in_scope(actor: User) -> list[Organization]:
    """Organisations that may be contracted (verified), for the officer's forms and filters."""
    orgs = db.session.scalars(select(Organization).order_by(Organization.name))
    return [o for o in orgs if can_operate(o)]


def provider_contracts(organization_id: int) -> list[Contract]:
    """The organisation's signed and active contracts (dashboard)."""
    return list(db.session.scalars(
        select(Contract).where(Contract.provider_id == organization_id,
                               Contract.status.in_((ContractStatus.signed,
                                                    ContractStatus.active)))
        .order_by(Contract.period_end)))


def active_contracts_query(actor: User):
    """Active contracts ``actor`` may see (for the officers' dashboard card)."""
    return select(Contract).where(scope_filter(Contract, actor),
                                  Contract.status == ContractStatus.active).order_by(Contract.id)
