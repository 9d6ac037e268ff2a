"""Audit events. Rows are only ever inserted; once committed they are chained (``seq``,
``prev_hash``, ``hash``: see :mod:`marketplace.audit.chain`) and nothing updates or deletes
them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.common.models import Base, utcnow


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __scope_region__ = "region_code"
    __table_args__ = (
        # An object's history and an action's events in chain order; an actor's and a
        # region's events by date (the search page's ways in).
        Index("ix_audit_events_object", "object_type", "object_id", "seq"),
        Index("ix_audit_events_action_seq", "action", "seq"),
        Index("ix_audit_events_actor_at", "actor_id", "at"),
        Index("ix_audit_events_region_at", "region_code", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Position in the hash chain, assigned when the event's transaction commits (NULL until
    #: then). Unique, so two writers can never fork the chain silently.
    seq: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    #: ``hash`` of the event at ``seq - 1`` (64 zeros for the first).
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    #: sha256 over ``prev_hash`` and the event's canonical JSON (hex).
    hash: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: The actor's role at the time (roles can change later).
    actor_role: Mapped[str] = mapped_column(String(32), default="")
    #: Verb in snake case, e.g. ``need.approve``, ``household.read_id_number``.
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str] = mapped_column(String(40))
    #: Region of the object, so officers search the trail within their scope.
    region_code: Mapped[str | None] = mapped_column(String(12))
    note: Mapped[str] = mapped_column(Text, default="")
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    def __repr__(self) -> str:
        return (f"<AuditEvent {self.id} #{self.seq} {self.action} "
                f"{self.object_type}:{self.object_id}>")
