"""Notifications in the site: who hears about what, and the unread counter behind the bell.

Other areas call :func:`notify`, :func:`notify_organization` or :func:`notify_officers` in the
transaction that makes the event happen (allocation proposed, acceptance overdue, delivery to
confirm, run finished); these functions flush, never commit.

Each user row carries ``unread_notifications`` so the bell in the navigation bar reads it from
the signed-in user, which every page loads anyway: no query per page. The counter changes only
through SQL increments (``SET n = n + k``) in the same transaction as the notification rows, so
concurrent notify/mark_read calls cannot lose an update the way read-modify-write would: the
database serialises the increments on the user row, and a notification turns read exactly once
(``WHERE read_at IS NULL``), so it is subtracted exactly once.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import func, select, update

from marketplace.accounts.models import GOVERNMENT_ROLES, Role, User
from marketplace.common.models import utcnow
from marketplace.extensions import db
from marketplace.notifications.models import Notification, NotificationKind
from marketplace.regions.models import scope_prefix

PER_PAGE = 20


def notify(user_ids: Iterable[int], kind: NotificationKind, obj: Any,
           params: dict[str, Any] | None = None) -> list[Notification]:
    """Tell each user (once, however often listed) about ``obj``; flushes only.

    ``obj`` is any model row with an ``id``; the notification keeps its table name and id for
    the link. ``params`` are values for the message (numbers, names) already safe to show to
    every recipient.
    """
    ids = sorted({int(i) for i in user_ids})
    if not ids:
        return []
    object_type = obj.__tablename__
    object_id = str(obj.id)
    now = utcnow()
    notes = [Notification(user_id=uid, kind=NotificationKind(kind), object_type=object_type,
                          object_id=object_id, params=dict(params or {}), created_at=now)
             for uid in ids]
    db.session.add_all(notes)
    db.session.flush()
    _add_to_counters(ids, 1)
    return notes


def notify_organization(org_id: int, kind: NotificationKind, obj: Any,
                        params: dict[str, Any] | None = None) -> list[Notification]:
    """Tell the active staff of one organisation."""
    staff = db.session.scalars(
        select(User.id).where(User.organization_id == org_id, User.role == Role.provider_staff,
                              User.active.is_(True)))
    return notify(staff, kind, obj, params)


def covering_codes(region_code: str) -> list[str]:
    """The home-region codes whose scope contains ``region_code``: the province, prefecture,
    county, township and village codes above it (and itself), as :func:`scope_prefix` sees
    them (``433101001`` → 430000, 433100, 433101, 433101001)."""
    candidates = {region_code[:2] + "0000", region_code[:4] + "00"}
    candidates.update(region_code[:n] for n in (6, 9, 12) if len(region_code) >= n)
    return sorted(c for c in candidates if region_code.startswith(scope_prefix(c)))


def officer_ids(region_code: str, roles: Iterable[Role | str]) -> list[int]:
    """The active users of ``roles`` whose scope covers ``region_code`` (government roles by
    their home region; administrators see everything, so they count when named)."""
    wanted = {Role(r) for r in roles}
    government = sorted(wanted & GOVERNMENT_ROLES)
    conditions = []
    if government:
        conditions.append(User.role.in_(government)
                          & User.region_code.in_(covering_codes(region_code)))
    if Role.admin in wanted:
        conditions.append(User.role == Role.admin)
    if not conditions:
        return []
    condition = conditions[0] if len(conditions) == 1 else conditions[0] | conditions[1]
    return list(db.session.scalars(select(User.id).where(condition, User.active.is_(True))))


def notify_officers(region_code: str, roles: Iterable[Role | str], kind: NotificationKind,
                    obj: Any, params: dict[str, Any] | None = None) -> list[Notification]:
    """Tell the active users of ``roles`` whose scope covers ``region_code`` (see
    :func:`officer_ids`)."""
    return notify(officer_ids(region_code, roles), kind, obj, params)


def unread_count(user: User) -> int:
    """The user's unread count as the database has it now (the bell reads the loaded row's
    ``unread_notifications`` instead, at no cost)."""
    return db.session.scalar(select(User.unread_notifications).where(User.id == user.id)) or 0


def page_for(user: User, page: int = 1, per_page: int = PER_PAGE) -> Pagination:
    """One page of ``user``'s notifications, newest first (and only theirs)."""
    return db.paginate(select(Notification).where(Notification.user_id == user.id)
                       .order_by(Notification.created_at.desc(), Notification.id.desc()),
                       page=page, per_page=per_page, error_out=False)


def get_own(user: User, notification_id: int) -> Notification | None:
    """``user``'s notification by id; None for a missing one and for anyone else's alike."""
    return db.session.scalar(select(Notification).where(
        Notification.id == notification_id, Notification.user_id == user.id))


def mark_read(user: User, ids: Iterable[int] | None = None) -> int:
    """Mark ``user``'s notifications ``ids`` read (all of them when None); others' ids are
    ignored. Returns how many turned read now; flushes only."""
    stmt = (update(Notification)
            .where(Notification.user_id == user.id, Notification.read_at.is_(None))
            .values(read_at=utcnow())
            .execution_options(synchronize_session=False))
    if ids is not None:
        wanted = sorted({int(i) for i in ids})
        if not wanted:
            return 0
        stmt = stmt.where(Notification.id.in_(wanted))
    changed = db.session.execute(stmt).rowcount or 0
    _expire_loaded(Notification, lambda n: n.__dict__.get("user_id") == user.id)
    if changed:
        _add_to_counters([user.id], -changed)
    return changed


def recount(user: User) -> int:
    """Set the counter from the notifications themselves (a repair tool; flushes only)."""
    actual = select(func.count(Notification.id)).where(
        Notification.user_id == User.id, Notification.read_at.is_(None)).scalar_subquery()
    db.session.execute(update(User).where(User.id == user.id)
                       .values(unread_notifications=actual, updated_at=User.updated_at)
                       .execution_options(synchronize_session=False))
    _expire_loaded(User, lambda u: u.__dict__.get("id") == user.id, ["unread_notifications"])
    return unread_count(user)


def _add_to_counters(user_ids: list[int], delta: int) -> None:
    # updated_at=itself: a new notification is not an edit of the account.
    db.session.execute(
        update(User).where(User.id.in_(user_ids))
        .values(unread_notifications=User.unread_notifications + delta,
                updated_at=User.updated_at)
        .execution_options(synchronize_session=False))
    wanted = set(user_ids)
    _expire_loaded(User, lambda u: u.__dict__.get("id") in wanted, ["unread_notifications"])


def _expire_loaded(model: type, match: Any, attrs: list[str] | None = None) -> None:
    """Expire rows already in the session that an UPDATE statement changed behind its back,
    so the next read sees the database's value. ``match`` reads ``__dict__`` so that checking
    never loads an expired row."""
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, model) and match(obj):
            db.session.expire(obj, attrs)
