"""Government purchase of services (政府购买服务, R6.1–R6.5): contracts, lines, targets."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Enum, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import Organization
from marketplace.catalog.models import ServiceType
from marketplace.common.models import Base, TimestampMixin, enum_type, utcnow
from marketplace.regions.models import Region


class ContractStatus(enum.StrEnum):
    draft = "draft"
    signed = "signed"
    active = "active"
    ended = "ended"
    terminated = "terminated"


#: Allowed moves: draft → signed → active → ended; any open contract may be terminated.
TRANSITIONS: dict[ContractStatus, frozenset[ContractStatus]] = {
    ContractStatus.draft: frozenset({ContractStatus.signed, ContractStatus.terminated}),
    ContractStatus.signed: frozenset({ContractStatus.active, ContractStatus.terminated}),
    ContractStatus.active: frozenset({ContractStatus.ended, ContractStatus.terminated}),
    ContractStatus.ended: frozenset(),
    ContractStatus.terminated: frozenset(),
}


class TargetMetric(enum.StrEnum):
    """Performance targets (绩效评价, R6.4)."""

    hours_delivered = "hours_delivered"
    households_served = "households_served"
    satisfaction_rate = "satisfaction_rate"  # percent
    response_time_hours = "response_time_hours"


class Contract(TimestampMixin, Base):
    __tablename__ = "contracts"
    __table_args__ = (
        CheckConstraint("budget > 0", name="budget_positive"),
        CheckConstraint("period_end >= period_start", name="period_order"),
    )
    #: The purchaser is the civil-affairs office of this region; its officers manage it.
    __scope_region__ = "region_code"
    __scope_organization__ = "provider_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(160))
    #: Purchaser: the region whose civil-affairs office buys; also the contract's service area.
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    period_start: Mapped[date]
    period_end: Mapped[date]
    budget: Mapped[Decimal]
    status: Mapped[ContractStatus] = mapped_column(enum_type(ContractStatus, 16),
                                                   default=ContractStatus.draft, index=True)
    #: Why the contract may overlap another one of the same provider and service type.
    overlap_reason: Mapped[str] = mapped_column(Text, default="")
    note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    region: Mapped[Region] = relationship()
    provider: Mapped[Organization] = relationship()
    lines: Mapped[list[ContractLine]] = relationship(
        back_populates="contract", cascade="all, delete-orphan", order_by="ContractLine.id")
    targets: Mapped[list[ContractTarget]] = relationship(
        back_populates="contract", cascade="all, delete-orphan", order_by="ContractTarget.id")
    history: Mapped[list[ContractStatusChange]] = relationship(
        back_populates="contract", cascade="all, delete-orphan",
        order_by="ContractStatusChange.id")

    @property
    def lines_total(self) -> Decimal:
        """Σ unit price × contracted quantity over the lines."""
        return sum((line.amount for line in self.lines), Decimal("0"))

    def __repr__(self) -> str:
        return f"<Contract {self.id} {self.region_code} provider={self.provider_id} {self.status}>"


class ContractLine(Base):
    __tablename__ = "contract_lines"
    __table_args__ = (
        UniqueConstraint("contract_id", "service_type_id", name="uq_contract_lines_service"),
        CheckConstraint("unit_price > 0", name="unit_price_positive"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"),
                                             index=True)
    service_type_id: Mapped[int] = mapped_column(ForeignKey("service_types.id"))
    unit_price: Mapped[Decimal]
    #: Contracted units (hours or sessions of the service type).
    quantity: Mapped[Decimal]

    contract: Mapped[Contract] = relationship(back_populates="lines")
    service_type: Mapped[ServiceType] = relationship()

    @property
    def amount(self) -> Decimal:
        return self.unit_price * self.quantity

    def __repr__(self) -> str:
        return f"<ContractLine {self.id} contract={self.contract_id} {self.quantity}>"


class ContractTarget(Base):
    __tablename__ = "contract_targets"
    __table_args__ = (
        UniqueConstraint("contract_id", "metric", name="uq_contract_targets_metric"),
        CheckConstraint("target >= 0", name="target_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"),
                                             index=True)
    metric: Mapped[TargetMetric] = mapped_column(enum_type(TargetMetric))
    target: Mapped[Decimal]

    contract: Mapped[Contract] = relationship(back_populates="targets")

    def __repr__(self) -> str:
        return f"<ContractTarget {self.contract_id} {self.metric}={self.target}>"


def _named_status(name: str) -> Enum:
    return Enum(ContractStatus, native_enum=False, length=16, validate_strings=True,
                values_callable=lambda members: [m.value for m in members], name=name,
                create_constraint=True)


class ContractStatusChange(Base):
    """One step of a contract's life, shown as its history (also in the audit trail)."""

    __tablename__ = "contract_status_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"),
                                             index=True)
    # Two columns of one enum need two constraint names (PostgreSQL names them per table).
    from_status: Mapped[ContractStatus | None] = mapped_column(_named_status("from_status"))
    to_status: Mapped[ContractStatus] = mapped_column(_named_status("to_status"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)

    contract: Mapped[Contract] = relationship(back_populates="history")

    def __repr__(self) -> str:
        return f"<ContractStatusChange {self.contract_id} {self.from_status}->{self.to_status}>"
