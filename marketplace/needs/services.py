"""Needs: creation, the review workflow with compare-and-set transitions, and timelines.

Workflow (issue 4 §4): draft → submitted (caseworker) → reviewed (township reviewer) →
approved (county reviewer) → published → partially matched / matched → fulfilled → closed;
returned with a reason at either review step; withdrawn by the caseworker. Every transition is
one ``UPDATE ... WHERE status IN (expected)``: when two officers act at once only one row
changes, and the other is told what happened instead of overwriting it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, bindparam, func, or_, select, update
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from marketplace.accounts.models import Role, User
from marketplace.audit.models import AuditEvent
from marketplace.audit.services import record_event
from marketplace.catalog.vocab import LineKind
from marketplace.common.access import in_scope
from marketplace.common.models import utcnow
from marketplace.extensions import db
from marketplace.households.models import Household
from marketplace.needs.lines import LineInput, NeedError, NeedPermissionError, check_lines
from marketplace.needs.models import LineStatus, Need, NeedCause, NeedStatus, Urgency
from marketplace.regions.models import Region

__all__ = ["NeedError", "NeedPermissionError", "LineInput", "NeedInput"]

#: Temporary-assistance types (R3.3): 急难型 and the two 支出型 kinds.
ASSISTANCE_TYPES = ("emergency", "medical", "education")
MAX_DEADLINE_DAYS = 366

STATUS_LABELS = {
    NeedStatus.draft: _l("Draft"),
    NeedStatus.submitted: _l("Submitted"),
    NeedStatus.reviewed: _l("Reviewed by the township"),
    NeedStatus.approved: _l("Approved by the county"),
    NeedStatus.published: _l("Published"),
    NeedStatus.partially_matched: _l("Matched in part"),
    NeedStatus.matched: _l("Matched in full"),
    NeedStatus.fulfilled: _l("Fulfilled"),
    NeedStatus.closed: _l("Closed"),
    NeedStatus.returned: _l("Returned"),
    NeedStatus.withdrawn: _l("Withdrawn"),
}
CAUSE_LABELS = {
    NeedCause.illness: _l("Illness"),
    NeedCause.disability: _l("Disability"),
    NeedCause.education: _l("Education"),
    NeedCause.disaster: _l("Disaster"),
    NeedCause.unemployment: _l("Unemployment"),
    NeedCause.accident: _l("Accident"),
    NeedCause.other: _l("Other"),
}
URGENCY_LABELS = {Urgency.emergency: _l("Emergency"), Urgency.normal: _l("Normal")}
ASSISTANCE_LABELS = {
    "emergency": _l("Temporary assistance, emergency type (急难型)"),
    "medical": _l("Temporary assistance, expense type: medical (支出型)"),
    "education": _l("Temporary assistance, expense type: education (支出型)"),
}


@dataclass(frozen=True)
class NeedInput:
    cause: str
    urgency: str
    deadline: date
    lines: list[LineInput] = field(default_factory=list)
    #: The place where help is needed; for an emergency, where it happened (R3.1).
    region_code: str | None = None
    assistance_type: str | None = None
    summary: str = ""


# --- who may do what -------------------------------------------------------------------------

def is_township_reviewer(user: User) -> bool:
    """A reviewer whose home region is a township (9-digit code)."""
    return user.role == Role.reviewer and len(user.region_code or "") == 9


def is_county_reviewer(user: User) -> bool:
    """A reviewer whose home region is a county or above (6-digit code)."""
    return user.role == Role.reviewer and len(user.region_code or "") == 6


def may_review(user: User, need: Need) -> bool:
    """The township reviews; a need placed at county level (no township) goes to the county."""
    if not in_scope(user, need):
        return False
    return is_township_reviewer(user) or (is_county_reviewer(user) and len(need.region_code) == 6)


def may_approve(user: User, need: Need) -> bool:
    return is_county_reviewer(user) and in_scope(user, need)


def _require(allowed: bool, message: Any) -> None:
    if not allowed:
        raise NeedPermissionError(str(message))


# --- creating and editing --------------------------------------------------------------------

def _check_header(actor: User, household: Household, data: NeedInput) -> tuple[str, Region]:
    _require(actor.role == Role.caseworker, _l("Only caseworkers post needs."))
    try:
        NeedCause(data.cause)
        urgency = Urgency(data.urgency)
    except ValueError:
        raise NeedError(str(_l("Choose a cause and an urgency from the lists."))) from None
    today = date.today()
    if data.deadline < today:
        raise NeedError(str(_l("The deadline is in the past.")))
    if data.deadline > today + timedelta(days=MAX_DEADLINE_DAYS):
        raise NeedError(str(_l("The deadline is more than a year away.")))
    if data.assistance_type not in (None, "", *ASSISTANCE_TYPES):
        raise NeedError(str(_l("Unknown type of temporary assistance.")))
    code = household.region_code
    if urgency == Urgency.emergency and data.region_code:
        code = data.region_code  # R3.1: where the emergency happened
    region = db.session.get(Region, code)
    if region is None or not in_scope(actor, region):
        raise NeedError(str(_l("Choose a place in your own area.")))
    return code, region


def _check_temporary_cap(household: Household, region_code: str, assistance_type: str | None,
                         funds_total: Decimal) -> None:
    """R3.4: temporary assistance up to a multiple of the local standard × household size."""
    if not assistance_type or funds_total == 0:
        return
    from marketplace.needs.standards import temporary_cap
    cap = temporary_cap(household, region_code, assistance_type)
    if funds_total > cap:
        raise NeedError(str(_l(
            "The funds asked (%(total)s CNY) are above the cap of %(cap)s CNY for this type of "
            "temporary assistance and household size.", total=funds_total, cap=cap)))


def create_need(actor: User, household: Household, data: NeedInput) -> Need:
    """Post a draft need for ``household``; every line is checked before anything is saved.

    An emergency may be posted for a household registered anywhere, at a place in the
    caseworker's own area (R3.1: help where the emergency happened)."""
    emergency_elsewhere = data.urgency == Urgency.emergency and bool(data.region_code)
    _require(in_scope(actor, household) or actor.role == Role.admin or emergency_elsewhere,
             _l("This household is outside your area."))
    code, _region = _check_header(actor, household, data)
    checked = check_lines(data.lines)
    funds = sum((c.quantity for c in checked if c.kind == LineKind.funds), Decimal(0))
    _check_temporary_cap(household, code, data.assistance_type or None, funds)
    need = Need(household_id=household.id, region_code=code, county_code=code[:6],
                cause=NeedCause(data.cause), urgency=Urgency(data.urgency),
                deadline=data.deadline, assistance_type=data.assistance_type or None,
                summary=data.summary.strip(), created_by_id=actor.id,
                lines=[c.build() for c in checked])
    db.session.add(need)
    db.session.flush()
    record_event(actor, "need.create", need, after=_summary(need))
    return need


