"""Contract performance evaluations (绩效评价 of 政府购买服务, R6.4).

An evaluation is the purchaser's judgement of one contract at one date: the indicators computed
from the data at that date are stored with it (a snapshot: later deliveries do not change a
judgement already made), with the weights the officer chose, the per-indicator scores, the
weighted score and its grade. Only published evaluations appear on the provider's public page.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.common.models import Base, enum_type, utcnow
from marketplace.contracts.models import Contract


class Grade(enum.StrEnum):
    """Grades of a weighted score (0–100): 优秀 ≥ 90, 良好 ≥ 80, 合格 ≥ 60, else 不合格."""

    excellent = "excellent"
    good = "good"
    passed = "pass"
    fail = "fail"


class ContractEvaluation(Base):
    __tablename__ = "contract_evaluations"
    __table_args__ = (CheckConstraint("score BETWEEN 0 AND 100", name="score_range"),)
    #: The purchaser's region, copied from the contract (it never changes): officers' scope.
    __scope_region__ = "region_code"
    __scope_organization__ = "provider_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"),
                                             index=True)
    region_code: Mapped[str] = mapped_column(String(12), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    #: The date the indicators were computed for.
    as_of: Mapped[date]
    #: Snapshot of the computed indicators (numbers as strings, None when not applicable).
    indicators: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: Weight per indicator (integers adding up to 100).
    weights: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: Score per indicator, 0–100 (None when the indicator had no data).
    scores: Mapped[dict[str, Any]] = mapped_column(JSON)
    score: Mapped[Decimal] = mapped_column(Numeric(5, 2, asdecimal=True))
    grade: Mapped[Grade] = mapped_column(enum_type(Grade, 16))
    comment: Mapped[str] = mapped_column(Text, default="")
    evaluated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    evaluated_at: Mapped[datetime] = mapped_column(default=utcnow)
    published: Mapped[bool] = mapped_column(Boolean, default=False)

    contract: Mapped[Contract] = relationship()

    def __repr__(self) -> str:
        return (f"<ContractEvaluation {self.id} contract={self.contract_id} {self.score} "
                f"{self.grade}{' published' if self.published else ''}>")
