"""Assessment pages: who may open them, what they show, and bad input."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.assessment import services
from marketplace.assessment.models import Assessment, Standard
from marketplace.common.crypto import keyed_hash
from marketplace.extensions import db
from marketplace.households.models import Household, Person, Relation

EN = {"Accept-Language": "en"}


@pytest.fixture
def ids(app, demo):
    """A household in 乾州街道 with one assessment and one application."""
    with app.app_context():
        services.seed_default_standards()
        head = Person(name="龙翠英", sex="female", birth_date=date(1979, 5, 2),
                      relation=Relation.head, id_number="433101197905020028",
                      id_hash=keyed_hash("433101197905020028"))
        household = Household(region_code="433101001", county_code="433101", members=[head])
        db.session.add(household)
        db.session.flush()
        worker = db.session.scalar(select(User).where(User.username == "caseworker_jishou"))
        assessment = services.assess(worker, household, services.AssessmentInput(
            assessed_on=date.today(), members_counted=1, incomes={"wages": Decimal("300")},
            deductions={}, deposits=Decimal("0")))
        case = services.open_case(worker, household, "dibao")
        db.session.commit()
        return {"household": household.id, "assessment": assessment.id, "case": case.id}


PAGES = [
    # (url template, roles that may open it)
    ("/households/{household}/assessments/new", {"caseworker"}),
    ("/assessments/{assessment}", {"caseworker", "reviewer", "oversight", "admin"}),
    ("/households/{household}/cases/new", {"caseworker"}),
    ("/cases/{case}", {"caseworker", "reviewer", "oversight", "admin"}),
    ("/standards", {"caseworker", "reviewer", "oversight", "admin"}),
]
IN_REGION = {"caseworker": "caseworker_jishou", "reviewer": "reviewer_jishou",
             "oversight": "oversight_xx", "admin": "admin", "provider_staff": "provider_staff"}


@pytest.mark.parametrize("url, allowed", PAGES)
@pytest.mark.parametrize("role", sorted(IN_REGION))
def test_roles(ids, login, url, allowed, role):
    response = login(IN_REGION[role]).get(url.format(**ids))
    assert response.status_code == (200 if role in allowed else 403)


@pytest.mark.parametrize("url", [u for u, _ in PAGES if "{" in u])
@pytest.mark.parametrize("username", ["caseworker_fenghuang", "caseworker_furong",
                                      "reviewer_furong"])
def test_other_counties_get_nothing(ids, login, url, username):
    response = login(username).get(url.format(**ids))
    assert response.status_code in (403, 404)
    assert "龙" not in response.get_data(as_text=True)


def test_assessment_form_computes_and_shows_the_working(ids, login, app):
    worker = login("caseworker_jishou")
    response = worker.post(f"/households/{ids['household']}/assessments/new", {
        "assessed_on": date.today().isoformat(), "members_counted": "1", "wages": "200",
        "business": "0", "farming": "0", "pensions": "0", "transfers": "0", "property": "0",
        "medical": "0", "education": "0", "disability": "0", "other": "0", "deposits": "500",
        "vehicles": "0", "extra_homes": "0", "rigid_spending_12m": "0", "self_care": "self_care"})
    assert response.status_code == 302
    page = worker.get(response.headers["Location"], headers=EN).get_data(as_text=True)
    # Urban street: (703 − 200) × 1 = 503.
    assert "503 yuan per month" in page and "Standard 703.00 − per-capita income 200.00" in page


def test_negative_income_is_refused_and_nothing_saved(ids, login, app):
    response = login("caseworker_jishou").post(
        f"/households/{ids['household']}/assessments/new",
        {"assessed_on": date.today().isoformat(), "members_counted": "1", "wages": "-5",
         "deposits": "0", "vehicles": "0", "extra_homes": "0"}, headers=EN)
    assert response.status_code == 200
    assert "Enter an amount between 0 and 10,000,000." in response.get_data(as_text=True)
    with app.app_context():
        assert len(db.session.scalars(select(Assessment)).all()) == 1


def test_oversight_sets_a_county_standard(ids, login, app):
    form = {"region_code": "433101", "effective_from": date.today().isoformat(),
            "dibao_urban_monthly": "760", "dibao_rural_monthly": "560",
            "disposable_income_urban_monthly": "3500", "disposable_income_rural_monthly": "1400",
            "minimum_wage_monthly": "1760", "tekun_factor": "1.3", "low_income_factor": "1.5"}
    assert login("oversight_xx").post("/standards", form).status_code == 302
    below = dict(form, region_code="433123", dibao_urban_monthly="500")
    response = login("oversight_xx").post("/standards", below, headers=EN)
    assert response.status_code == 400 and "may not be below the provincial" in response.get_data(
        as_text=True)
    with app.app_context():
        codes = set(db.session.scalars(select(Standard.region_code)))
    assert codes == {"430000", "433101"}


def test_case_step_by_the_wrong_reviewer_is_refused(ids, login, app):
    # Reviewers do not record home investigations, and nothing changes.
    response = login("reviewer_jishou").post(f"/cases/{ids['case']}/investigate", {"note": "x"},
                                             headers=EN)
    assert response.status_code == 400
    assert "Only caseworkers record the home investigation." in response.get_data(as_text=True)
    worker = login("caseworker_jishou")
    assert worker.post(f"/cases/{ids['case']}/investigate",
                       {"note": "家访属实"}).status_code == 302
    response = login("reviewer_jishou").post(f"/cases/{ids['case']}/propose", {"amount": "500"},
                                             headers=EN)
    assert response.status_code == 400
    assert "township (street) reviewer makes the proposal" in response.get_data(as_text=True)


def test_public_notice_needs_no_login(client):
    assert client.get("/notices").status_code == 200


def test_household_page_lists_assessments_and_applications(ids, login):
    page = login("caseworker_jishou").get(f"/households/{ids['household']}",
                                          headers=EN).get_data(as_text=True)
    assert f'href="/assessments/{ids["assessment"]}">v1</a>' in page
    assert f'href="/cases/{ids["case"]}">#{ids["case"]} ' in page
    assert "No assessment yet." not in page
