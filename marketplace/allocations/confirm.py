"""The caseworker's side of a delivery: confirm receipt (or record a problem), then feedback.

* Confirming: the caseworkers whose area covers the need confirm each recorded delivery with
  the household, or record a problem (a note is required). A delivery with a problem can be
  confirmed later, once the problem is resolved. When every delivery of a delivered
  allocation is confirmed the allocation is confirmed; when every live line of a need is
  covered by confirmed allocations, the need moves to fulfilled through the needs workflow
  (``needs.services.fulfil``). The need row is locked first, so two caseworkers confirming the
  last two deliveries at once cannot both miss the fulfilment.
* Feedback: once per confirmed delivery, the household's satisfaction (1–5) and a note;
  :func:`ratings` turns them into each provider's average and count (fit uses it).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from marketplace.accounts.models import Role, User
from marketplace.allocations.models import (
    Allocation,
    AllocationStatus,
    Delivery,
    DeliveryStatus,
    Feedback,
    Payment,
)
from marketplace.allocations.services import AllocationError, _lock
from marketplace.audit.services import record_event
from marketplace.common.access import in_scope, scope_filter
from marketplace.common.models import utcnow
from marketplace.extensions import db
from marketplace.needs.models import LineStatus, Need, NeedLine, NeedStatus
from marketplace.needs.services import fulfil, refresh_match_status
from marketplace.offers.models import Offer

#: Deliveries the caseworker still has to look at.
TO_CONFIRM = (DeliveryStatus.recorded, DeliveryStatus.problem)


def _check_caseworker(actor: User, delivery: Delivery) -> None:
    if actor.role != Role.caseworker or not in_scope(actor, delivery):
        raise AllocationError(str(_l("Only the caseworkers of the need's area confirm its "
                                     "deliveries.")))


def _need_of(delivery: Delivery) -> Need:
    line_need = select(NeedLine.need_id).join(
        Allocation, Allocation.need_line_id == NeedLine.id).where(
        Allocation.id == delivery.allocation_id).scalar_subquery()
    return db.session.scalar(select(Need).where(Need.id == line_need).with_for_update())


def confirm_delivery(actor: User, delivery: Delivery, ok: bool, note: str = "") -> Delivery:
    """Confirm receipt of ``delivery`` (``ok``) or record a problem with it (note required).

    Flushes and audits; may confirm the allocation and fulfil the need (see the module).

    Raises:
        AllocationError: not a caseworker of the area, already confirmed, a problem without a
            note or already recorded.
        NeedError: the needs workflow refused the fulfilment.
    """
    _check_caseworker(actor, delivery)
    note = (note or "").strip()
    need = _need_of(delivery)
    delivery = _lock(Delivery, delivery.id)
    if delivery.status == DeliveryStatus.confirmed:
        raise AllocationError(str(_l("This delivery was already confirmed.")))
    if not ok and not note:
        raise AllocationError(str(_l("Describe the problem.")))
    if not ok and delivery.status == DeliveryStatus.problem:
        raise AllocationError(str(_l("A problem was already recorded for this delivery.")))
    before = delivery.status.value
    delivery.status = DeliveryStatus.confirmed if ok else DeliveryStatus.problem
    delivery.confirmed_by_id = actor.id
    delivery.confirmed_at = utcnow()
    delivery.confirm_note = note
    db.session.flush()
    record_event(actor, "delivery.confirm" if ok else "delivery.problem", delivery,
                 before={"status": before}, after={"status": delivery.status.value}, note=note)
    if ok:
        _confirm_allocation(actor, db.session.get(Allocation, delivery.allocation_id))
        _fulfil_if_done(actor, need)
    return delivery


def _confirm_allocation(actor: User, allocation: Allocation) -> None:
    if allocation.status != AllocationStatus.delivered:
        return  # more to deliver
    pending = db.session.scalar(select(func.count(Delivery.id)).where(
        Delivery.allocation_id == allocation.id, Delivery.status != DeliveryStatus.confirmed))
    if pending:
        return
    allocation.status = AllocationStatus.confirmed
    db.session.flush()
    record_event(actor, "allocation.confirm", allocation, before={"status": "delivered"},
                 after={"status": "confirmed"})


def _fulfil_if_done(actor: User, need: Need) -> None:
    lines = [line for line in need.lines if line.status != LineStatus.cancelled]
    if not lines:
        return
    confirmed = dict(db.session.execute(
        select(Allocation.need_line_id, func.sum(Allocation.quantity))
        .where(Allocation.need_line_id.in_([line.id for line in lines]),
               Allocation.status == AllocationStatus.confirmed)
        .group_by(Allocation.need_line_id)).all())
    if all(Decimal(confirmed.get(line.id) or 0) >= line.quantity for line in lines):
        refresh_match_status(actor, need)
        if need.status in (NeedStatus.partially_matched, NeedStatus.matched):
            fulfil(actor, need, str(_l("Every line was delivered and confirmed.")))


def record_feedback(actor: User, delivery: Delivery, satisfaction: int,
                    note: str = "") -> Feedback:
    """The household's satisfaction (1–5) with a confirmed delivery, once; flushes, audits.

    Raises:
        AllocationError: not a caseworker of the area, the delivery is not confirmed, feedback
            was already given, or the satisfaction is not 1–5.
    """
    _check_caseworker(actor, delivery)
    delivery = _lock(Delivery, delivery.id)
    if delivery.status != DeliveryStatus.confirmed:
        raise AllocationError(str(_l("Confirm the delivery before recording feedback.")))
    if db.session.scalar(select(Feedback.id).where(Feedback.delivery_id == delivery.id)):
        raise AllocationError(str(_l("Feedback was already recorded for this delivery.")))
    if not isinstance(satisfaction, int) or not 1 <= satisfaction <= 5:
        raise AllocationError(str(_l("Choose a satisfaction from 1 to 5.")))
    feedback = Feedback(delivery_id=delivery.id, organization_id=delivery.organization_id,
                        region_code=delivery.region_code, satisfaction=satisfaction,
                        note=(note or "").strip(), recorded_by_id=actor.id)
    db.session.add(feedback)
    db.session.flush()
    record_event(actor, "feedback.record", feedback,
                 after={"delivery_id": delivery.id, "satisfaction": satisfaction})
    return feedback


def ratings(org_ids) -> dict[int, tuple[Decimal, int]]:
    """Per organisation: (average satisfaction to two places, number of ratings), in one
    query. Organisations without any feedback are left out (the caller picks the default)."""
    ids = list(set(org_ids))
    if not ids:
        return {}
    rows = db.session.execute(
        select(Feedback.organization_id, func.avg(Feedback.satisfaction),
               func.count(Feedback.id))
        .where(Feedback.organization_id.in_(ids)).group_by(Feedback.organization_id))
    cents = Decimal("0.01")
    return {org: (Decimal(str(avg)).quantize(cents), count) for org, avg, count in rows}


@dataclass(frozen=True)
class Worklist:
    """A caseworker's deliveries: to confirm (oldest first) and confirmed without feedback."""

    to_confirm: list[Delivery]
    to_rate: list[Delivery]
    payments: dict[int, Payment]


def worklist(user: User, limit: int = 200) -> Worklist:
    """What waits for ``user`` (scoped like every list)."""
    def query(*where):
        return list(db.session.scalars(
            select(Delivery).where(scope_filter(Delivery, user), *where)
            .options(joinedload(Delivery.allocation).joinedload(Allocation.offer)
                     .joinedload(Offer.organization),
                     joinedload(Delivery.allocation).joinedload(Allocation.need_line))
            .order_by(Delivery.created_at, Delivery.id).limit(limit)))

    rated = select(Feedback.delivery_id)
    to_confirm = query(Delivery.status.in_(TO_CONFIRM))
    to_rate = query(Delivery.status == DeliveryStatus.confirmed, Delivery.id.not_in(rated))
    return Worklist(to_confirm, to_rate, payments_of([d.id for d in to_confirm]))


def payments_of(delivery_ids: list[int]) -> dict[int, Payment]:
    """The payment record of each funds delivery among ``delivery_ids``."""
    if not delivery_ids:
        return {}
    return {p.delivery_id: p for p in db.session.scalars(
        select(Payment).where(Payment.delivery_id.in_(delivery_ids)))}
