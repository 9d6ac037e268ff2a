"""The caseworker's pages: deliveries to confirm, confirm or report a problem, feedback."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from marketplace.allocations.confirm import confirm_delivery
from marketplace.allocations.flow import DeliveryInput, record_delivery
from marketplace.allocations.models import Delivery, DeliveryStatus, Feedback
from marketplace.allocations.services import pledge
from marketplace.catalog.vocab import LineKind
from marketplace.extensions import db
from marketplace.needs.models import Need, NeedStatus
from marketplace.needs.services import refresh_match_status
from tests.marketplace.allocations.factories import (
    TODAY,
    en,
    funds_data,
    make_line,
    offer,
    service_data,
    user,
)

EN = {"Accept-Language": "en"}


def _delivery(app, confirmed=False, funds=False) -> int:
    with en(app):
        if funds:
            made = offer("charity_staff", funds_data())
            line = make_line(kind=LineKind.funds, quantity="300")
            staff, data = "charity_staff", DeliveryInput(TODAY, Decimal("300"), "转账",
                                                         channel="mobile_payment",
                                                         reference="WX-55")
        else:
            made = offer("provider_staff", service_data())
            line = make_line(quantity="3")
            staff, data = "provider_staff", DeliveryInput(TODAY, Decimal("3"), "上门三小时")
        allocation = pledge(user(staff), made, line, line.quantity)
        refresh_match_status(user(staff), line.need)
        delivery = record_delivery(user(staff), allocation, data).delivery
        if confirmed:
            confirm_delivery(user("caseworker_jishou"), delivery, True)
        db.session.commit()
        return delivery.id


def _delivery_status(app, delivery_id):
    with app.app_context():
        return db.session.get(Delivery, delivery_id).status


def _feedback_count(app):
    with app.app_context():
        return db.session.scalar(select(func.count(Feedback.id)))


@pytest.mark.parametrize("username", ["admin", "oversight_xx", "reviewer_jishou",
                                      "provider_staff"])
@pytest.mark.parametrize("method, path", [
    ("get", "/deliveries"), ("get", "/deliveries/{id}/confirm"),
    ("post", "/deliveries/{id}/confirm"), ("get", "/deliveries/{id}/feedback"),
    ("post", "/deliveries/{id}/feedback"),
])
def test_other_roles_get_forbidden(app, login, username, method, path):
    delivery_id = _delivery(app)
    response = getattr(login(username), method)(path.format(id=delivery_id))
    assert response.status_code == 403


@pytest.mark.parametrize("method, path, data", [
    ("get", "/deliveries/{id}/confirm", None),
    ("post", "/deliveries/{id}/confirm", {"outcome": "ok"}),
    ("get", "/deliveries/{id}/feedback", None),
    ("post", "/deliveries/{id}/feedback", {"satisfaction": "5"}),
])
def test_another_county_gets_not_found(app, login, method, path, data):
    delivery_id = _delivery(app, confirmed=path.endswith("feedback"))
    client = login("caseworker_fenghuang")
    kwargs = {"data": data} if data else {}
    response = getattr(client, method)(path.format(id=delivery_id), **kwargs)
    assert response.status_code == 404
    body = response.get_data(as_text=True)
    assert "上门三小时" not in body and "湘西州阳光社会工作服务中心" not in body
    assert _feedback_count(app) == 0
    listing = client.get("/deliveries", headers=EN).get_data(as_text=True)
    assert f"confirm-row-{delivery_id}" not in listing and f"rate-row-{delivery_id}" not in listing


def test_confirm_from_the_list_fulfils_the_need(app, login):
    delivery_id = _delivery(app)
    client = login("caseworker_jishou")
    listing = client.get("/deliveries", headers=EN).get_data(as_text=True)
    assert f'data-testid="confirm-{delivery_id}"' in listing
    page = client.get(f"/deliveries/{delivery_id}/confirm", headers=EN).get_data(as_text=True)
    assert "上门三小时" in page and "湘西州阳光社会工作服务中心" in page
    done = client.post(f"/deliveries/{delivery_id}/confirm", {"outcome": "ok"}, headers=EN,
                       follow_redirects=True)
    assert "Receipt confirmed." in done.get_data(as_text=True)
    assert f'data-testid="rate-{delivery_id}"' in done.get_data(as_text=True)
    with app.app_context():
        need_id = db.session.get(Delivery, delivery_id).allocation.need_line.need_id
        assert db.session.get(Need, need_id).status == NeedStatus.fulfilled
    again = client.post(f"/deliveries/{delivery_id}/confirm", {"outcome": "ok"}, headers=EN)
    assert again.status_code == 400
    assert "This delivery was already confirmed." in again.get_data(as_text=True)


def test_a_problem_needs_a_note(app, login):
    delivery_id = _delivery(app)
    client = login("caseworker_jishou")
    bare = client.post(f"/deliveries/{delivery_id}/confirm", {"outcome": "problem"}, headers=EN)
    assert bare.status_code == 400 and "Describe the problem." in bare.get_data(as_text=True)
    assert _delivery_status(app, delivery_id) == DeliveryStatus.recorded
    nothing = client.post(f"/deliveries/{delivery_id}/confirm", {}, headers=EN)
    assert nothing.status_code == 400
    assert _delivery_status(app, delivery_id) == DeliveryStatus.recorded
    done = client.post(f"/deliveries/{delivery_id}/confirm",
                       {"outcome": "problem", "note": "只来了两小时"}, headers=EN,
                       follow_redirects=True)
    assert "The problem is recorded." in done.get_data(as_text=True)
    assert _delivery_status(app, delivery_id) == DeliveryStatus.problem


def test_a_funds_delivery_shows_its_payment(app, login):
    delivery_id = _delivery(app, funds=True)
    page = login("caseworker_jishou").get(f"/deliveries/{delivery_id}/confirm", headers=EN)
    body = page.get_data(as_text=True)
    assert "300.00 CNY · Mobile payment · WX-55" in body


def test_feedback_once(app, login):
    delivery_id = _delivery(app, confirmed=True)
    client = login("caseworker_jishou")
    assert client.get(f"/deliveries/{delivery_id}/feedback").status_code == 200
    bad = client.post(f"/deliveries/{delivery_id}/feedback", {"satisfaction": "9"}, headers=EN)
    assert bad.status_code == 400 and _feedback_count(app) == 0
    done = client.post(f"/deliveries/{delivery_id}/feedback",
                       {"satisfaction": "4", "note": "准时"}, headers=EN, follow_redirects=True)
    assert "Thank you: the feedback is recorded." in done.get_data(as_text=True)
    again = client.post(f"/deliveries/{delivery_id}/feedback", {"satisfaction": "4"},
                        headers=EN)
    assert again.status_code == 400
    assert "Feedback was already recorded for this delivery." in again.get_data(as_text=True)
    assert _feedback_count(app) == 1
    shown = client.get(f"/deliveries/{delivery_id}/feedback", headers=EN).get_data(as_text=True)
    assert "The household gave 4 out of 5. 准时" in shown


def test_feedback_before_confirmation_is_refused(app, login):
    delivery_id = _delivery(app)
    response = login("caseworker_jishou").post(f"/deliveries/{delivery_id}/feedback",
                                               {"satisfaction": "3"}, headers=EN)
    assert response.status_code == 400
    assert "Confirm the delivery before recording feedback." in response.get_data(as_text=True)
    assert _feedback_count(app) == 0


def test_the_feedback_page_of_an_unconfirmed_delivery_says_to_confirm_first(app, login):
    delivery_id = _delivery(app)
    page = login("caseworker_jishou").get(f"/deliveries/{delivery_id}/feedback",
                                          headers=EN).get_data(as_text=True)
    assert 'data-testid="problem"' in page
    assert "Confirm the delivery before recording feedback." in page
    assert f'href="/deliveries/{delivery_id}/confirm"' in page
    assert 'name="satisfaction"' not in page  # no form that can only fail

