"""Searching the audit trail within the officer's scope, newest first.

Pages are keyset-paged on ``seq`` (``before_seq``): the next page starts below the last seq
shown, so deep pages cost the same as the first whatever the size of the trail. The number of
matches is counted up to :data:`COUNT_CAP` only ("more than 1,000"). Events without a region
(catalogue edits, system events) are outside every officer's subtree, so only admins find them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, func, select

from marketplace.accounts.models import Role, User
from marketplace.audit.models import AuditEvent
from marketplace.common.access import scope_filter
from marketplace.common.crypto import mask_id_number, mask_phone
from marketplace.extensions import db

#: Matches are counted up to this many (one more than shown as "more than 1,000"). Counting
#: costs about 10 ms per thousand matches on 5 million events, paid by every search page.
COUNT_CAP = 1_001
#: Events shown per page.
PAGE_SIZE = 50
#: The days are China's (the site's time zone; China has no DST).
CHINA = ZoneInfo("Asia/Shanghai")
#: Roles that may read full personal data (household pages' "show" buttons); everyone else gets
#: masked values in exports.
PERSONAL_DATA_ROLES = frozenset({Role.caseworker, Role.reviewer})
#: Keys whose values are personal data, masked in exports for other roles.
_MASKS = {"id_number": mask_id_number, "phone": mask_phone}
_HIDDEN_KEYS = ("address", "address_detail")


@dataclass(frozen=True)
class AuditFilters:
    """What the officer searches for; every field is optional."""

    object_type: str = ""
    object_id: str = ""
    #: A username, or a user id in digits.
    actor: str = ""
    #: An action or its prefix: ``need`` finds ``need.publish``, ``need.fulfil``…
    action: str = ""
    #: Days in China time, both included.
    date_from: date | None = None
    date_to: date | None = None

    def as_params(self) -> dict[str, str]:
        """The filters as query-string parameters (for links to the next page and exports)."""
        params = {"object_type": self.object_type, "object_id": self.object_id,
                  "actor": self.actor, "action": self.action,
                  "date_from": self.date_from.isoformat() if self.date_from else "",
                  "date_to": self.date_to.isoformat() if self.date_to else ""}
        return {k: v for k, v in params.items() if v}


@dataclass(frozen=True)
class EventRow:
    """One event as the search page and exports show it (plain data)."""

    seq: int
    at: datetime
    actor_id: int | None
    actor_username: str | None
    actor_name: str | None
    actor_role: str
    action: str
    object_type: str
    object_id: str
    region_code: str | None
    note: str
    before: Any
    after: Any
    hash: str


@dataclass(frozen=True)
class SearchPage:
    """A page of events, the seq to continue below (None on the last page) and the capped
    count of all matches."""

    rows: list[EventRow]
    next_before: int | None
    count: int

    @property
    def count_capped(self) -> bool:
        return self.count >= COUNT_CAP


def day_start(day: date) -> datetime:
    """The instant a China-time day starts (aware, for comparisons with UTC timestamps)."""
    return datetime.combine(day, time.min, tzinfo=CHINA)


def conditions(user: User, filters: AuditFilters) -> list[ColumnElement[bool]]:
    """The WHERE clauses of a search: scope, then each filter given."""
    where = [scope_filter(AuditEvent, user), AuditEvent.seq.is_not(None)]
    if filters.object_type:
        where.append(AuditEvent.object_type == filters.object_type)
    if filters.object_id:
        where.append(AuditEvent.object_id == filters.object_id)
    if filters.actor:
        where.append(AuditEvent.actor_id == _actor_id(filters.actor))
    if filters.action:
        action = filters.action
        where.append(AuditEvent.action == action if "." in action
                     else AuditEvent.action.startswith(action + ".", autoescape=True))
    if filters.date_from:
        where.append(AuditEvent.at >= day_start(filters.date_from))
    if filters.date_to:
        where.append(AuditEvent.at < day_start(filters.date_to + timedelta(days=1)))
    return where


def _actor_id(actor: str) -> int:
    """The id of the account named (0, which no account has, when there is none)."""
    if actor.isdigit():
        return int(actor)
    found = db.session.scalar(select(User.id).where(User.username == actor.strip().lower()))
    return found if found is not None else 0


def _select(user: User, filters: AuditFilters):
    return (select(AuditEvent.seq, AuditEvent.at, AuditEvent.actor_id,
                   User.username.label("actor_username"),
                   User.display_name.label("actor_name"), AuditEvent.actor_role,
                   AuditEvent.action, AuditEvent.object_type, AuditEvent.object_id,
                   AuditEvent.region_code, AuditEvent.note, AuditEvent.before, AuditEvent.after,
                   AuditEvent.hash)
            .outerjoin(User, User.id == AuditEvent.actor_id)
            .where(*conditions(user, filters))
            .order_by(AuditEvent.seq.desc()))


def search(user: User, filters: AuditFilters, before_seq: int | None = None,
           limit: int = PAGE_SIZE) -> SearchPage:
    """The newest ``limit`` events matching ``filters`` in ``user``'s scope, below
    ``before_seq`` when given."""
    stmt = _select(user, filters)
    if before_seq is not None:
        stmt = stmt.where(AuditEvent.seq < before_seq)
    plan_for_the_values()
    rows = [EventRow(**row._mapping) for row in db.session.execute(stmt.limit(limit + 1))]
    more = len(rows) > limit
    rows = rows[:limit]
    counted = (select(AuditEvent.id).where(*conditions(user, filters)).limit(COUNT_CAP)
               .subquery())
    count = db.session.scalar(select(func.count()).select_from(counted)) or 0
    return SearchPage(rows, rows[-1].seq if more else None, count)


def plan_for_the_values() -> None:
    """On PostgreSQL, plan the rest of this transaction's statements for the values they are
    run with.

    A search's selectivity varies by orders of magnitude: an action with a hundred events or a
    million, one county or the whole province. psycopg prepares a statement once it has run it
    five times, and PostgreSQL then switched to a generic plan that ignores the values: it read
    the region index for every search, 1.5 s for the page and 0.9 s for the count on 5 million
    events under load, against 12 ms and 99 ms planned for the values (docs/benchmarks.md).
    ``set_config(…, true)`` is ``SET LOCAL`` as a SELECT, so the read-only transaction still
    ends in COMMIT and keeps the connection's prepared statements (common/readonly.py)."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(select(func.set_config("plan_cache_mode", "force_custom_plan", True)))


