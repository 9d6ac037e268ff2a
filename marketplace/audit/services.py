"""Recording audit events. Every service that changes state or reveals personal data calls
:func:`record_event` in the same transaction, so the trail and the change commit together."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from marketplace.audit.models import AuditEvent
from marketplace.extensions import db


def record_event(actor: Any, action: str, obj: Any = None, *, object_type: str | None = None,
                 object_id: Any = None, region_code: str | None = None, note: str = "",
                 before: dict[str, Any] | None = None,
                 after: dict[str, Any] | None = None) -> AuditEvent:
    """Append one event.

    Args:
        actor: the user acting (None for the system, e.g. a scheduled expiry).
        action: dotted verb, ``area.verb`` (``organization.verify``).
        obj: the object acted on; its table name, id and scope region are taken from it
            unless given explicitly.
        before, after: small JSON-able summaries of what changed.
    """
    if obj is not None:
        object_type = object_type or obj.__tablename__
        object_id = object_id if object_id is not None else getattr(obj, "id", None)
        attr = getattr(type(obj), "__scope_region__", None)
        region_code = region_code or (getattr(obj, attr, None) if attr else None)
    event = AuditEvent(
        actor_id=getattr(actor, "id", None),
        actor_role=str(getattr(actor, "role", "system")),
        action=action,
        object_type=object_type or "",
        object_id=str(object_id if object_id is not None else ""),
        region_code=region_code,
        note=note,
        before=before,
        after=after,
    )
    db.session.add(event)
    db.session.flush()
    return event


def events_for(object_type: str, object_id: Any) -> list[AuditEvent]:
    """The history of one object, oldest first (for status timelines)."""
    return list(db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.object_type == object_type, AuditEvent.object_id == str(object_id))
        .order_by(AuditEvent.at, AuditEvent.id)))
