"""After an allocation is made: the provider accepts or declines it, then records deliveries.

How the two sources fit one flow:

* An allocation the optimiser **proposed** (source "matching") waits for its provider until
  ``respond_by``. The provider accepts it (status accepted) or declines it with a reason;
  nobody answering in time makes it expire (:func:`expire_overdue`, run every minute by the
  job worker). Declined and expired allocations stop counting (``models.RELEASED``): their
  capacity, budget and need return to the pool, and the need line goes back on the board
  (``needs.services.refresh_match_status``), ready for the next run.
* A **pledge** made on the board is the provider's own offer, so it counts as accepted from
  the start: it never waits for acceptance and never expires; it can be delivered at once
  (and cancelled while nothing is delivered, ``services.cancel``).

Deliveries: against a pledged or accepted allocation, any number of them (visits, instalments)
up to the allocated quantity; when the deliveries reach it, the allocation becomes delivered.
For contract services each delivery consumes the contract budget for the units it delivered
(``services.record_contract_consumption``, in the same transaction). A form carries a
one-time key (``Delivery.form_key``): sending the same form twice records one delivery.
For funds, the delivery is the payment: a :class:`Payment` record (amount, date, channel,
reference) is written with it for the disbursement ledger.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from marketplace.accounts.models import Organization, Role, User
from marketplace.allocations.models import (
    Allocation,
    AllocationStatus,
    Delivery,
    Payment,
)
from marketplace.allocations.notify import acceptance_overdue, delivery_to_confirm
from marketplace.allocations.services import (
    ZERO,
    AllocationError,
    _lock,
    record_contract_consumption,
)
from marketplace.audit.services import record_event
from marketplace.catalog.vocab import LineKind
from marketplace.common.access import scope_filter
from marketplace.common.models import utcnow
from marketplace.extensions import db
from marketplace.needs.models import Need, NeedLine
from marketplace.needs.services import refresh_match_status
from marketplace.offers.models import Offer, can_operate

#: Allocations a delivery may be recorded against (a pledge counts as accepted).
DELIVERABLE = (AllocationStatus.pledged, AllocationStatus.accepted)

CENTS = Decimal("0.01")

#: How many overdue allocations one expiry pass handles (one transaction).
EXPIRY_BATCH = 200

#: How a funds payment was made (a small vocabulary; labels in the views).
PAYMENT_CHANNELS = ("bank_transfer", "mobile_payment", "cash", "cheque")


class DeliveryError(AllocationError):
    """A delivery rule about one field of the form (``field``: its name), so the page can show
    the message next to what has to change."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


def _check_provider(actor: User, allocation: Allocation) -> None:
    if actor.role != Role.provider_staff or actor.organization_id != allocation.organization_id:
        raise AllocationError(str(_l("Only staff of the allocated organisation can do this.")))


def _not_waiting(allocation: Allocation) -> AllocationError:
    messages = {
        AllocationStatus.accepted: _l("This allocation was already accepted."),
        AllocationStatus.pledged: _l("This is your own pledge: it needs no acceptance."),
        AllocationStatus.declined: _l("This allocation was already declined."),
        AllocationStatus.expired: _l("The time to answer has passed: this allocation expired."),
        AllocationStatus.cancelled: _l("This allocation was cancelled."),
    }
    message = messages.get(allocation.status,
                           _l("This allocation is no longer waiting for an answer."))
    return AllocationError(str(message))


def answer_problem(allocation: Allocation, now: datetime | None = None) -> str | None:
    """Why the provider can no longer accept or decline ``allocation`` (a message), or None
    while it waits for the answer in time (the decline page shows it instead of the form)."""
    if allocation.status != AllocationStatus.proposed:
        return str(_not_waiting(allocation))
    if allocation.respond_by is not None and allocation.respond_by < (now or utcnow()):
        return str(_l("The time to answer has passed: this allocation can no longer be "
                      "accepted."))
    return None


def delivery_problem(allocation: Allocation) -> str | None:
    """Why no delivery can be recorded against ``allocation`` now (a message), or None."""
    if allocation.status == AllocationStatus.proposed:
        return str(_l("Accept the allocation before recording a delivery."))
    if allocation.status not in DELIVERABLE:
        return str(_l("This allocation is not open for deliveries."))
    return None


