"""A notification for one user about one object."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.common.models import Base, enum_type, utcnow


class NotificationKind(enum.StrEnum):
    allocation_waiting = "allocation_waiting"  # a provider has an allocation to accept
    acceptance_overdue = "acceptance_overdue"  # nobody accepted it in time
    delivery_to_confirm = "delivery_to_confirm"  # a caseworker has a delivery to confirm
    run_finished = "run_finished"  # an officer's matching run is done or failed


class Notification(Base):
    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_unread", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[NotificationKind] = mapped_column(enum_type(NotificationKind, 32))
    #: What it is about (table name and id), for the link.
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str] = mapped_column(String(32))
    #: Values for the message (numbers, names already safe to show this user).
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]