def find_household_for_emergency(actor: User, id_number: str) -> Household | None:
    """R3.1: the household of a person by ID number, wherever it is registered, so that the
    caseworker where an emergency happened can post for it. The look-up is audited."""
    from marketplace.common.crypto import keyed_hash
    from marketplace.households.models import Person

    _require(actor.role == Role.caseworker, _l("Only caseworkers post emergency needs."))
    number = (id_number or "").strip().upper()
    if len(number) != 18:
        raise NeedError(str(_l("Give the 18-digit ID number of a household member.")))
    person = db.session.scalar(select(Person).where(Person.id_hash == keyed_hash(number)))
    if person is None:
        raise NeedError(str(_l("Nobody with this ID number is registered. Register the "
                               "household first.")))
    household = person.household
    record_event(actor, "household.lookup_for_emergency", household,
                 note="R3.1", after={"person_id": person.id})
    return household


def update_need(actor: User, need: Need, data: NeedInput) -> Need:
    """Replace a draft or returned need's header and lines (the caseworker corrects it)."""
    _require(actor.role == Role.caseworker and in_scope(actor, need),
             _l("Only the caseworkers of this area edit a need."))
    if need.status not in (NeedStatus.draft, NeedStatus.returned):
        raise NeedError(str(_l("Only drafts and returned needs can be edited.")))
    code, _region = _check_header(actor, need.household, data)
    checked = check_lines(data.lines)
    funds = sum((c.quantity for c in checked if c.kind == LineKind.funds), Decimal(0))
    _check_temporary_cap(need.household, code, data.assistance_type or None, funds)
    before = _summary(need)
    need.region_code, need.county_code = code, code[:6]
    need.cause, need.urgency = NeedCause(data.cause), Urgency(data.urgency)
    need.deadline, need.assistance_type = data.deadline, data.assistance_type or None
    need.summary = data.summary.strip()
    need.lines = [c.build() for c in checked]
    db.session.flush()
    record_event(actor, "need.edit", need, before=before, after=_summary(need))
    return need


