"""Allocation rules: pledges, derived capacity/need/budget figures, contract consumption.

Everything "remaining" is computed from the allocations, never stored: remaining capacity of an
offer = capacity − Σ committing allocations; remaining need of a line = quantity − Σ committing
allocations; contract budget committed = Σ committing allocations × contract unit price;
contract budget consumed = Σ recorded deliveries × contract unit price (a part of committed).
Writers lock the rows they check (``with_for_update``: real on PostgreSQL) so two concurrent
pledges cannot both take the last unit or the last yuan of a budget.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from marketplace.accounts.models import Organization, Role, User
from marketplace.allocations.models import (
    COMMITTING,
    OPEN,
    WAITING,
    Allocation,
    AllocationSource,
    AllocationStatus,
    Delivery,
)
from marketplace.audit.services import record_event
from marketplace.catalog.vocab import LineKind
from marketplace.contracts.models import Contract, ContractLine
from marketplace.extensions import db
from marketplace.needs.models import BOARD_STATUSES, LineStatus, Need, NeedLine
from marketplace.offers.models import Offer, OfferStatus, can_operate, is_expired
from marketplace.regions.models import scope_prefix

ZERO = Decimal("0.00")


class AllocationError(Exception):
    """A pledge or allocation rule was broken; the message is shown to the user as is."""


def _sum_by(key, ids: Iterable[int], *where) -> dict[int, Decimal]:
    ids = list(set(ids))
    if not ids:
        return {}
    rows = db.session.execute(
        select(key, func.coalesce(func.sum(Allocation.quantity), 0))
        .where(key.in_(ids), Allocation.status.in_(list(COMMITTING)), *where)
        .group_by(key))
    found = {k: Decimal(v) for k, v in rows}
    return {i: found.get(i, ZERO) for i in ids}


def committed_by_offer(offer_ids: Iterable[int]) -> dict[int, Decimal]:
    """Σ quantity of committing allocations per offer (0 for offers without any)."""
    return _sum_by(Allocation.offer_id, offer_ids)


def covered_by_line(line_ids: Iterable[int]) -> dict[int, Decimal]:
    """Σ quantity of committing allocations per need line (0 for lines without any)."""
    return _sum_by(Allocation.need_line_id, line_ids)


def remaining_capacity(offer: Offer) -> Decimal:
    """Capacity not yet committed to any line."""
    return offer.capacity - committed_by_offer([offer.id])[offer.id]


def open_allocation_count(offer: Offer) -> int:
    """Allocations still in progress (pledged, proposed, accepted) on ``offer``."""

    return db.session.scalar(select(func.count(Allocation.id)).where(
        Allocation.offer_id == offer.id, Allocation.status.in_(list(OPEN))))


def contract_figures(contract_ids: Iterable[int]) -> dict[int, tuple[Decimal, Decimal]]:
    """Per contract: (budget committed, budget consumed by deliveries) in CNY.

    Committed = Σ quantity × contract unit price over the allocations that hold capacity
    (delivered ones included): what the remaining budget, pledges and matching runs see.
    Consumed = Σ quantity × contract unit price over the recorded deliveries, visit by visit.
    A delivery never exceeds its allocation (``flow.record_delivery``) and an allocation with
    deliveries is never released, so consumed is a part of committed, never added to it.
    """
    ids = list(set(contract_ids))
    if not ids:
        return {}
    committed = dict(db.session.execute(
        select(ContractLine.contract_id,
               func.coalesce(func.sum(Allocation.quantity * ContractLine.unit_price), 0))
        .join(Offer, Offer.contract_line_id == ContractLine.id)
        .join(Allocation, Allocation.offer_id == Offer.id)
        .where(ContractLine.contract_id.in_(ids), Allocation.status.in_(list(COMMITTING)))
        .group_by(ContractLine.contract_id)).all())
    consumed = dict(db.session.execute(
        select(ContractLine.contract_id,
               func.coalesce(func.sum(Delivery.quantity * ContractLine.unit_price), 0))
        .join(Offer, Offer.contract_line_id == ContractLine.id)
        .join(Allocation, Allocation.offer_id == Offer.id)
        .join(Delivery, Delivery.allocation_id == Allocation.id)
        .where(ContractLine.contract_id.in_(ids))
        .group_by(ContractLine.contract_id)).all())
    cents = Decimal("0.01")  # PostgreSQL returns products with four decimals
    return {i: (Decimal(committed.get(i, 0)).quantize(cents),
                Decimal(consumed.get(i, 0)).quantize(cents)) for i in ids}


def offer_serves_region(offer: Offer, region_code: str | None) -> bool:
    """The prefix rule: an offer region serves its whole subtree; no regions = everywhere."""
    if not offer.regions:
        return True
    return bool(region_code) and any(
        region_code.startswith(scope_prefix(code)) for code in offer.regions)


def incompatibility(offer: Offer, line: NeedLine, today: date) -> str | None:
    """Why ``offer`` cannot serve ``line`` (a user-facing message), or None when it can."""
    need = line.need
    if offer.kind != line.kind:
        return str(_l("This offer is of another kind than the need."))
    if offer.kind == LineKind.funds:
        if offer.categories and line.category not in offer.categories:
            return str(_l("The donor restricted these funds to other categories."))
    elif offer.category != line.category:
        return str(_l("This offer is for another category."))
    if offer.kind == LineKind.goods and line.goods_item_id and \
            offer.goods_item_id != line.goods_item_id:
        return str(_l("This offer is for another item."))
    if offer.kind == LineKind.services and line.service_type_id and \
            offer.service_type_id != line.service_type_id:
        return str(_l("This offer is for another service."))
    if not offer_serves_region(offer, need.region_code):
        return str(_l("This offer does not cover the region of the need."))
    missing = set(line.requires or []) - set(offer.qualifications or [])
    if missing:
        return str(_l("The staff of this offer lack a required qualification."))
    if offer.groups:
        household_groups = set(getattr(need.household, "groups", None) or [])
        if not household_groups & set(offer.groups):
            return str(_l("The donor restricted this offer to groups the household is not in."))
    if offer.valid_from > today or is_expired(offer, today):
        return str(_l("This offer is not valid today."))
    end = offer.ends_on()
    if line.window_start is not None and end is not None and end < line.window_start:
        return str(_l("This offer ends before the service is needed."))
    if line.window_end is not None and offer.valid_from > line.window_end:
        return str(_l("This offer starts after the service is needed."))
    return None


def _lock(model, ident):
    return db.session.scalar(
        select(model).where(model.id == ident).with_for_update().execution_options(
            populate_existing=True))


def _check_actor(actor: User, offer: Offer) -> None:
    if actor.role == Role.admin:
        return
    if actor.role != Role.provider_staff or actor.organization_id != offer.organization_id:
        raise AllocationError(str(_l("Only staff of the offering organisation can pledge it.")))


def pledge(actor: User, offer: Offer, line: NeedLine, quantity: Decimal) -> Allocation:
    """Promise ``quantity`` of ``offer`` to ``line``; flush and return the allocation.

    Locks the offer, its contract (if any) and the line, then checks, in order: who acts, the
    organisation may operate, the offer is open and compatible, the quantity is positive and
    within the remaining capacity, the remaining need and the contract budget.

    Raises:
        AllocationError: a rule was broken (nothing is written).
    """
    _check_actor(actor, offer)
    quantity = Decimal(quantity)
    if not quantity.is_finite() or quantity <= 0:
        raise AllocationError(str(_l("Enter a quantity greater than zero.")))
    offer = _lock(Offer, offer.id)
    contract = contract_line = None
    if offer.contract_line_id is not None:
        contract_line = db.session.get(ContractLine, offer.contract_line_id)
        contract = _lock(Contract, contract_line.contract_id)
    line = _lock(NeedLine, line.id)
    if not can_operate(db.session.get(Organization, offer.organization_id)):
        raise AllocationError(str(_l("Your organisation is not verified or is suspended, so it "
                                     "cannot offer or accept.")))
    if offer.status != OfferStatus.open:
        raise AllocationError(str(_l("Only open offers can be pledged.")))
    if contract is not None and contract.status != "active":
        raise AllocationError(str(_l("The contract behind this offer is not active.")))
    need = db.session.get(Need, line.need_id)
    if need.status not in BOARD_STATUSES or line.status != LineStatus.open:
        raise AllocationError(str(_l("This need is not open for pledges.")))
    reason = incompatibility(offer, line, date.today())
    if reason:
        raise AllocationError(reason)
    left = remaining_capacity(offer)
    if quantity > left:
        raise AllocationError(str(_l("Only %(left)s %(unit)s of this offer remain.",
                                     left=left, unit=offer.unit)))
    need_left = line.quantity - covered_by_line([line.id])[line.id]
    if quantity > need_left:
        raise AllocationError(str(_l("Only %(left)s are still needed on this line.",
                                     left=need_left)))
    if contract is not None:
        committed, _delivered = contract_figures([contract.id])[contract.id]
        cost = quantity * contract_line.unit_price
        if committed + cost > contract.budget:
            raise AllocationError(str(_l(
                "This would exceed the contract budget: %(left)s CNY remain, this pledge costs "
                "%(cost)s CNY.", left=f"{contract.budget - committed:.2f}", cost=f"{cost:.2f}")))
    allocation = Allocation(
        offer_id=offer.id, need_line_id=line.id, quantity=quantity,
        status=AllocationStatus.pledged, source=AllocationSource.pledge,
        organization_id=offer.organization_id, region_code=need.region_code,
        created_by_id=actor.id)
    db.session.add(allocation)
    db.session.flush()
    record_event(actor, "allocation.pledge", allocation,
                 after={"offer_id": offer.id, "need_line_id": line.id,
                        "quantity": str(quantity)})
    return allocation


def cancel(actor: User, allocation: Allocation, note: str = "") -> None:
    """The provider takes back a pledge that is not yet delivered (no delivery recorded);
    the need line goes back on the board."""
    from marketplace.needs.services import refresh_match_status  # needs imports this module

    if actor.role != Role.admin and actor.organization_id != allocation.organization_id:
        raise AllocationError(str(_l("Only the pledging organisation can cancel this.")))
    if allocation.status not in (AllocationStatus.pledged, AllocationStatus.proposed,
                                 AllocationStatus.accepted):
        raise AllocationError(str(_l("Only allocations not yet delivered can be cancelled.")))
    if db.session.scalar(select(Delivery.id).where(Delivery.allocation_id == allocation.id)
                         .limit(1)) is not None:
        raise AllocationError(str(_l("Deliveries were recorded on this allocation: it can no "
                                     "longer be cancelled.")))
    before = allocation.status.value
    allocation.status = AllocationStatus.cancelled
    allocation.note = note.strip()
    db.session.flush()
    record_event(actor, "allocation.cancel", allocation, before={"status": before},
                 after={"status": "cancelled"}, note=note.strip())
    refresh_match_status(actor, db.session.get(NeedLine, allocation.need_line_id).need)


def record_contract_consumption(actor: User | None, delivery: Delivery) -> Decimal:
    """The units of one recorded delivery of a contract service consume the contract budget:
    unit price × delivered quantity, in CNY (returned). Called by ``flow.record_delivery`` in
    the same transaction, after the delivery is flushed: the consumption *is* the delivery
    row (``contract_figures`` sums them), so the two cannot come apart.

    Locks the contract row first, so concurrent deliveries against one contract are counted
    one after the other and the consumed total can never pass the budget.

    Raises:
        AllocationError: the delivery's allocation is not paid from a contract, or the
            delivery would take the consumed total above the budget (the caller rolls back).
    """
    allocation = db.session.get(Allocation, delivery.allocation_id)
    offer = db.session.get(Offer, allocation.offer_id)
    if offer.contract_line_id is None:
        raise AllocationError(str(_l("This allocation is not paid from a contract.")))
    line = db.session.get(ContractLine, offer.contract_line_id)
    contract = _lock(Contract, line.contract_id)
    cost = (delivery.quantity * line.unit_price).quantize(Decimal("0.01"))
    _committed, consumed = contract_figures([contract.id])[contract.id]  # includes this one
    if consumed > contract.budget:
        left = max(contract.budget - (consumed - cost), ZERO)
        raise AllocationError(str(_l(
            "This delivery would exceed the contract budget: %(left)s CNY remain, it costs "
            "%(cost)s CNY.", left=f"{left:.2f}", cost=f"{cost:.2f}")))
    record_event(actor, "contract.consume", contract,
                 after={"cost": str(cost), "delivery_id": delivery.id,
                        "allocation_id": allocation.id, "consumed": str(consumed)})
    return cost


def open_offers_for_line(organization: Organization, line: NeedLine) -> list[Offer]:
    """The organisation's open offers that can serve ``line`` and have capacity left."""
    if not can_operate(organization):
        return []
    offers = list(db.session.scalars(
        select(Offer).where(Offer.organization_id == organization.id,
                            Offer.status == OfferStatus.open, Offer.kind == line.kind)
        .order_by(Offer.id)))
    committed = committed_by_offer(o.id for o in offers)
    today = date.today()
    return [o for o in offers if o.capacity - committed[o.id] > 0
            and incompatibility(o, line, today) is None]