def _answerable(actor: User, allocation: Allocation, now: datetime) -> Allocation:
    """Lock the allocation and check it waits for this provider's answer, in time."""
    _check_provider(actor, allocation)
    allocation = _lock(Allocation, allocation.id)
    problem = answer_problem(allocation, now)
    if problem:
        raise AllocationError(problem)
    return allocation


def is_overdue(allocation: Allocation, now: datetime | None = None) -> bool:
    """A proposed allocation whose answer deadline has passed (the inbox flags it)."""
    return (allocation.status == AllocationStatus.proposed and allocation.respond_by is not None
            and allocation.respond_by < (now or utcnow()))


def accept(actor: User, allocation: Allocation, now: datetime | None = None) -> Allocation:
    """The provider accepts a proposed allocation before its deadline; flushes, audits.

    Raises:
        AllocationError: another organisation, not proposed (accepted twice, declined,
            expired...), past ``respond_by``, or the organisation may not operate.
    """
    allocation = _answerable(actor, allocation, now or utcnow())
    if not can_operate(db.session.get(Organization, allocation.organization_id)):
        raise AllocationError(str(_l("Your organisation is not verified or is suspended, so it "
                                     "cannot offer or accept.")))
    allocation.status = AllocationStatus.accepted
    allocation.responded_at = now or utcnow()
    db.session.flush()
    record_event(actor, "allocation.accept", allocation, before={"status": "proposed"},
                 after={"status": "accepted"})
    return allocation


def _release(actor: User | None, allocation: Allocation, status: AllocationStatus,
             action: str, note: str = "") -> None:
    """Set a released status (audited); the caller puts the need lines back in the pool."""
    before = allocation.status.value
    allocation.status = status
    db.session.flush()
    record_event(actor, action, allocation, before={"status": before},
                 after={"status": status.value}, note=note)


def _refresh_needs(actor: User | None, line_ids) -> None:
    """Recompute the match status of the needs of these lines, each need once."""
    need_ids = db.session.scalars(select(NeedLine.need_id).where(
        NeedLine.id.in_(sorted(set(line_ids)))).distinct())
    for need_id in sorted(need_ids):
        refresh_match_status(actor, db.session.get(Need, need_id))


def decline(actor: User, allocation: Allocation, reason: str,
            now: datetime | None = None) -> Allocation:
    """The provider declines a proposed allocation, giving a reason (required).

    The allocation stops holding capacity and budget; the need line returns to the board.

    Raises:
        AllocationError: no reason, another organisation, not proposed, or past the deadline.
    """
    reason = (reason or "").strip()
    if not reason:
        raise AllocationError(str(_l("Give the reason for declining.")))
    allocation = _answerable(actor, allocation, now or utcnow())
    allocation.decline_reason = reason
    allocation.responded_at = now or utcnow()
    _release(actor, allocation, AllocationStatus.declined, "allocation.decline", reason)
    _refresh_needs(actor, [allocation.need_line_id])
    return allocation


def expire_overdue(now: datetime | None = None, limit: int = EXPIRY_BATCH) -> int:
    """Expire proposed allocations whose ``respond_by`` has passed, the longest overdue
    first, at most ``limit`` of them; return how many.

    Each one frees its capacity, puts its need line back in the pool, is audited (no actor:
    the system did it) and notifies the run's creator (or, without one, the county's
    reviewers) with ``acceptance_overdue``. Flushes; the caller (the job worker, every
    minute) commits. The limit keeps each transaction short (measured 8-21 ms an allocation on
    SQLite and PostgreSQL, shared machine): a larger backlog is worked off over the next
    minutes.
    """
    now = now or utcnow()
    overdue = list(db.session.scalars(
        select(Allocation).where(Allocation.status == AllocationStatus.proposed,
                                 Allocation.respond_by.is_not(None),
                                 Allocation.respond_by < now)
        .order_by(Allocation.respond_by, Allocation.id).limit(limit).with_for_update()))
    for allocation in overdue:
        _release(None, allocation, AllocationStatus.expired, "allocation.expire")
        acceptance_overdue(allocation)
    _refresh_needs(None, [a.need_line_id for a in overdue])
    return len(overdue)


