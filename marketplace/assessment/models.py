"""Local standards, versioned economic assessments and eligibility cases."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.common.models import Base, TimestampMixin, enum_type, utcnow


class Standard(Base):
    """Assistance standards of a county (or a prefecture, or the province as the default) from a
    date on. Rows are never edited: a change is a new row with a later ``effective_from``."""

    __tablename__ = "assistance_standards"
    __table_args__ = (
        UniqueConstraint("region_code", "effective_from", name="one_per_day"),
        CheckConstraint("dibao_urban_monthly > 0 AND dibao_rural_monthly > 0",
                        name="positive_standards"),
    )
    __scope_region__ = "region_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    effective_from: Mapped[date]
    #: 低保 standards in CNY per person per month (R1.1; rural = annual / 12, R1.3).
    dibao_urban_monthly: Mapped[Decimal]
    dibao_rural_monthly: Mapped[Decimal]
    #: 特困 basic living = factor × 低保 standard (R2.1, ≥ 1.3).
    tekun_factor: Mapped[Decimal] = mapped_column(default=Decimal("1.3"))
    #: 低保边缘 line = factor × 低保 standard (R5.2).
    low_income_factor: Mapped[Decimal] = mapped_column(default=Decimal("1.5"))
    #: Share of income that rigid spending must exceed (R5.3).
    rigid_share: Mapped[Decimal] = mapped_column(default=Decimal("0.6"))
    #: Last year's local per-capita disposable income per month (R5.3, R3.3).
    disposable_income_urban_monthly: Mapped[Decimal]
    disposable_income_rural_monthly: Mapped[Decimal]
    #: Last year's monthly minimum wage, the base of 特困 care (R2.2).
    minimum_wage_monthly: Mapped[Decimal]
    #: Deposits allowed, in months of the standard per person (R1.12, illustrative).
    deposit_months: Mapped[int] = mapped_column(default=24)
    #: ``gap`` (R1.2a) or ``bands`` (R1.2b).
    method: Mapped[str] = mapped_column(String(8), default="gap")
    #: For ``bands``: list of [max gap share, amount per person].
    bands: Mapped[list[Any] | None] = mapped_column(JSON)
    #: Small advance grants in months of standard per person (R3.5).
    advance_multiple: Mapped[Decimal] = mapped_column(default=Decimal("2"))
    #: Temporary-assistance caps in multiples of the standard (R3.4).
    temporary_multiples: Mapped[dict[str, Any]] = mapped_column(
        JSON, default=lambda: {"emergency": "2", "medical": "10", "education": "6"})
    note: Mapped[str] = mapped_column(Text, default="")
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def dibao_monthly(self, urban: bool) -> Decimal:
        return self.dibao_urban_monthly if urban else self.dibao_rural_monthly

    def __repr__(self) -> str:
        return f"<Standard {self.region_code} from {self.effective_from}>"


class Assessment(Base):
    """One version of a household's economic assessment (家庭经济状况核对). New facts make a new
    version; earlier versions stay as history."""

    __tablename__ = "assessments"
    __table_args__ = (UniqueConstraint("household_id", "version", name="one_version"),)
    __scope_region__ = "region_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    version: Mapped[int]
    #: Copied from the household so scope checks need no join.
    region_code: Mapped[str] = mapped_column(String(12), index=True)
    assessed_on: Mapped[date]
    members_counted: Mapped[int]
    urban: Mapped[bool]
    #: Monthly amounts in CNY by item (strings of Decimals): income and deductible spending.
    incomes: Mapped[dict[str, Any]] = mapped_column(JSON)
    deductions: Mapped[dict[str, Any]] = mapped_column(JSON)
    deposits: Mapped[Decimal]
    vehicles: Mapped[int] = mapped_column(default=0)
    extra_homes: Mapped[int] = mapped_column(default=0)
    rigid_spending_12m: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    tekun_candidate: Mapped[bool] = mapped_column(default=False)
    self_care: Mapped[str] = mapped_column(String(16), default="self_care")
    institutional: Mapped[bool] = mapped_column(default=False)
    standard_id: Mapped[int] = mapped_column(ForeignKey("assistance_standards.id"))
    per_capita_income: Mapped[Decimal]
    proposed_class: Mapped[str] = mapped_column(String(16))
    proposed_amount: Mapped[Decimal]
    #: Special-care amount for 特困 (R2.2), when proposed.
    care_amount: Mapped[Decimal | None]
    #: The working of every rule: {rule: {"value": ..., "source": ..., "steps": [...]}}.
    working: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    standard: Mapped[Standard] = relationship()

    def __repr__(self) -> str:
        return f"<Assessment household={self.household_id} v{self.version}>"


class CaseStatus(enum.StrEnum):
    applied = "applied"  # 受理
    investigated = "investigated"  # 入户调查
    proposed = "proposed"  # 乡镇初审
    notice = "notice"  # 公示
    approved = "approved"  # 县级确认
    refused = "refused"
    hearing = "hearing"  # 停发/减发前听取意见 (R1.14)
    stopped = "stopped"


class EligibilityCase(TimestampMixin, Base):
    """The legal process of an eligibility decision (R1.13) and of a cut (R1.14)."""

    __tablename__ = "eligibility_cases"
    __scope_region__ = "region_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    region_code: Mapped[str] = mapped_column(String(12), index=True)
    category: Mapped[str] = mapped_column(String(16))
    #: Who filed: the applicant, or a village/community committee on their behalf (R1.13).
    filed_by: Mapped[str] = mapped_column(String(16), default="applicant")
    status: Mapped[CaseStatus] = mapped_column(enum_type(CaseStatus), index=True,
                                               default=CaseStatus.applied)
    assessment_id: Mapped[int | None] = mapped_column(ForeignKey("assessments.id"))
    monthly_amount: Mapped[Decimal | None]
    investigation_note: Mapped[str] = mapped_column(Text, default="")
    notice_until: Mapped[date | None]
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    hearing_note: Mapped[str] = mapped_column(Text, default="")

    assessment: Mapped[Assessment | None] = relationship()

    def __repr__(self) -> str:
        return f"<EligibilityCase {self.id} {self.category} {self.status}>"
