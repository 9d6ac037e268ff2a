"""The household page's assessment panel: assessments and applications in one query."""

from __future__ import annotations

from decimal import Decimal as D

from marketplace.assessment import services
from marketplace.assessment.panel import assessment_panel
from tests.marketplace.assessment.conftest import _user
from tests.marketplace.assessment.test_services import _input
from tests.marketplace.querycount import counted


def test_panel_lists_both_newest_first_in_one_query(app, household):
    worker = _user("caseworker_jishou")
    first = services.assess(worker, household, _input())
    second = services.assess(worker, household, _input(deposits=D("999999")))
    older = services.open_case(worker, household, "dibao", "committee")
    newer = services.open_case(worker, household, "low_income", "applicant")
    with counted(app) as statements:
        found = assessment_panel(household)
    assert len(statements) == 1
    assert [(a.id, a.version) for a in found.assessments] == [
        (second.id, second.version), (first.id, first.version)]
    top = found.assessments[0]
    assert (top.assessed_on, top.per_capita_income, top.proposed_class, top.proposed_amount) == (
        second.assessed_on, second.per_capita_income, second.proposed_class,
        second.proposed_amount)
    assert [(c.id, c.category, c.status) for c in found.cases] == [
        (newer.id, "low_income", "applied"), (older.id, "dibao", "applied")]


def test_panel_of_a_household_without_any(app, household):
    found = assessment_panel(household)
    assert found.assessments == [] and found.cases == []