def _summary(need: Need) -> dict[str, Any]:
    return {"status": str(need.status), "region_code": need.region_code,
            "urgency": str(need.urgency), "deadline": need.deadline.isoformat(),
            "lines": [[str(line.kind), str(line.quantity), line.unit] for line in need.lines]}


# --- transitions ------------------------------------------------------------------------------

def _move(actor: User, need: Need, expected: tuple[NeedStatus, ...], new: NeedStatus,
          action: str, note: str = "", **values: Any) -> Need:
    """Compare-and-set: move ``need`` to ``new`` only if it is still in ``expected``."""
    if need.status not in expected:
        raise NeedError(_out_of_order(need, new))
    old = need.status
    now = utcnow()
    if new == NeedStatus.fulfilled:  # the balance summaries count days to fulfilment
        values.setdefault("fulfilled_at", now)
    result = db.session.execute(
        update(Need)
        .where(Need.id == need.id, Need.status.in_([str(s) for s in expected]))
        .values(status=new, status_changed_at=now, updated_at=now, **values)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        db.session.refresh(need)  # someone else moved it first: say where it is now
        raise NeedError(_out_of_order(need, new))
    db.session.refresh(need)
    record_event(actor, f"need.{action}", need, before={"status": str(old)},
                 after={"status": str(new)}, note=note)
    return need


def _out_of_order(need: Need, wanted: NeedStatus) -> str:
    if need.status == wanted:
        if wanted == NeedStatus.approved:
            return str(_l("This need has already been approved."))
        return str(_l("This need is already %(status)s.", status=STATUS_LABELS[wanted]))
    return str(_l("This step is not possible: the need is now %(status)s.",
                  status=STATUS_LABELS[need.status]))


def submit(actor: User, need: Need, note: str = "") -> Need:
    """Caseworker: a draft (or a corrected returned need) goes to review."""
    _require(actor.role == Role.caseworker and in_scope(actor, need),
             _l("Only the caseworkers of this area submit a need."))
    return _move(actor, need, (NeedStatus.draft, NeedStatus.returned), NeedStatus.submitted,
                 "submit", note, return_reason="")


def review(actor: User, need: Need, note: str = "") -> Need:
    """Township reviewer: the need passes the township review."""
    _require(may_review(actor, need), _l("Only a township reviewer of this area reviews needs."))
    return _move(actor, need, (NeedStatus.submitted,), NeedStatus.reviewed, "review", note)


def approve(actor: User, need: Need, note: str = "") -> Need:
    """County reviewer: the need is approved."""
    _require(may_approve(actor, need), _l("Only a county reviewer of this area approves needs."))
    return _move(actor, need, (NeedStatus.reviewed,), NeedStatus.approved, "approve", note)


def return_need(actor: User, need: Need, reason: str) -> Need:
    """A reviewer sends the need back to the caseworker with a reason, at either review step."""
    reason = (reason or "").strip()
    if need.status == NeedStatus.submitted:
        _require(may_review(actor, need), _l("Only a township reviewer of this area can return "
                                             "a submitted need."))
    elif need.status == NeedStatus.reviewed:
        _require(may_approve(actor, need), _l("Only a county reviewer of this area can return a "
                                              "reviewed need."))
    else:
        _require(actor.role == Role.reviewer and in_scope(actor, need),
                 _l("Only reviewers return needs."))
    if not reason:
        raise NeedError(str(_l("Give the reason for returning the need.")))
    return _move(actor, need, (NeedStatus.submitted, NeedStatus.reviewed), NeedStatus.returned,
                 "return", reason, return_reason=reason)


def publish(actor: User, need: Need, note: str = "") -> Need:
    """An approved need goes on the public board (caseworker or county reviewer). An emergency
    need may be published by the caseworker at once, from its draft (R3.2: help first)."""
    emergency = need.urgency == Urgency.emergency and need.status == NeedStatus.draft
    if emergency:
        _require(actor.role == Role.caseworker and in_scope(actor, need),
                 _l("Only the caseworkers of this area publish an emergency need at once."))
        expected: tuple[NeedStatus, ...] = (NeedStatus.draft,)
    else:
        _require((actor.role == Role.caseworker and in_scope(actor, need))
                 or may_approve(actor, need),
                 _l("Only the caseworkers or county reviewers of this area publish needs."))
        expected = (NeedStatus.approved,)
    return _move(actor, need, expected, NeedStatus.published,
                 "publish_emergency" if emergency else "publish", note, published_at=utcnow())


WITHDRAWABLE = (NeedStatus.draft, NeedStatus.returned, NeedStatus.submitted, NeedStatus.reviewed,
                NeedStatus.approved, NeedStatus.published)


def withdraw(actor: User, need: Need, reason: str) -> Need:
    """Caseworker: the need is no longer wanted (before any provider has pledged)."""
    _require(actor.role == Role.caseworker and in_scope(actor, need),
             _l("Only the caseworkers of this area withdraw a need."))
    if not (reason or "").strip():
        raise NeedError(str(_l("Give the reason for withdrawing the need.")))
    return _move(actor, need, WITHDRAWABLE, NeedStatus.withdrawn, "withdraw", reason.strip())


def fulfil(actor: User, need: Need, note: str = "") -> Need:
    """Caseworker: the help pledged has reached the household."""
    _require(actor.role == Role.caseworker and in_scope(actor, need),
             _l("Only the caseworkers of this area mark a need fulfilled."))
    return _move(actor, need, (NeedStatus.partially_matched, NeedStatus.matched),
                 NeedStatus.fulfilled, "fulfil", note)


def close(actor: User, need: Need, note: str = "") -> Need:
    """Caseworker or reviewer: a fulfilled need is closed."""
    _require(actor.role in (Role.caseworker, Role.reviewer) and in_scope(actor, need),
             _l("Only the caseworkers or reviewers of this area close a need."))
    return _move(actor, need, (NeedStatus.fulfilled,), NeedStatus.closed, "close", note)


def refresh_match_status(actor: User | None, need: Need,
                         covered: dict[int, Decimal] | None = None) -> Need:
    """Set the need to matched in part / in full from what providers have covered so far
    (``allocations.services.covered_by_line``); lines fully covered leave the board."""
    if need.status not in (NeedStatus.published, NeedStatus.partially_matched,
                           NeedStatus.matched):
        return need
    if covered is None:
        from marketplace.allocations.services import covered_by_line
        covered = covered_by_line([line.id for line in need.lines])
    new = _match_status(need, covered)
    db.session.flush()
    if new != need.status:
        _move(actor, need, (need.status,), new, "match_status")  # type: ignore[arg-type]
    return need


def _match_status(need: Need, covered: dict[int, Decimal]) -> NeedStatus:
    """Set the lines' statuses from ``covered`` (in memory) and say the need's new status."""
    for line in need.lines:
        if line.status != LineStatus.cancelled:
            done = covered.get(line.id, Decimal(0)) >= line.quantity
            line.status = LineStatus.covered if done else LineStatus.open
    live = [line for line in need.lines if line.status != LineStatus.cancelled]
    if live and all(line.status == LineStatus.covered for line in live):
        return NeedStatus.matched
    if any(covered.get(line.id, Decimal(0)) > 0 for line in live):
        return NeedStatus.partially_matched
    return NeedStatus.published


def refresh_match_statuses(actor: User | None, needs: list[Need],
                           covered: dict[int, Decimal]) -> None:
    """:func:`refresh_match_status` for many needs at once (a matching run's commit): the
    lines' statuses go out in one flush, each (old, new) status pair in one compare-and-set
    UPDATE, the audit events in one batch. ``covered`` must hold every line of the needs.

    Raises:
        NeedError: one of the needs was moved by someone else meanwhile (nothing is kept by
            the caller's rollback).
    """
    moves: dict[tuple[NeedStatus, NeedStatus], list[Need]] = {}
    for need in needs:
        if need.status not in (NeedStatus.published, NeedStatus.partially_matched,
                               NeedStatus.matched):
            continue
        new = _match_status(need, covered)
        if new != need.status:
            moves.setdefault((need.status, new), []).append(need)
    db.session.flush()
    now = utcnow()
    for (old, new), group in moves.items():
        for start in range(0, len(group), 5000):
            chunk = group[start:start + 5000]
            result = db.session.execute(
                update(Need).where(Need.id.in_([n.id for n in chunk]), Need.status == old)
                .values(status=new, status_changed_at=now, updated_at=now)
                .execution_options(synchronize_session=False))
            if result.rowcount != len(chunk):
                raise NeedError(str(_l("Some of these needs changed meanwhile; try again.")))
        for need in group:
            set_committed_value(need, "status", new)
            set_committed_value(need, "status_changed_at", now)
            set_committed_value(need, "updated_at", now)
            record_event(actor, "need.match_status", need, before={"status": str(old)},
                         after={"status": str(new)})
    db.session.flush()

# --- reading -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Histories:
    """Audited histories: of needs (by need id), of one household's registry, and the display
    names of the officers who acted in them."""

    timelines: dict[int, list[AuditEvent]]
    household: list[AuditEvent]
    actors: dict[int, str]


def _histories_statement(needs: bool, household: bool) -> Select:
    conditions = []
    if needs:
        conditions.append(and_(AuditEvent.object_type == Need.__tablename__,
                               AuditEvent.object_id.in_(bindparam("need_ids", expanding=True))))
    if household:
        conditions.append(and_(AuditEvent.object_type == Household.__tablename__,
                               AuditEvent.object_id == bindparam("household_id")))
    return (select(AuditEvent, User.display_name)
            .outerjoin(User, User.id == AuditEvent.actor_id)
            .where(or_(*conditions)).order_by(AuditEvent.at, AuditEvent.id))


#: Built once (needs only, household only, both): the household page runs one per request.
_HISTORIES = {(n, h): _histories_statement(n, h)
              for n, h in ((True, False), (False, True), (True, True))}


def histories(need_ids: list[int], household_id: int | None = None) -> Histories:
    """The histories of several needs and, with ``household_id``, the household's own registry
    history, oldest first, with the officers' names: one query (the household page shows all
    of them)."""
    timelines: dict[int, list[AuditEvent]] = {need_id: [] for need_id in need_ids}
    household: list[AuditEvent] = []
    actors: dict[int, str] = {}
    key = (bool(need_ids), household_id is not None)
    if key not in _HISTORIES:
        return Histories(timelines, household, actors)
    rows = db.session.execute(_HISTORIES[key], {
        "need_ids": [str(i) for i in need_ids], "household_id": str(household_id)})
    for event, actor_name in rows:
        if event.object_type == Need.__tablename__:
            timelines[int(event.object_id)].append(event)
        else:
            household.append(event)
        if event.actor_id is not None:
            actors[event.actor_id] = actor_name
    return Histories(timelines, household, actors)


#: Built once: every household page lists the household's needs with their lines.
_NEEDS_OF_HOUSEHOLD = (select(Need).where(Need.household_id == bindparam("household_id"))
                       .options(joinedload(Need.lines))
                       .order_by(Need.created_at.desc(), Need.id.desc()))


def needs_of_household(household: Household) -> list[Need]:
    """All needs of one household, newest first, with their lines (one query: a household
    has a few needs of a few lines each)."""
    return list(db.session.scalars(
        _NEEDS_OF_HOUSEHOLD, {"household_id": household.id}).unique())


def count_by_status(condition: Any) -> dict[str, int]:
    return {str(status): n for status, n in db.session.execute(
        select(Need.status, func.count(Need.id)).where(condition).group_by(Need.status))}
