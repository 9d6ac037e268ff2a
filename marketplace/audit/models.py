"""Audit events. Rows are only ever inserted; nothing updates or deletes them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.common.models import Base, utcnow


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __scope_region__ = "region_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    #: The actor's role at the time (roles can change later).
    actor_role: Mapped[str] = mapped_column(String(32), default="")
    #: Verb in snake case, e.g. ``need.approve``, ``household.read_id_number``.
    action: Mapped[str] = mapped_column(String(64), index=True)
    object_type: Mapped[str] = mapped_column(String(40), index=True)
    object_id: Mapped[str] = mapped_column(String(40), index=True)
    #: Region of the object, so officers search the trail within their scope.
    region_code: Mapped[str | None] = mapped_column(String(12), index=True)
    note: Mapped[str] = mapped_column(Text, default="")
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    def __repr__(self) -> str:
        return f"<AuditEvent {self.id} {self.action} {self.object_type}:{self.object_id}>"
