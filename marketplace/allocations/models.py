"""Allocations: a quantity of one offer promised to one need line."""

from __future__ import annotations

import enum
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.common.models import Base, TimestampMixin, enum_type
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

    offer: Mapped[Offer] = relationship()
    need_line: Mapped[NeedLine] = relationship()

    def __repr__(self) -> str:
        return (f"<Allocation {self.id} offer={self.offer_id} line={self.need_line_id} "
                f"{self.quantity} {self.status}>")
