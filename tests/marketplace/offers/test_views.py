"""Offer pages: access per role and organisation, forms, bad input, withdraw, dashboard card."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from marketplace.accounts.models import Organization, User
from marketplace.allocations.services import pledge
from marketplace.extensions import db
from marketplace.offers.models import Offer, OfferStatus
from tests.marketplace.allocations.factories import (
    TODAY,
    en,
    goods_id,
    make_line,
    offer,
    service_data,
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


def _own_offer_id(app, username="provider_staff") -> int:
    with app.app_context():
        org_id = db.session.scalar(select(User.organization_id).where(User.username == username))
        return db.session.scalar(select(func.min(Offer.id)).where(
            Offer.organization_id == org_id, Offer.contract_line_id.is_(None)))


@pytest.mark.parametrize("path, allowed", [
    ("/offers", {"admin", "provider_staff"}),
    ("/offers/new/funds", {"provider_staff"}),
    ("/offers/new/goods", {"provider_staff"}),
    ("/offers/new/services", {"provider_staff"}),
    ("/offers/{id}", {"admin", "provider_staff"}),
    ("/offers/{id}/edit", {"provider_staff"}),
])
@pytest.mark.parametrize("role", sorted(ACCOUNTS))
def test_roles_on_offer_pages(app, login, path, allowed, role):
    url = path.format(id=_own_offer_id(app))
    response = login(ACCOUNTS[role]).get(url)
    assert response.status_code == (200 if role in allowed else 403)


@pytest.mark.parametrize("path", ["/offers/{id}/open", "/offers/{id}/withdraw"])
@pytest.mark.parametrize("role", ["admin", "oversight", "caseworker"])
def test_roles_on_offer_buttons(app, login, path, role):
    response = login(ACCOUNTS[role]).post(path.format(id=_own_offer_id(app)))
    assert response.status_code == 403


@pytest.mark.parametrize("path, method", [
    ("/offers/{id}", "get"), ("/offers/{id}/edit", "get"), ("/offers/{id}/edit", "post"),
    ("/offers/{id}/open", "post"), ("/offers/{id}/withdraw", "post"),
])
def test_another_organisations_offer_is_not_found(app, login, path, method):
    offer_id = _own_offer_id(app)  # 湘西州阳光社会工作服务中心's counselling offer
    client = login("volunteer_staff")
    response = getattr(client, method)(path.format(id=offer_id), **(
        {"data": {"capacity": "1", "valid_from": str(TODAY)}} if method == "post" else {}))
    assert response.status_code == 404
    assert "心理疏导" not in response.get_data(as_text=True)
    with app.app_context():
        saved = db.session.get(Offer, offer_id)
        assert saved.status == OfferStatus.open and saved.capacity == Decimal("60")


def test_unknown_kind_is_not_found(login):
    assert login("provider_staff").get("/offers/new/jewels").status_code == 404


def _funds_form(**kw):
    data = {"capacity": "5000", "valid_from": str(TODAY), "valid_until": "",
            "funds_source": "own_funds", "campaign_record_no": "", "categories": ["medical"],
            "regions": ["433100"], "publish": "open", "note": "医疗救助"}
    data.update(kw)
    return data


def test_posting_a_funds_pledge(app, login):
    client = login("charity_staff")
    response = client.post("/offers/new/funds", _funds_form())
    assert response.status_code == 302
    with app.app_context():
        made = db.session.scalar(select(Offer).where(Offer.note == "医疗救助"))
        assert (made.capacity, made.categories, made.regions, made.status) == (
            Decimal("5000"), ["medical"], ["433100"], OfferStatus.open)
    page = client.get(response.headers["Location"], headers=EN).get_data(as_text=True)
    assert "Own funds" in page and "5000.00" in page


@pytest.mark.parametrize("change, message", [
    ({"capacity": "0"}, "Enter a quantity greater than zero."),
    ({"capacity": "-10"}, "Enter a quantity greater than zero."),
    ({"valid_until": "2020-01-01"}, "The offer cannot end before it starts."),
    ({"funds_source": "campaign", "campaign_record_no": "X1"},
     "no public-fundraising qualification"),
])
def test_bad_funds_input_shows_a_message_and_saves_nothing(app, login, change, message):
    with app.app_context():
        org = db.session.scalar(select(Organization).where(
            Organization.name == "湖南省暖心慈善基金会"))
        if hasattr(org, "public_fundraising"):
            org.public_fundraising = False
            db.session.commit()
        before = db.session.scalar(select(func.count(Offer.id)))
    client = login("charity_staff")
    response = client.post("/offers/new/funds", _funds_form(**change), headers=EN)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(Offer.id))) == before


def test_goods_with_expiry_in_the_past_are_refused(app, login):
    with app.app_context():
        rice = goods_id("rice")
    response = login("donor_staff").post("/offers/new/goods", {
        "goods_item_id": str(rice), "capacity": "100", "valid_from": str(TODAY),
        "pickup_region_code": "430102", "expiry_date": "2020-05-01", "condition": "new",
        "publish": "open"}, headers=EN)
    assert response.status_code == 400
    assert "The expiry date is in the past." in response.get_data(as_text=True)


def test_service_offer_form_and_edit_down_to_committed(app, login):
    with en(app):
        made = offer("provider_staff", service_data(capacity=Decimal("40")))
        pledge(user("provider_staff"), made, make_line(quantity="30"), Decimal("30"))
        db.session.commit()
        offer_id, service_type_id = made.id, made.service_type_id
    client = login("provider_staff")
    form = {"service_type_id": str(service_type_id), "capacity": "20",
            "valid_from": str(TODAY), "regions": ["433100"], "qualifications": ["care_worker"],
            "publish": "open"}
    response = client.post(f"/offers/{offer_id}/edit", form, headers=EN)
    assert response.status_code == 400
    assert "30.00 hour are already committed" in response.get_data(as_text=True)
    form["capacity"] = "35"
    assert client.post(f"/offers/{offer_id}/edit", form).status_code == 302
    with app.app_context():
        assert db.session.get(Offer, offer_id).capacity == Decimal("35")
    page = client.get(f"/offers/{offer_id}", headers=EN).get_data(as_text=True)
    assert "5.00" in page and "Pledged" in page


def test_withdraw_is_refused_while_allocations_are_open(app, login):
    with en(app):
        made = offer("provider_staff", service_data())
        pledge(user("provider_staff"), made, make_line(quantity="3"), Decimal("3"))
        db.session.commit()
        offer_id = made.id
    client = login("provider_staff")
    response = client.post(f"/offers/{offer_id}/withdraw", headers=EN, follow_redirects=True)
    assert "cannot be withdrawn: 1 allocations on it are still in progress" in \
        response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Offer, offer_id).status == OfferStatus.open


def test_draft_opened_then_withdrawn(app, login):
    with en(app):
        offer_id = offer("provider_staff", service_data(), publish=False).id
        db.session.commit()
    client = login("provider_staff")
    assert client.post(f"/offers/{offer_id}/open").status_code == 302
    assert client.post(f"/offers/{offer_id}/withdraw").status_code == 302
    with app.app_context():
        assert db.session.get(Offer, offer_id).status == OfferStatus.withdrawn


def test_list_shows_only_own_offers(app, login):
    page = login("provider_staff").get("/offers").get_data(as_text=True)
    assert "Psychological counselling" in page or "心理疏导" in page
    assert "轮椅" not in page and "Wheelchair" not in page  # the enterprise's goods
    admin = login("admin").get("/offers").get_data(as_text=True)
    assert "长沙康复辅具有限公司" in admin


def test_provider_dashboard_card(app, login):
    with en(app):
        made = offer("provider_staff", service_data(capacity=Decimal("40")))
        pledge(user("provider_staff"), made, make_line(quantity="7"), Decimal("7"))
        db.session.commit()
    page = login("provider_staff").get("/dashboard", headers=EN).get_data(as_text=True)
    assert 'data-testid="provider-supply-card"' in page
    assert "33.00 of 40.00 hour left" in page
    assert "Allocation #" in page and "Pledged" in page
    assert "湘西州困难群众社会工作服务项目（2026）" in page  # its contract's budget use
    other = login("caseworker_jishou").get("/dashboard").get_data(as_text=True)
    assert 'data-testid="provider-supply-card"' not in other
