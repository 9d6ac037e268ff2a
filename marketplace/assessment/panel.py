"""What the household page's assessment panel lists (``assessment/_household_panel.html``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import (
    Date,
    Integer,
    Numeric,
    Select,
    String,
    bindparam,
    literal,
    null,
    select,
    union_all,
)

from marketplace.assessment.models import Assessment, EligibilityCase
from marketplace.extensions import db
from marketplace.households.models import Household


@dataclass(frozen=True)
class AssessmentRow:
    id: int
    version: int
    assessed_on: date
    per_capita_income: Decimal
    proposed_class: str
    proposed_amount: Decimal


@dataclass(frozen=True)
class CaseRow:
    id: int
    category: str
    status: str


@dataclass(frozen=True)
class AssessmentPanel:
    assessments: list[AssessmentRow]  # newest version first
    cases: list[CaseRow]  # newest first


def _panel_statement() -> Select:
    household_id = bindparam("household_id")
    assessments = select(
        literal("a").label("kind"), Assessment.id.label("id"),
        Assessment.version.label("version"), Assessment.assessed_on.label("day"),
        Assessment.per_capita_income.label("income"), Assessment.proposed_class.label("label"),
        Assessment.proposed_amount.label("amount"), null().cast(String(32)).label("status"),
    ).where(Assessment.household_id == household_id)
    cases = select(
        literal("c"), EligibilityCase.id, null().cast(Integer), null().cast(Date),
        null().cast(Numeric), EligibilityCase.category, null().cast(Numeric),
        EligibilityCase.status.cast(String(32)),
    ).where(EligibilityCase.household_id == household_id)
    both = union_all(assessments, cases).subquery()
    return select(both).order_by(both.c.kind, both.c.version.desc(), both.c.id.desc())


#: Built once: building the UNION (its column collections, its cache key) cost as much as
#: running it, on every household page.
_PANEL = _panel_statement()


def assessment_panel(household: Household) -> AssessmentPanel:
    """The household's assessments and applications with the few columns the panel shows, in
    one query (a UNION ALL of both tables): every household page shows this panel."""
    found = AssessmentPanel([], [])
    rows = db.session.execute(_PANEL, {"household_id": household.id})
    for kind, id_, version, day, income, label, amount, status in rows:
        if kind == "a":
            found.assessments.append(AssessmentRow(id_, version, day, income, label, amount))
        else:
            found.cases.append(CaseRow(id_, label, status))
    return found
