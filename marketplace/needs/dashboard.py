"""Dashboard cards of the needs area: what each officer has to act on, overdue items first."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, or_, select

from marketplace.accounts.models import Role, User
from marketplace.common.access import scope_filter
from marketplace.common.ui import Section, dashboard_section
from marketplace.extensions import db
from marketplace.needs import emergency, limits, services
from marketplace.needs.models import Need, NeedStatus

#: How many of the oldest waiting needs are checked against their limits for a card.
SCAN = 300
SHOWN = 10
WAITING = [str(s) for s in (NeedStatus.draft, NeedStatus.returned, NeedStatus.submitted,
                            NeedStatus.reviewed, NeedStatus.approved, NeedStatus.published)]


def _oldest(condition) -> list[Need]:
    return list(db.session.scalars(
        select(Need).where(condition).order_by(Need.status_changed_at, Need.id).limit(SCAN)))


def _count(condition) -> int:
    return db.session.scalar(select(func.count(Need.id)).where(condition)) or 0


def _grants(user: User) -> list:
    grants = emergency.grants_awaiting(user)
    if user.role == Role.reviewer:
        grants = [g for g in grants if emergency.may_confirm(user, g)]
    return grants


@dashboard_section
def needs_card(user: User) -> Section | None:
    """Caseworkers: drafts, returned needs, overdue needs, advances awaiting confirmation.
    Reviewers: needs awaiting my review. Oversight: overdue needs and unconfirmed advances."""
    if user.role not in (Role.caseworker, Role.reviewer, Role.oversight):
        return None
    scope = scope_filter(Need, user)
    data: dict = {"role": str(user.role), "today": date.today()}
    if user.role == Role.caseworker:
        data["drafts"] = _count(scope & (Need.status == NeedStatus.draft))
        data["returned"] = list(db.session.scalars(
            select(Need).where(scope, Need.status == NeedStatus.returned)
            .order_by(Need.status_changed_at).limit(SHOWN)))
        late = limits.overdue(_oldest(scope & Need.status.in_(WAITING)))
    elif user.role == Role.reviewer:
        if services.is_township_reviewer(user):
            mine = Need.status == NeedStatus.submitted
        else:
            mine = or_(Need.status == NeedStatus.reviewed,
                       (Need.status == NeedStatus.submitted)
                       & (func.length(Need.region_code) == 6))
        waiting = _oldest(scope & mine)
        data["waiting"] = waiting[:SHOWN]
        data["waiting_count"] = _count(scope & mine)
        late = limits.overdue(waiting)
    else:
        late = limits.overdue(_oldest(scope & Need.status.in_(WAITING)))
    data["overdue"] = late[:SHOWN]
    data["overdue_ids"] = {n.id for n in late}
    data["overdue_count"] = len(late)
    data["grants"] = _grants(user)
    return Section(template="needs/_dashboard.html", data=data, order=30)
