"""Needs in the "funds + goods + services" format, stage time limits and emergency advances."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.catalog.models import GoodsItem, ServiceType
from marketplace.catalog.vocab import LineKind
from marketplace.common.models import Base, TimestampMixin, enum_type, utcnow

if TYPE_CHECKING:
    from marketplace.households.models import Household


class NeedCause(enum.StrEnum):
    illness = "illness"
    disability = "disability"
    education = "education"
    disaster = "disaster"
    unemployment = "unemployment"
    accident = "accident"
    other = "other"


class Urgency(enum.StrEnum):
    emergency = "emergency"
    normal = "normal"


class NeedStatus(enum.StrEnum):
    draft = "draft"
    submitted = "submitted"
    reviewed = "reviewed"
    approved = "approved"
    published = "published"
    partially_matched = "partially_matched"
    matched = "matched"
    fulfilled = "fulfilled"
    closed = "closed"
    returned = "returned"
    withdrawn = "withdrawn"


#: Statuses in which a need is on the public board and open to pledges.
BOARD_STATUSES = (NeedStatus.published, NeedStatus.partially_matched)
#: The same, as the condition of the board's partial indexes (migrations 0011 and 0012).
_ON_BOARD = "status IN ('published', 'partially_matched')"


class LineStatus(enum.StrEnum):
    open = "open"
    covered = "covered"
    cancelled = "cancelled"


class Need(TimestampMixin, Base):
    """What one household needs, for one cause, by a deadline."""

    __tablename__ = "needs"
    __scope_region__ = "region_code"
    __table_args__ = (
        Index("ix_needs_status_county", "status", "county_code"),
        Index("ix_needs_board", "status", "published_at"),
        # Dashboards list the needs waiting longest first (needs.dashboard, migration 0017).
        Index("ix_needs_status_changed_at_id", "status_changed_at", "id"),
        # The public board lists published needs by deadline, across the province or in one
        # county: partial indexes on the board's statuses give that order without sorting.
        Index("ix_needs_board_deadline", "deadline", "id",
              postgresql_where=text(_ON_BOARD), sqlite_where=text(_ON_BOARD)),
        Index("ix_needs_board_county", "county_code", "deadline", "id",
              postgresql_where=text(_ON_BOARD), sqlite_where=text(_ON_BOARD)),
        # The board's other sorts: urgency ('emergency' sorts before 'normal'), then deadline;
        # newest published first (migration 0012).
        Index("ix_needs_board_urgency", "urgency", "deadline", "id",
              postgresql_where=text(_ON_BOARD), sqlite_where=text(_ON_BOARD)),
        Index("ix_needs_board_county_urgency", "county_code", "urgency", "deadline", "id",
              postgresql_where=text(_ON_BOARD), sqlite_where=text(_ON_BOARD)),
        Index("ix_needs_board_published", "published_at", "id",
              postgresql_where=text(_ON_BOARD), sqlite_where=text(_ON_BOARD)),
        Index("ix_needs_board_county_published", "county_code", "published_at", "id",
              postgresql_where=text(_ON_BOARD), sqlite_where=text(_ON_BOARD)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    #: Where help is needed: the household's region, or for an emergency the place where it
    #: happened, whatever the household's registration (R3.1).
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    #: The 6-digit county of ``region_code``; the board shows only this (anonymised place).
    county_code: Mapped[str] = mapped_column(String(6), index=True)
    cause: Mapped[NeedCause] = mapped_column(enum_type(NeedCause))
    urgency: Mapped[Urgency] = mapped_column(enum_type(Urgency, 16), default=Urgency.normal)
    deadline: Mapped[date]
    #: For temporary assistance: ``emergency`` (急难型), ``medical`` or ``education`` (支出型).
    assistance_type: Mapped[str | None] = mapped_column(String(16))
    #: Internal notes for officers; never shown on the public board.
    summary: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[NeedStatus] = mapped_column(enum_type(NeedStatus), default=NeedStatus.draft)
    #: When the need entered its current status (stage time limits count from here).
    status_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    return_reason: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    published_at: Mapped[datetime | None]
    #: When the need entered ``fulfilled`` (kept when it is closed): balance summaries.
    fulfilled_at: Mapped[datetime | None]

    household: Mapped[Household] = relationship()
    lines: Mapped[list[NeedLine]] = relationship(
        back_populates="need", cascade="all, delete-orphan", order_by="NeedLine.id")
    grant: Mapped[EmergencyGrant | None] = relationship(back_populates="need")

    def __repr__(self) -> str:
        return f"<Need {self.id} {self.status} {self.region_code}>"


class NeedLine(Base):
    """One line of a need: an amount of funds, a quantity of a goods item, or hours/sessions of
    a service type. Lines are what providers pledge to and what the optimiser matches."""

    __tablename__ = "need_lines"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="positive_quantity"),
        CheckConstraint(
            "(kind = 'funds' AND goods_item_id IS NULL AND service_type_id IS NULL)"
            " OR (kind = 'goods' AND goods_item_id IS NOT NULL AND service_type_id IS NULL)"
            " OR (kind = 'services' AND service_type_id IS NOT NULL AND goods_item_id IS NULL)",
            name="kind_item"),
        Index("ix_need_lines_board", "kind", "category"),
        # Covers the board's capped count in one county (need -> its open lines of a kind):
        # index-only, no table lookups (migration 0013).
        Index("ix_need_lines_need_kind_status", "need_id", "kind", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("needs.id", ondelete="CASCADE"), index=True)
    kind: Mapped[LineKind] = mapped_column(enum_type(LineKind, 16))
    #: Purpose category (a key of ``vocab.CATEGORIES``).
    category: Mapped[str] = mapped_column(String(32))
    goods_item_id: Mapped[int | None] = mapped_column(ForeignKey("goods_items.id"))
    service_type_id: Mapped[int | None] = mapped_column(ForeignKey("service_types.id"))
    #: CNY for funds, item units for goods, hours or sessions for services.
    quantity: Mapped[Decimal]
    #: ``CNY``, the goods item's unit, or the service type's unit (copied for display).
    unit: Mapped[str] = mapped_column(String(16))
    #: Qualification codes the provider's staff must hold (services).
    requires: Mapped[list[Any]] = mapped_column(JSON, default=list)
    window_start: Mapped[date | None]
    window_end: Mapped[date | None]
    status: Mapped[LineStatus] = mapped_column(enum_type(LineStatus, 16), default=LineStatus.open)

    need: Mapped[Need] = relationship(back_populates="lines")
    goods_item: Mapped[GoodsItem | None] = relationship()
    service_type: Mapped[ServiceType | None] = relationship()

    @property
    def region_code(self) -> str:
        return self.need.region_code

    def __repr__(self) -> str:
        return f"<NeedLine {self.id} {self.kind} {self.quantity} {self.unit}>"


class StageLimit(Base):
    """How many days a need may wait in one stage in a region (county, prefecture or province).

    The most specific row wins; without rows the defaults of ``services.DEFAULT_STAGE_DAYS``
    apply. The stage ``confirmation`` counts working days for confirming an emergency advance.
    """

    __tablename__ = "stage_limits"
    __scope_region__ = "region_code"
    __table_args__ = (
        UniqueConstraint("region_code", "stage", name="uq_stage_limits_region_stage"),
        CheckConstraint("days > 0 AND days <= 365", name="sensible_days"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    stage: Mapped[str] = mapped_column(String(32))
    days: Mapped[int]
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        return f"<StageLimit {self.region_code} {self.stage} {self.days}>"


class GrantStatus(enum.StrEnum):
    awaiting = "awaiting"
    confirmed = "confirmed"
    rejected = "rejected"


class EmergencyGrant(Base):
    """A small advance paid at once on an emergency need (小额先行, R3.2, R3.5), to be
    confirmed by the township afterwards within a number of working days."""

    __tablename__ = "emergency_grants"
    __scope_region__ = "region_code"
    __table_args__ = (CheckConstraint("amount > 0 AND amount <= limit_amount",
                                      name="within_limit"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("needs.id"), unique=True)
    #: The need's region (where the emergency happened).
    region_code: Mapped[str] = mapped_column(String(12), index=True)
    amount: Mapped[Decimal]
    #: The limit in force when the grant was made, and how it was worked out.
    limit_amount: Mapped[Decimal]
    monthly_standard: Mapped[Decimal]
    multiple: Mapped[Decimal]
    household_size: Mapped[int]
    note: Mapped[str] = mapped_column(Text, default="")
    granted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirm_by: Mapped[date]
    status: Mapped[GrantStatus] = mapped_column(enum_type(GrantStatus, 16),
                                                default=GrantStatus.awaiting, index=True)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    decision_note: Mapped[str] = mapped_column(Text, default="")

    need: Mapped[Need] = relationship(back_populates="grant")

    def __repr__(self) -> str:
        return f"<EmergencyGrant {self.id} need={self.need_id} {self.amount} {self.status}>"
