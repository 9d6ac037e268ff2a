"""Allocations: a quantity of one offer promised to one need line."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.common.models import Base, TimestampMixin, enum_type, utcnow
from marketplace.offers.models import Offer

if TYPE_CHECKING:  # the needs area maps NeedLine; only the type is needed here
    from marketplace.needs.models import NeedLine


class AllocationStatus(enum.StrEnum):
    pledged = "pledged"  # a provider pledged it on the board
    proposed = "proposed"  # the optimiser proposed it; waiting for the provider
    accepted = "accepted"
    declined = "declined"
    expired = "expired"
    delivered = "delivered"
    confirmed = "confirmed"  # the household / caseworker confirmed receipt
    cancelled = "cancelled"


#: Allocations that no longer hold capacity, need or budget.
RELEASED = frozenset({AllocationStatus.declined, AllocationStatus.expired,
                      AllocationStatus.cancelled})
#: Allocations that hold capacity (everything not released).
COMMITTING = frozenset(AllocationStatus) - RELEASED
#: Allocations still in progress: an offer with one of these cannot be withdrawn.
OPEN = frozenset({AllocationStatus.pledged, AllocationStatus.proposed, AllocationStatus.accepted})
#: Allocations whose units were delivered (they consume contract budget for good).
DELIVERED = frozenset({AllocationStatus.delivered, AllocationStatus.confirmed})
#: Waiting for the provider's action (dashboard).
WAITING = frozenset({AllocationStatus.pledged, AllocationStatus.proposed})


class AllocationSource(enum.StrEnum):
    pledge = "pledge"
    matching = "matching"


class Allocation(TimestampMixin, Base):
    __tablename__ = "allocations"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)
    __scope_organization__ = "organization_id"
    __scope_region__ = "region_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id"), index=True)
    need_line_id: Mapped[int] = mapped_column(ForeignKey("need_lines.id"), index=True)
    #: In the offer's unit (CNY, item units, hours/sessions).
    quantity: Mapped[Decimal]
    status: Mapped[AllocationStatus] = mapped_column(enum_type(AllocationStatus, 16), index=True)
    source: Mapped[AllocationSource] = mapped_column(enum_type(AllocationSource, 16))
    #: The offer's organisation, copied when created (it never changes): provider scope.
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    #: The need's region, copied when created (it never changes): government scope.
    region_code: Mapped[str] = mapped_column(String(12), index=True)
    note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: The matching run that proposed it (``source`` "matching").
    run_id: Mapped[int | None] = mapped_column(ForeignKey("matching_runs.id"), index=True)
    #: A proposed allocation expires unless the provider accepts it by then.
    respond_by: Mapped[datetime | None]
    responded_at: Mapped[datetime | None]
    decline_reason: Mapped[str] = mapped_column(Text, default="")

    offer: Mapped[Offer] = relationship()
    need_line: Mapped[NeedLine] = relationship()

    def __repr__(self) -> str:
        return (f"<Allocation {self.id} offer={self.offer_id} line={self.need_line_id} "
                f"{self.quantity} {self.status}>")


class DeliveryStatus(enum.StrEnum):
    recorded = "recorded"  # the provider recorded it; waiting for the caseworker
    confirmed = "confirmed"  # the caseworker confirmed receipt with the household
    problem = "problem"  # the caseworker recorded a problem (``confirm_note``)


class Delivery(Base):
    """One delivery (or visit, for services) against an accepted allocation."""

    __tablename__ = "deliveries"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)
    __scope_organization__ = "organization_id"
    __scope_region__ = "region_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    allocation_id: Mapped[int] = mapped_column(ForeignKey("allocations.id"), index=True)
    delivered_on: Mapped[date]
    #: In the allocation's unit; for services the hours (or sessions) of this visit.
    quantity: Mapped[Decimal]
    note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[DeliveryStatus] = mapped_column(enum_type(DeliveryStatus, 16), index=True,
                                                   default=DeliveryStatus.recorded)
    #: Copied from the allocation (they never change): provider and government scope.
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    region_code: Mapped[str] = mapped_column(String(12), index=True)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    confirmed_at: Mapped[datetime | None]
    confirm_note: Mapped[str] = mapped_column(Text, default="")
    #: A form's one-time key: the same form sent twice records one delivery.
    form_key: Mapped[str | None] = mapped_column(String(64), unique=True)

    allocation: Mapped[Allocation] = relationship()


class Payment(Base):
    """A payment record for a funds allocation (feeds the disbursement ledger later)."""

    __tablename__ = "payments"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)
    __scope_organization__ = "organization_id"
    __scope_region__ = "region_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    allocation_id: Mapped[int] = mapped_column(ForeignKey("allocations.id"), index=True)
    delivery_id: Mapped[int | None] = mapped_column(ForeignKey("deliveries.id"), index=True)
    amount: Mapped[Decimal]
    paid_on: Mapped[date]
    channel: Mapped[str] = mapped_column(String(16))  # bank transfer, cash, ... (vocabulary)
    reference: Mapped[str] = mapped_column(String(64), default="")
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    region_code: Mapped[str] = mapped_column(String(12), index=True)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Feedback(Base):
    """The household's satisfaction with one delivery, as the caseworker recorded it."""

    __tablename__ = "feedback"
    __table_args__ = (CheckConstraint("satisfaction BETWEEN 1 AND 5", name="satisfaction_range"),)
    __scope_region__ = "region_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id"), unique=True)
    #: The delivery's provider, copied: ratings are per organisation.
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    region_code: Mapped[str] = mapped_column(String(12), index=True)
    satisfaction: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
