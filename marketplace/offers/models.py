"""Offers: what an organisation brings (funds pledges, goods, service capacity).

The stored ``status`` is what people decide (draft, open, withdrawn). "Fully allocated" and
"expired" are derived from the allocations and the dates, so they can never disagree with them
(see :func:`marketplace.offers.services.offer_state`).
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import Organization
from marketplace.catalog.models import GoodsItem, ServiceType
from marketplace.catalog.vocab import LineKind
from marketplace.common.models import Base, TimestampMixin, enum_type
from marketplace.regions.models import scope_prefix


class OfferStatus(enum.StrEnum):
    """Stored status: what the organisation decided."""

    draft = "draft"
    open = "open"
    withdrawn = "withdrawn"


class OfferState(enum.StrEnum):
    """Displayed state: the stored status plus what the data says."""

    draft = "draft"
    open = "open"
    fully_allocated = "fully_allocated"
    expired = "expired"
    withdrawn = "withdrawn"


class FundsSource(enum.StrEnum):
    own_funds = "own_funds"
    #: A filed public-fundraising campaign (R8.1, R8.3): only qualified organisations.
    campaign = "campaign"


class GoodsCondition(enum.StrEnum):
    new = "new"
    used = "used"


class Offer(TimestampMixin, Base):
    __tablename__ = "offers"
    __table_args__ = (
        CheckConstraint("capacity > 0", name="capacity_positive"),
        CheckConstraint("unit_price IS NULL OR unit_price >= 0", name="unit_price_not_negative"),
        CheckConstraint("valid_until IS NULL OR valid_until >= valid_from", name="valid_period"),
    )
    __scope_organization__ = "organization_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    kind: Mapped[LineKind] = mapped_column(enum_type(LineKind, 16), index=True)
    #: Purpose category of goods and services (from the catalogue); None for funds.
    category: Mapped[str | None] = mapped_column(String(32), index=True)
    #: Funds only: the categories the money is restricted to (empty = any).
    categories: Mapped[list[Any]] = mapped_column(JSON, default=list)
    goods_item_id: Mapped[int | None] = mapped_column(ForeignKey("goods_items.id"))
    service_type_id: Mapped[int | None] = mapped_column(ForeignKey("service_types.id"))
    #: Total quantity offered: CNY for funds, item units for goods, hours/sessions for services.
    #: What remains is derived from the allocations, never stored.
    capacity: Mapped[Decimal]
    #: Region codes served; a code serves its whole subtree (prefix rule); empty = everywhere.
    regions: Mapped[list[Any]] = mapped_column(JSON, default=list)
    #: Qualification codes the organisation's staff hold for this service.
    qualifications: Mapped[list[Any]] = mapped_column(JSON, default=list)
    #: Donor restriction: only households in one of these groups (empty = any).
    groups: Mapped[list[Any]] = mapped_column(JSON, default=list)
    #: Price per unit in CNY when the service is purchased (contract offers: the contract price).
    unit_price: Mapped[Decimal | None]
    valid_from: Mapped[date]
    valid_until: Mapped[date | None]
    status: Mapped[OfferStatus] = mapped_column(enum_type(OfferStatus, 16),
                                                default=OfferStatus.draft, index=True)
    funds_source: Mapped[FundsSource | None] = mapped_column(enum_type(FundsSource, 16))
    #: Record number of the filed fundraising campaign (募捐方案备案编号).
    campaign_record_no: Mapped[str] = mapped_column(String(64), default="")
    pickup_region_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"))
    #: Best-before date of perishable goods: after it the offer is expired.
    expiry_date: Mapped[date | None]
    condition: Mapped[GoodsCondition | None] = mapped_column(enum_type(GoodsCondition, 8))
    note: Mapped[str] = mapped_column(Text, default="")
    #: Set when the offer was generated from an active government-purchase contract line.
    contract_line_id: Mapped[int | None] = mapped_column(
        ForeignKey("contract_lines.id"), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    withdrawn_at: Mapped[datetime | None]

    organization: Mapped[Organization] = relationship()
    goods_item: Mapped[GoodsItem | None] = relationship()
    service_type: Mapped[ServiceType | None] = relationship()

    @property
    def unit(self) -> str:
        """Unit of ``capacity``: CNY, the goods item's unit or the service's hour/session."""
        if self.kind == LineKind.funds:
            return "CNY"
        if self.kind == LineKind.goods and self.goods_item is not None:
            return self.goods_item.unit
        if self.service_type is not None:
            return self.service_type.unit
        return ""

    @property
    def region_prefixes(self) -> list[str]:
        """The regions as prefixes for the matching engine ("433100" → "4331")."""
        return [scope_prefix(code) for code in self.regions or []]

    def ends_on(self) -> date | None:
        """The last day the offer can be used: validity or best-before, whichever is first."""
        days = [d for d in (self.valid_until, self.expiry_date) if d is not None]
        return min(days) if days else None

    def __repr__(self) -> str:
        return f"<Offer {self.id} {self.kind} org={self.organization_id} {self.status}>"


def can_operate(org: Organization | None) -> bool:
    """Whether ``org`` may offer or accept: verified and not suspended.

    Uses ``Organization.can_operate`` when the organisation profile provides it.
    """
    if org is None:
        return False
    flag = getattr(org, "can_operate", None)
    if isinstance(flag, bool):
        return flag
    return org.status == "verified"


def is_expired(offer: Offer, today: date) -> bool:
    """Past its validity or best-before date (expired goods stop being offered)."""
    end = offer.ends_on()
    return end is not None and end < today