def usable_offers(today: date | None = None) -> list[tuple[Offer, Decimal]]:
    """Every offer that can take allocations now, with its remaining capacity.

    Open, valid today, remaining capacity above zero, organisation verified and not
    suspended, and (for contract offers) the contract active. This is the supply the
    optimiser may use; offers outside it are left out, so expired goods stop being offered.
    """
    today = today or date.today()
    offers = list(db.session.scalars(
        select(Offer).outerjoin(ContractLine, Offer.contract_line_id == ContractLine.id)
        .outerjoin(Contract, ContractLine.contract_id == Contract.id)
        .where(Offer.status == OfferStatus.open, Offer.valid_from <= today,
               (Contract.id.is_(None)) | (Contract.status == "active"))
        .order_by(Offer.id)))
    committed = committed_by_offer(o.id for o in offers)
    orgs: dict[int, bool] = {}
    usable = []
    for offer in offers:
        if offer.organization_id not in orgs:
            orgs[offer.organization_id] = can_operate(
                db.session.get(Organization, offer.organization_id))
        left = offer.capacity - committed[offer.id]
        if left > 0 and orgs[offer.organization_id] and not is_expired(offer, today):
            usable.append((offer, left))
    return usable


def waiting_for(organization_id: int, limit: int = 20) -> list[Allocation]:
    """Pledged or proposed allocations of an organisation, oldest first."""

    return list(db.session.scalars(
        select(Allocation).where(Allocation.organization_id == organization_id,
                                 Allocation.status.in_(list(WAITING)))
        .order_by(Allocation.created_at).limit(limit)))
