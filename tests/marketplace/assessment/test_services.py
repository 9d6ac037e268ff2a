"""Standards in force, versioned assessments and the eligibility process."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from marketplace.assessment import services
from marketplace.assessment.models import CaseStatus, Standard
from marketplace.audit.services import events_for
from marketplace.extensions import db
from tests.marketplace.assessment.conftest import TODAY, _user


def _input(**overrides):
    values = dict(assessed_on=TODAY, members_counted=2,
                  incomes={"wages": D("300"), "farming": D("200")},
                  deductions={"medical": D("100")}, deposits=D("1000"))
    values.update(overrides)
    return services.AssessmentInput(**values)


def test_provincial_default_applies_when_a_county_has_none(ctx):
    standard = services.local_standards("433123", TODAY)
    assert standard.region_code == "430000"
    assert standard.dibao_rural_monthly == D("515")


def test_county_standard_overrides_from_its_date(ctx):
    officer = _user("oversight_xx")
    services.set_standard(officer, services.StandardInput(
        region_code="433123", effective_from=TODAY - timedelta(days=1),
        dibao_urban_monthly=D("720"), dibao_rural_monthly=D("560"),
        disposable_income_urban_monthly=D("3000"), disposable_income_rural_monthly=D("1500"),
        minimum_wage_monthly=D("1700")))
    assert services.local_standards("433123101", TODAY).dibao_rural_monthly == D("560")
    assert services.local_standards("433123", TODAY - timedelta(days=2)).region_code == "430000"
    (event,) = events_for("assistance_standards",
                          services.local_standards("433123", TODAY).id)
    assert event.action == "standard.set"


def test_county_standard_below_the_province_is_refused(ctx):
    with pytest.raises(services.AssessmentError):
        services.set_standard(_user("oversight_xx"), services.StandardInput(
            region_code="433123", effective_from=TODAY, dibao_urban_monthly=D("600"),
            dibao_rural_monthly=D("560"), disposable_income_urban_monthly=D("3000"),
            disposable_income_rural_monthly=D("1500"), minimum_wage_monthly=D("1700")))
    assert db.session.scalar(select(Standard).where(Standard.region_code == "433123")) is None


def test_officer_cannot_set_another_prefectures_standard(ctx):
    with pytest.raises(services.AssessmentError):
        services.set_standard(_user("oversight_xx"), services.StandardInput(
            region_code="430102", effective_from=TODAY, dibao_urban_monthly=D("800"),
            dibao_rural_monthly=D("600"), disposable_income_urban_monthly=D("5000"),
            disposable_income_rural_monthly=D("2000"), minimum_wage_monthly=D("1930")))


def test_assessment_proposes_dibao_with_working(household):
    worker = _user("caseworker_jishou")
    assessment = services.assess(worker, household, _input())
    # (500 − 100) / 2 = 200 per person; 乾州街道 is a street (urban): the urban standard 703
    # applies: (703 − 200) × 2 = 1006.
    assert assessment.urban is True
    assert assessment.per_capita_income == D("200.00")
    assert assessment.proposed_class == "dibao"
    assert assessment.proposed_amount == D("1006")
    assert assessment.working["dibao"]["source"] == "R1.2a"
    again = services.assess(worker, household, _input(deposits=D("999999")))
    assert again.version == assessment.version + 1
    assert again.proposed_class == "none"
    assert [a.version for a in services.assessments_of(household)][:2] == [again.version,
                                                                          assessment.version]


def test_assessment_in_the_future_is_refused(household):
    with pytest.raises(services.AssessmentError):
        services.assess(_user("caseworker_jishou"), household,
                        _input(assessed_on=TODAY + timedelta(days=1)))


def test_the_whole_eligibility_process(household):
    worker = _user("caseworker_jishou")
    township = _user("reviewer_qianzhou")
    county = _user("reviewer_jishou")
    case = services.open_case(worker, household, "dibao", "committee")
    with pytest.raises(services.AssessmentError):  # no assessment yet
        services.investigate(worker, case, "visited", None)
    assessment = services.assess(worker, household, _input())
    services.investigate(worker, case, "家访核实：收入属实", assessment)
    with pytest.raises(services.AssessmentError):  # a county reviewer is not the township
        services.propose_case(county, case, D("1006"))
    services.propose_case(township, case, D("1006"))
    services.start_notice(township, case, days=7, today=TODAY)
    with pytest.raises(services.AssessmentError):  # the notice has not ended
        services.decide(county, case, True, "", today=TODAY)
    with pytest.raises(services.AssessmentError):  # refusals need written reasons
        services.decide(county, case, False, "", today=TODAY)
    services.decide(county, case, True, "", today=TODAY + timedelta(days=7))
    assert case.status == CaseStatus.approved
    with pytest.raises(services.AssessmentError):  # no stop without a hearing (R1.14)
        services.stop_benefit(county, case, "收入增加")
    services.start_hearing(county, case, "收入可能已超标准")
    services.stop_benefit(county, case, "核实收入超过标准")
    assert case.status == CaseStatus.stopped
    actions = [e.action for e in events_for("eligibility_cases", case.id)]
    assert actions == ["eligibility.apply", "eligibility.investigated", "eligibility.proposed",
                       "eligibility.notice", "eligibility.approved", "eligibility.hearing",
                       "eligibility.stopped"]


def test_a_step_cannot_be_taken_twice(household):
    worker = _user("caseworker_jishou")
    case = services.open_case(worker, household, "dibao")
    assessment = services.assess(worker, household, _input())
    services.investigate(worker, case, "ok", assessment)
    with pytest.raises(services.AssessmentError):
        services.investigate(worker, case, "again", assessment)
    assert case.investigation_note == "ok"


def test_public_notice_shows_the_aid_not_the_person(app, household, client):
    worker = _user("caseworker_jishou")
    township = _user("reviewer_qianzhou")
    case = services.open_case(worker, household, "dibao")
    services.investigate(worker, case, "ok", services.assess(worker, household, _input()))
    services.propose_case(township, case, D("1006"))
    services.start_notice(township, case)
    head = household.head
    name, id_number, phone = head.name, head.id_number, head.phone
    db.session.commit()
    html = client.get("/notices", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "1006" in html and name[0] + "*" in html
    assert name not in html and id_number not in html and (phone or "NO PHONE") not in html
    assert "dibao" not in html.lower() and "低保" not in html
