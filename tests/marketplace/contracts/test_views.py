"""Contract pages: access per role, region and organisation; forms; transitions; list totals."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from marketplace.accounts.models import User
from marketplace.allocations.services import pledge
from marketplace.contracts.models import Contract, ContractStatus
from marketplace.contracts.services import contract_offers
from marketplace.extensions import db
from marketplace.offers.models import Offer
from tests.marketplace.allocations.factories import (
    TODAY,
    active_contract,
    en,
    make_line,
    service_id,
    user,
)

EN = {"Accept-Language": "en"}
ACCOUNTS = {
    "admin": "admin",
    "oversight": "oversight_xx",
    "reviewer": "reviewer_jishou",
    "caseworker": "caseworker_fenghuang",
    "provider_staff": "provider_staff",
}
DEMO_TITLE = "湘西州困难群众社会工作服务项目（2026）"


def _demo_contract_id(app) -> int:
    with app.app_context():
        return db.session.scalar(select(Contract.id).where(Contract.title == DEMO_TITLE))


def _changsha_officer(app) -> None:
    with app.app_context():
        db.session.add(User(username="oversight_cs", display_name="长沙督导", role="oversight",
                            region_code="430100", password_hash=db.session.scalar(
                                select(User.password_hash).where(User.username == "admin"))))
        db.session.commit()


@pytest.mark.parametrize("path, allowed", [
    ("/contracts", {"admin", "oversight", "provider_staff"}),
    ("/contracts/new", {"admin", "oversight"}),
    ("/contracts/{id}", {"admin", "oversight", "provider_staff"}),
    ("/contracts/{id}/edit", {"admin", "oversight"}),
])
@pytest.mark.parametrize("role", sorted(ACCOUNTS))
def test_roles_on_contract_pages(app, login, path, allowed, role):
    response = login(ACCOUNTS[role]).get(path.format(id=_demo_contract_id(app)))
    assert response.status_code == (200 if role in allowed else 403)


@pytest.mark.parametrize("role", ["reviewer", "caseworker", "provider_staff"])
def test_roles_on_status_changes(app, login, role):
    response = login(ACCOUNTS[role]).post(f"/contracts/{_demo_contract_id(app)}/status",
                                          {"to": "terminated", "note": "x"})
    assert response.status_code == 403


@pytest.mark.parametrize("username, status", [
    ("oversight_xx", 200), ("oversight_hn", 200), ("oversight_cs", 404),
    ("provider_staff", 200), ("volunteer_staff", 404), ("charity_staff", 404),
])
def test_contract_scope(app, login, username, status):
    _changsha_officer(app)
    response = login(username).get(f"/contracts/{_demo_contract_id(app)}")
    assert response.status_code == status
    if status == 404:
        assert DEMO_TITLE not in response.get_data(as_text=True)
        listing = login(username).get("/contracts").get_data(as_text=True)
        assert DEMO_TITLE not in listing


@pytest.mark.parametrize("path", ["/contracts/{id}/edit", "/contracts/{id}/status"])
def test_out_of_region_officer_cannot_change_a_contract(app, login, path):
    _changsha_officer(app)
    response = login("oversight_cs").post(path.format(id=_demo_contract_id(app)),
                                          {"to": "terminated", "note": "越权", "title": "改"})
    assert response.status_code == 404
    with app.app_context():
        contract = db.session.get(Contract, _demo_contract_id(app))
        assert contract.status == ContractStatus.active and contract.title == DEMO_TITLE


def _form(app, **kw) -> dict:
    with app.app_context():
        home, care = service_id("home_care"), service_id("visiting")
        provider = db.session.scalar(select(User.organization_id).where(
            User.username == "volunteer_staff"))
    data = {"title": "凤凰县巡访服务", "region_code": "433123", "provider_id": str(provider),
            "period_start": str(TODAY), "period_end": str(TODAY.replace(year=TODAY.year + 1)),
            "budget": "20000",
            "lines-0-service_type_id": str(home), "lines-0-unit_price": "45",
            "lines-0-quantity": "200",
            "lines-1-service_type_id": str(care), "lines-1-unit_price": "40",
            "lines-1-quantity": "100",
            "target_hours_delivered": "200", "target_satisfaction_rate": "90"}
    data.update(kw)
    return data


def test_create_sign_activate_from_the_browser(app, login):
    client = login("oversight_xx")
    response = client.post("/contracts/new", _form(app))
    assert response.status_code == 302, response.get_data(as_text=True)
    url = response.headers["Location"]
    contract_id = int(url.rstrip("/").split("/")[-1])
    assert client.post(f"{url}/status", {"to": "signed"}).status_code == 302
    assert client.post(f"{url}/status", {"to": "active"}).status_code == 302
    page = client.get(url, headers=EN).get_data(as_text=True)
    assert "Active" in page and "Home care" in page and "Home visits" in page
    assert "13000.00" in page  # 45 × 200 + 40 × 100
    with app.app_context():
        contract = db.session.get(Contract, contract_id)
        assert [h.to_status for h in contract.history] == ["draft", "signed", "active"]
        assert len(contract_offers(contract)) == 2
    # The provider sees the capacity among its offers.
    offers = login("volunteer_staff").get("/offers", headers=EN).get_data(as_text=True)
    assert "Home visits" in offers and "Contract" in offers


@pytest.mark.parametrize("change, message", [
    ({"budget": "12000"}, "The lines add up to 13000.00 CNY, more than the budget of 12000.00"),
    ({"lines-0-unit_price": "-45"}, "Unit prices and quantities must be greater than zero."),
    ({"lines-0-quantity": "0"}, "Unit prices and quantities must be greater than zero."),
    ({"period_end": "2020-01-01"}, "The contract cannot end before it starts."),
])
def test_bad_contract_input(app, login, change, message):
    response = login("oversight_xx").post("/contracts/new", _form(app, **change), headers=EN)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(Contract.id))) == 1  # only the demo one


def test_overlap_needs_a_reason_in_the_form(app, login):
    client = login("oversight_xx")
    assert client.post("/contracts/new", _form(app)).status_code == 302
    response = client.post("/contracts/new", _form(app, title="第二期"), headers=EN)
    assert response.status_code == 400
    assert "Give a written reason for the overlap." in response.get_data(as_text=True)
    response = client.post("/contracts/new", _form(app, title="第二期",
                                                   overlap_reason="新增乡镇"))
    assert response.status_code == 302


def test_termination_needs_a_reason(app, login):
    url = f"/contracts/{_demo_contract_id(app)}"
    client = login("oversight_xx")
    page = client.post(f"{url}/status", {"to": "terminated"}, headers=EN,
                       follow_redirects=True).get_data(as_text=True)
    assert "Give a reason for terminating the contract." in page
    with app.app_context():
        assert db.session.get(Contract, _demo_contract_id(app)).status == ContractStatus.active


def test_budget_figures_and_warning_on_the_page(app, login):
    with en(app):
        contract = active_contract(budget=Decimal("10000"))  # home care 50 × 100, 100 × 50
        home = contract_offers(contract)[0]
        pledge(user("volunteer_staff"), home, make_line(quantity="95"), Decimal("95"))
        counselling = contract_offers(contract)[1]
        pledge(user("volunteer_staff"), counselling,
               make_line(category="psychological", quantity="42",
                         service_type_id=counselling.service_type_id), Decimal("42"))
        db.session.commit()
        contract_id, home_id = contract.id, home.id
    page = login("oversight_xx").get(f"/contracts/{contract_id}", headers=EN)
    text = page.get_data(as_text=True)
    # committed 95 × 50 + 42 × 100 = 8 950 → 89 %: no warning yet
    assert "8,950.00 CNY (89%)" in text and 'data-testid="budget-warning"' not in text
    with en(app):
        pledge(user("volunteer_staff"), db.session.get(Offer, home_id),
               make_line(quantity="1"), Decimal("1"))
        db.session.commit()
    text = login("oversight_xx").get(f"/contracts/{contract_id}", headers=EN).get_data(
        as_text=True)
    assert 'data-testid="budget-warning"' in text and "Only 1000.00 CNY remain" in text


def test_list_filters_and_totals(app, login):
    client = login("oversight_xx")
    client.post("/contracts/new", _form(app))
    page = client.get("/contracts", headers=EN).get_data(as_text=True)
    assert "2 contracts · budget 320000.00 CNY" in page
    page = client.get("/contracts?status=draft", headers=EN).get_data(as_text=True)
    assert "1 contracts · budget 20000.00 CNY" in page and DEMO_TITLE not in page
    with app.app_context():
        provider = db.session.scalar(select(User.organization_id).where(
            User.username == "provider_staff"))
    page = client.get(f"/contracts?provider_id={provider}", headers=EN).get_data(as_text=True)
    assert DEMO_TITLE in page and "凤凰县巡访服务" not in page
    page = client.get("/contracts?period_from=2099-01-01&period_to=bad", headers=EN)
    assert page.status_code == 200 and "0 contracts" in page.get_data(as_text=True)


def test_officer_dashboard_card(app, login):
    page = login("oversight_xx").get("/dashboard", headers=EN).get_data(as_text=True)
    assert 'data-testid="officer-contracts-card"' in page and DEMO_TITLE in page
    _changsha_officer(app)
    page = login("oversight_cs").get("/dashboard").get_data(as_text=True)
    assert 'data-testid="officer-contracts-card"' not in page