def delivered_by_allocation(allocation_ids) -> dict[int, Decimal]:
    """Σ delivered quantity per allocation (every recorded delivery counts: a problem the
    caseworker records is followed up, not undone)."""
    ids = list(set(allocation_ids))
    if not ids:
        return {}
    rows = db.session.execute(
        select(Delivery.allocation_id, func.coalesce(func.sum(Delivery.quantity), 0))
        .where(Delivery.allocation_id.in_(ids)).group_by(Delivery.allocation_id))
    found = {k: Decimal(v) for k, v in rows}
    return {i: found.get(i, ZERO) for i in ids}


@dataclass(frozen=True)
class DeliveryInput:
    """What the provider enters; ``channel``/``reference`` only for funds (the payment)."""

    delivered_on: date
    quantity: Decimal
    note: str = ""
    form_key: str | None = None
    channel: str = ""
    reference: str = ""


@dataclass(frozen=True)
class Recorded:
    delivery: Delivery
    #: False when the same form (``form_key``) had already recorded this delivery.
    new: bool


def record_delivery(actor: User, allocation: Allocation, data: DeliveryInput,
                    today: date | None = None) -> Recorded:
    """Record one delivery (or visit, or payment) against a pledged or accepted allocation.

    Idempotent: a ``form_key`` already used returns the delivery it recorded (``new`` False).
    When the deliveries reach the allocated quantity the allocation becomes delivered. For a
    contract service the delivery consumes unit price × quantity of the contract budget at
    once. Notifies the county's caseworkers. May flush the delivery before refusing it (the
    contract budget check): the caller rolls back on AllocationError.

    Raises:
        AllocationError: another organisation, wrong state, a date in the future, a quantity
            not above zero or above what remains to deliver, (funds) no known channel, or
            (contract services) the contract budget would be exceeded.
    """
    _check_provider(actor, allocation)
    today = today or date.today()
    allocation = _lock(Allocation, allocation.id)
    if data.form_key:
        done = db.session.scalar(select(Delivery).where(Delivery.form_key == data.form_key))
        if done is not None:
            if done.allocation_id != allocation.id:
                raise AllocationError(str(_l("This form was already used for another "
                                             "allocation.")))
            return Recorded(done, False)
    problem = delivery_problem(allocation)
    if problem:
        raise AllocationError(problem)
    if data.delivered_on > today:
        raise DeliveryError(str(_l("The delivery date cannot be in the future.")),
                            "delivered_on")
    quantity = Decimal(data.quantity)
    if not quantity.is_finite() or quantity <= 0:
        raise DeliveryError(str(_l("Enter a quantity greater than zero.")), "quantity")
    quantity = quantity.quantize(CENTS)  # stored with two places, like every quantity
    if quantity <= 0:
        raise DeliveryError(str(_l("Enter a quantity greater than zero.")), "quantity")
    delivered = delivered_by_allocation([allocation.id])[allocation.id]
    left = allocation.quantity - delivered
    if quantity > left:
        raise DeliveryError(str(_l(
            "Only %(left)s remain to deliver on this allocation (%(allocated)s allocated, "
            "%(delivered)s already delivered).", left=left, allocated=allocation.quantity,
            delivered=delivered)), "quantity")
    offer = db.session.get(Offer, allocation.offer_id)
    if offer.kind == LineKind.funds and data.channel not in PAYMENT_CHANNELS:
        raise DeliveryError(str(_l("Choose how the money was paid.")), "channel")
    delivery = Delivery(allocation_id=allocation.id, delivered_on=data.delivered_on,
                        quantity=quantity, note=(data.note or "").strip(),
                        organization_id=allocation.organization_id,
                        region_code=allocation.region_code, recorded_by_id=actor.id,
                        form_key=data.form_key or None)
    db.session.add(delivery)
    db.session.flush()
    record_event(actor, "delivery.record", delivery,
                 after={"allocation_id": allocation.id, "quantity": str(quantity),
                        "delivered_on": data.delivered_on.isoformat()})
    if offer.contract_line_id is not None:
        record_contract_consumption(actor, delivery)
    if offer.kind == LineKind.funds:
        record_payment(actor, delivery, data.channel, data.reference)
    if delivered + quantity == allocation.quantity:
        _mark_delivered(actor, allocation)
    delivery_to_confirm(delivery)
    return Recorded(delivery, True)


