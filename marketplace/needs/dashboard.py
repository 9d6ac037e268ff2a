"""Dashboard cards of the needs area: what each officer has to act on, overdue items first."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import Row, func, literal_column, or_, select

from marketplace.accounts.models import Role, User
from marketplace.common.access import scope_filter, user_prefix
from marketplace.common.ui import Section, area_figures, dashboard_section
from marketplace.extensions import db
from marketplace.needs import emergency, limits, services
from marketplace.needs.models import Need, NeedStatus


class Advance(NamedTuple):
    """An emergency advance awaiting confirmation, as the card shows it."""

    need_id: int
    amount: Decimal
    confirm_by: date


#: How many of the oldest waiting needs are checked against their limits for a card.
SCAN = 300
SHOWN = 10
#: A scope prefix this short is a whole province ("43").
PROVINCE_PREFIX = 2
WAITING = [str(s) for s in (NeedStatus.draft, NeedStatus.returned, NeedStatus.submitted,
                            NeedStatus.reviewed, NeedStatus.approved, NeedStatus.published)]


#: What the card shows of a need and what its time limit needs: plain rows, not Need objects
#: (building 300 ORM objects was a third of the card's time).
CARD_COLUMNS = (Need.id, Need.region_code, Need.status, Need.status_changed_at, Need.cause,
                Need.urgency)


def _oldest(scope, status) -> list[Row]:
    """The SCAN needs in ``scope`` with ``status`` that changed status longest ago, as rows
    of CARD_COLUMNS (through the index on (status_changed_at, id), migration 0017, when the
    database sees it pays)."""
    return list(db.session.execute(
        select(*CARD_COLUMNS).where(scope, status).order_by(Need.status_changed_at, Need.id)
        .limit(SCAN)))


def _oldest_waiting(scope, wide: bool) -> list[Row]:
    """:func:`_oldest` among the needs still waiting for someone (WAITING).

    Walking the age index and stopping at SCAN beats sorting every waiting need of a wide
    scope: that sort took 181 ms for the province at 1.1 million households on PostgreSQL,
    21 ms at 53,000 on SQLite. PostgreSQL picks the index from its statistics. SQLite cannot
    judge how much of the table a range or a list of statuses selects, so for a
    province-wide reader (``wide``) it is told that the scope holds nearly every need
    (``likely``) and kept off the status index (unary ``+``); for a county or a village the
    region index stays the better path and the sort is small."""
    status = Need.status.in_(WAITING)
    if wide and db.session.get_bind().dialect.name == "sqlite":
        scope, status = func.likely(scope), literal_column("+needs.status").in_(WAITING)
    return _oldest(scope, status)


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
    wide = len(user_prefix(user) or "") <= PROVINCE_PREFIX
    data: dict = {"role": str(user.role), "today": date.today()}
    if user.role == Role.caseworker:
        data["drafts"] = _count(scope & (Need.status == NeedStatus.draft))
        data["returned"] = list(db.session.scalars(
            select(Need).where(scope, Need.status == NeedStatus.returned)
            .order_by(Need.status_changed_at).limit(SHOWN)))
        late = limits.overdue(_oldest_waiting(scope, wide))
    elif user.role == Role.reviewer:
        if services.is_township_reviewer(user):
            mine = Need.status == NeedStatus.submitted
        else:
            mine = or_(Need.status == NeedStatus.reviewed,
                       (Need.status == NeedStatus.submitted)
                       & (func.length(Need.region_code) == 6))
        waiting = _oldest(scope, mine)
        data["waiting"] = waiting[:SHOWN]
        data["waiting_count"] = _count(scope & mine)
        late = limits.overdue(waiting)
    else:
        data.update(area_figures("needs", user, lambda: _area(user, scope, wide)))
        return Section(template="needs/_dashboard.html", data=data, order=30)
    data.update(_overdue(late))
    data["grants"] = _grants(user)
    return Section(template="needs/_dashboard.html", data=data, order=30)


def _overdue(late: list) -> dict:
    return {"overdue": late[:SHOWN], "overdue_ids": frozenset(n.id for n in late),
            "overdue_count": len(late)}


def _area(user: User, scope, wide: bool) -> dict:
    """An oversight officer's card: the area's overdue needs and unconfirmed advances, as plain
    data shared by the area's officers (:func:`marketplace.common.ui.area_figures`)."""
    figures = _overdue(limits.overdue(_oldest_waiting(scope, wide)))
    figures["grants"] = [Advance(g.need_id, g.amount, g.confirm_by) for g in _grants(user)]
    return figures
