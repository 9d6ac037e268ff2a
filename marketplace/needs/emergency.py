"""Emergency advances (小额先行): paid first by the caseworker, confirmed by the township after.

R3.2 [S: L1 Art.50]: urgent small-amount cases shall be helped first and documented afterwards.
R3.5 [S: T2, T3]: up to a few months' standard per person; the township confirms within a set
number of working days (default 10, the ``confirmation`` stage limit of the region).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from marketplace.accounts.models import Role, User
from marketplace.audit.services import record_event
from marketplace.common.access import in_scope, scope_filter
from marketplace.common.models import utcnow
from marketplace.extensions import db
from marketplace.needs.limits import add_working_days, stage_days
from marketplace.needs.lines import NeedError, NeedPermissionError
from marketplace.needs.models import EmergencyGrant, GrantStatus, Need, NeedStatus, Urgency
from marketplace.needs.services import is_county_reviewer, is_township_reviewer
from marketplace.needs.standards import advance_limit

GRANTABLE = (NeedStatus.draft, NeedStatus.published, NeedStatus.partially_matched,
             NeedStatus.matched)


def _amount(raw: str | Decimal) -> Decimal:
    try:
        value = raw if isinstance(raw, Decimal) else Decimal(str(raw).strip())
    except InvalidOperation:
        raise NeedError(str(_l("The amount is not a number."))) from None
    if not value.is_finite() or value <= 0:
        raise NeedError(str(_l("The amount must be more than zero.")))
    if value != value.quantize(Decimal("0.01")):
        raise NeedError(str(_l("Give the amount in yuan and fen (two decimals at most).")))
    return value.quantize(Decimal("0.01"))


def record_advance(actor: User, need: Need, amount: str | Decimal, note: str = "",
                   today: date | None = None) -> EmergencyGrant:
    """Record a small advance paid at once on an emergency need, within the local limit."""
    if actor.role != Role.caseworker or not in_scope(actor, need):
        raise NeedPermissionError(str(_l("Only the caseworkers of this area record an "
                                         "emergency advance.")))
    if need.urgency != Urgency.emergency:
        raise NeedError(str(_l("Advances are only for emergency needs.")))
    if need.status not in GRANTABLE:
        raise NeedError(str(_l("An advance cannot be recorded on a need in this state.")))
    if db.session.scalar(select(EmergencyGrant.id).where(EmergencyGrant.need_id == need.id)):
        raise NeedError(str(_l("An advance has already been recorded for this need.")))
    value = _amount(amount)
    today = today or date.today()
    limit = advance_limit(need.household, need.region_code, today)
    if value > limit.amount:
        raise NeedError(str(_l(
            "%(amount)s CNY is above the advance limit of %(limit)s CNY (%(multiple)s × the "
            "monthly standard of %(standard)s CNY × %(size)d people).", amount=value,
            limit=limit.amount, multiple=limit.multiple, standard=limit.monthly_standard,
            size=limit.household_size)))
    grant = EmergencyGrant(
        need_id=need.id, region_code=need.region_code, amount=value, limit_amount=limit.amount,
        monthly_standard=limit.monthly_standard, multiple=limit.multiple,
        household_size=limit.household_size, note=note.strip(), granted_by_id=actor.id,
        confirm_by=add_working_days(today, stage_days(need.region_code, "confirmation")))
    db.session.add(grant)
    db.session.flush()
    after = {"amount": str(value), "limit": str(limit.amount),
             "confirm_by": grant.confirm_by.isoformat()}
    record_event(actor, "need.advance_grant", need, after=after, note=note.strip())
    record_event(actor, "emergency_grant.create", grant, after=after)
    return grant


def may_confirm(user: User, grant: EmergencyGrant) -> bool:
    """The township confirms; an emergency placed at county level is confirmed by the county."""
    if not in_scope(user, grant):
        return False
    return is_township_reviewer(user) or (is_county_reviewer(user)
                                          and len(grant.region_code) == 6)


def decide_advance(actor: User, grant: EmergencyGrant, confirm: bool, note: str = "") -> None:
    """The township confirms (or rejects, with a reason) an advance already paid."""
    if not may_confirm(actor, grant):
        raise NeedPermissionError(str(_l("Only a township reviewer of this area confirms "
                                         "emergency advances.")))
    note = (note or "").strip()
    if not confirm and not note:
        raise NeedError(str(_l("Give the reason for rejecting the advance.")))
    new = GrantStatus.confirmed if confirm else GrantStatus.rejected
    result = db.session.execute(
        update(EmergencyGrant)
        .where(EmergencyGrant.id == grant.id, EmergencyGrant.status == GrantStatus.awaiting)
        .values(status=new, decided_by_id=actor.id, decided_at=utcnow(), decision_note=note)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise NeedError(str(_l("This advance has already been decided.")))
    db.session.refresh(grant)
    action = "confirm_advance" if confirm else "reject_advance"
    record_event(actor, f"need.{action}", grant.need, note=note,
                 after={"amount": str(grant.amount), "status": str(new)})
    record_event(actor, f"emergency_grant.{'confirm' if confirm else 'reject'}", grant,
                 before={"status": "awaiting"}, after={"status": str(new)}, note=note)


def grants_awaiting(user: User, limit: int = 20) -> list[EmergencyGrant]:
    """Advances in ``user``'s area still to be confirmed, oldest deadline first."""
    return list(db.session.scalars(
        select(EmergencyGrant)
        .where(EmergencyGrant.status == GrantStatus.awaiting, scope_filter(EmergencyGrant, user))
        .order_by(EmergencyGrant.confirm_by, EmergencyGrant.id).limit(limit)))