def _mark_delivered(actor: User, allocation: Allocation) -> None:
    before = allocation.status.value
    allocation.status = AllocationStatus.delivered
    db.session.flush()
    record_event(actor, "allocation.deliver", allocation, before={"status": before},
                 after={"status": "delivered"})


def close_short(actor: User, allocation: Allocation) -> Allocation:
    """The provider ends a pledged or accepted allocation at what was delivered so far (a
    service needed fewer visits, fewer items were handed over).

    The allocation becomes delivered at the delivered quantity; the rest returns to the offer
    (and, for contract services, to the budget: the deliveries consumed it already) and the need
    line goes back on the board for what is still missing. If the caseworker has already
    confirmed every delivery, the allocation is confirmed at once.

    Raises:
        AllocationError: another organisation, wrong state, or nothing delivered yet (cancel
            it instead).
    """
    from marketplace.allocations.confirm import _confirm_allocation  # confirm imports us

    _check_provider(actor, allocation)
    allocation = _lock(Allocation, allocation.id)
    if allocation.status not in DELIVERABLE:
        raise AllocationError(str(_l("This allocation is not open for deliveries.")))
    delivered = delivered_by_allocation([allocation.id])[allocation.id]
    if delivered <= 0:
        raise AllocationError(str(_l("Nothing was delivered yet: cancel the allocation "
                                     "instead.")))
    before = {"status": allocation.status.value, "quantity": str(allocation.quantity)}
    allocation.quantity = delivered
    allocation.status = AllocationStatus.delivered
    db.session.flush()
    record_event(actor, "allocation.deliver", allocation, before=before,
                 after={"status": "delivered", "quantity": str(delivered)},
                 note="closed short")
    _confirm_allocation(actor, allocation)
    _refresh_needs(actor, [allocation.need_line_id])
    return allocation


def record_payment(actor: User, delivery: Delivery, channel: str, reference: str = "") -> Payment:
    """The payment record of a funds delivery: its amount and date, how it was paid and the
    bank or transaction reference (feeds the disbursement ledger of a later issue)."""
    if channel not in PAYMENT_CHANNELS:
        raise AllocationError(str(_l("Choose how the money was paid.")))
    payment = Payment(allocation_id=delivery.allocation_id, delivery_id=delivery.id,
                      amount=delivery.quantity, paid_on=delivery.delivered_on, channel=channel,
                      reference=(reference or "").strip()[:64],
                      organization_id=delivery.organization_id,
                      region_code=delivery.region_code, recorded_by_id=actor.id)
    db.session.add(payment)
    db.session.flush()
    record_event(actor, "payment.record", payment,
                 after={"amount": str(payment.amount), "channel": channel,
                        "reference": payment.reference})
    return payment


@dataclass(frozen=True)
class Inbox:
    """A provider's allocations: waiting for an answer (soonest deadline first) and to deliver
    (pledged or accepted, with what was delivered so far)."""

    waiting: list[Allocation]
    to_deliver: list[Allocation]
    delivered: dict[int, Decimal]
    #: The latest deliveries with the caseworker's answer (confirmed, problem).
    recent: list[Delivery]


def inbox(user: User, limit: int = 200, recent_limit: int = 30) -> Inbox:
    """What waits for ``user``'s organisation (scoped like every list)."""
    def query(where, *order):
        return list(db.session.scalars(
            select(Allocation).where(scope_filter(Allocation, user), where)
            .options(joinedload(Allocation.offer), joinedload(Allocation.need_line))
            .order_by(*order, Allocation.id).limit(limit)))

    waiting = query(Allocation.status == AllocationStatus.proposed, Allocation.respond_by)
    to_deliver = query(Allocation.status.in_(DELIVERABLE))
    recent = list(db.session.scalars(
        select(Delivery).where(scope_filter(Delivery, user))
        .options(joinedload(Delivery.allocation).joinedload(Allocation.offer))
        .order_by(Delivery.created_at.desc(), Delivery.id.desc()).limit(recent_limit)))
    return Inbox(waiting, to_deliver, delivered_by_allocation(a.id for a in to_deliver), recent)