def may_see_personal_data(user: User) -> bool:
    """Whether exports show ``user`` personal data in full (else masked)."""
    return user.role in PERSONAL_DATA_ROLES


def summary(value: Any, unmasked: bool) -> str:
    """A before/after value as compact JSON, personal data masked unless ``unmasked``."""
    if value is None:
        return ""
    if not unmasked:
        value = _masked(value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _masked(value: Any) -> Any:
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            lowered = str(key).lower()
            mask = next((m for k, m in _MASKS.items() if k in lowered), None)
            if mask is not None and isinstance(item, str):
                out[key] = mask(item)
            elif any(k in lowered for k in _HIDDEN_KEYS) and item:
                out[key] = "***"
            else:
                out[key] = _masked(item)
        return out
    if isinstance(value, list):
        return [_masked(item) for item in value]
    return value


EXPORT_HEADER_KEYS = ("seq", "at", "actor", "actor_role", "action", "object_type",
                      "object_id", "region_code", "note", "before", "after", "hash")


def export_rows(user: User, filters: AuditFilters, unmasked: bool | None = None
                ) -> Iterator[tuple[Any, ...]]:
    """Every matching event, newest first, streamed (``yield_per``), as export rows in the
    order of :data:`EXPORT_HEADER_KEYS`."""
    if unmasked is None:
        unmasked = may_see_personal_data(user)
    # Built now, not in the generator: the rows stream after the view has returned and
    # committed, when the user object can no longer be read.
    stmt = _select(user, filters).execution_options(yield_per=5000)
    return _export_stream(stmt, unmasked)


def _export_stream(stmt, unmasked: bool) -> Iterator[tuple[Any, ...]]:
    for row in db.session.execute(stmt):
        yield (row.seq, row.at, row.actor_username or "", row.actor_role, row.action,
               row.object_type, row.object_id, row.region_code or "", row.note,
               summary(row.before, unmasked), summary(row.after, unmasked), row.hash)


def count_matches(user: User, filters: AuditFilters) -> int:
    """All matches (uncapped), for the export's own audit event."""
    plan_for_the_values()
    return db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(*conditions(user, filters))) or 0
