"""The provider's pages: the inbox, accept, decline, record a delivery."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from marketplace.allocations.models import Allocation, AllocationStatus, Delivery
from marketplace.allocations.services import pledge
from marketplace.extensions import db
from tests.marketplace.allocations.factories import (
    TODAY,
    en,
    make_line,
    offer,
    proposed,
    service_data,
    user,
)

EN = {"Accept-Language": "en"}
OTHER_ROLES = ["admin", "oversight_xx", "reviewer_jishou", "caseworker_jishou"]


def _proposed(app, hours=24.0, quantity="4") -> int:
    with en(app):
        made = offer("provider_staff", service_data())
        allocation = proposed(made, make_line(quantity=quantity, region_code="433101001"),
                              quantity, hours=hours)
        db.session.commit()
        return allocation.id


def _pledged(app, quantity="5") -> int:
    with en(app):
        made = offer("provider_staff", service_data())
        allocation = pledge(user("provider_staff"), made, make_line(quantity=quantity),
                            Decimal(quantity))
        db.session.commit()
        return allocation.id


def _status(app, allocation_id):
    with app.app_context():
        return db.session.get(Allocation, allocation_id).status


def _deliveries(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Delivery.id)))


@pytest.mark.parametrize("username", OTHER_ROLES)
@pytest.mark.parametrize("method, path", [
    ("get", "/allocations"), ("post", "/allocations/{id}/accept"),
    ("get", "/allocations/{id}/decline"), ("post", "/allocations/{id}/decline"),
    ("get", "/allocations/{id}/deliver"), ("post", "/allocations/{id}/deliver"),
    ("post", "/allocations/{id}/close"),
])
def test_other_roles_get_forbidden(app, login, username, method, path):
    allocation_id = _proposed(app)
    client = login(username)
    response = getattr(client, method)(path.format(id=allocation_id))
    assert response.status_code == 403


@pytest.mark.parametrize("method, path", [
    ("post", "/allocations/{id}/accept"),
    ("get", "/allocations/{id}/decline"), ("post", "/allocations/{id}/decline"),
    ("get", "/allocations/{id}/deliver"), ("post", "/allocations/{id}/deliver"),
    ("post", "/allocations/{id}/close"),
])
def test_another_organisation_gets_not_found(app, login, method, path):
    allocation_id = _proposed(app)
    client = login("volunteer_staff")
    response = getattr(client, method)(path.format(id=allocation_id),
                                       **({"data": {"reason": "x"}} if method == "post" else {}))
    assert response.status_code == 404
    assert "433101001" not in response.get_data(as_text=True)
    assert _status(app, allocation_id) == AllocationStatus.proposed


def test_inbox_lists_waiting_with_deadline_and_overdue(app, login):
    waiting = _proposed(app, hours=5)
    late = _proposed(app, hours=-1)
    pledged = _pledged(app)
    page = login("provider_staff").get("/allocations", headers=EN).get_data(as_text=True)
    assert f'data-testid="accept-{waiting}"' in page
    assert f'data-testid="overdue-{late}"' in page and f'data-testid="accept-{late}"' not in page
    assert f'data-testid="overdue-{waiting}"' not in page
    assert f'data-testid="deliver-{pledged}"' in page
    other = login("volunteer_staff").get("/allocations", headers=EN).get_data(as_text=True)
    assert f"waiting-{waiting}" not in other and "No assignments are waiting" in other


def test_answer_by_is_shown_in_china_time(app, login):
    allocation_id = _proposed(app)
    with app.app_context():  # 18:30 UTC on 15 January is 02:30 on the 16th in Beijing
        db.session.get(Allocation, allocation_id).respond_by = datetime(2030, 1, 15, 18, 30,
                                                                        tzinfo=UTC)
        db.session.commit()
    client = login("provider_staff")

    def deadline(headers) -> str:
        page = client.get("/allocations", headers=headers).get_data(as_text=True)
        row = page[page.index(f'data-testid="waiting-{allocation_id}"'):]
        return row[:row.index("</tr>")]

    english = deadline(EN)
    assert "1/16/30, 2:30\u202fAM" in english  # the site's |datetime filter, CLDR short
    assert "18:30" not in english and "UTC" not in english
    chinese = deadline({"Accept-Language": "zh-CN"})
    assert "2030/1/16 02:30" in chinese


def test_accept_once(app, login):
    allocation_id = _proposed(app)
    client = login("provider_staff")
    response = client.post(f"/allocations/{allocation_id}/accept", headers=EN,
                           follow_redirects=True)
    assert "Accepted: you can record deliveries now." in response.get_data(as_text=True)
    assert _status(app, allocation_id) == AllocationStatus.accepted
    again = client.post(f"/allocations/{allocation_id}/accept", headers=EN,
                        follow_redirects=True)
    assert "This allocation was already accepted." in again.get_data(as_text=True)


def test_accept_after_the_deadline_is_refused(app, login):
    allocation_id = _proposed(app, hours=-1)
    response = login("provider_staff").post(f"/allocations/{allocation_id}/accept", headers=EN,
                                            follow_redirects=True)
    assert "can no longer be accepted" in response.get_data(as_text=True)
    assert _status(app, allocation_id) == AllocationStatus.proposed


def test_decline_requires_a_reason(app, login):
    allocation_id = _proposed(app)
    client = login("provider_staff")
    assert client.get(f"/allocations/{allocation_id}/decline").status_code == 200
    empty = client.post(f"/allocations/{allocation_id}/decline", {"reason": "  "}, headers=EN)
    assert empty.status_code == 400
    assert _status(app, allocation_id) == AllocationStatus.proposed
    done = client.post(f"/allocations/{allocation_id}/decline", {"reason": "人手不足"},
                       headers=EN, follow_redirects=True)
    assert "Declined: the need goes back to the pool." in done.get_data(as_text=True)
    with app.app_context():
        allocation = db.session.get(Allocation, allocation_id)
        assert (allocation.status, allocation.decline_reason) == (AllocationStatus.declined,
                                                                  "人手不足")
    again = client.post(f"/allocations/{allocation_id}/decline", {"reason": "x"}, headers=EN)
    assert again.status_code == 400
    assert "This allocation was already declined." in again.get_data(as_text=True)


def _form_key(page: str) -> str:
    return re.search(r'name="form_key" type="hidden" value="([^"]+)"', page).group(1)


def test_delivery_form_records_once(app, login):
    allocation_id = _pledged(app, "5")
    client = login("provider_staff")
    page = client.get(f"/allocations/{allocation_id}/deliver", headers=EN)
    assert "Hours delivered in this visit" in page.get_data(as_text=True)
    key = _form_key(page.get_data(as_text=True))
    data = {"delivered_on": TODAY.isoformat(), "quantity": "2", "note": "第一次上门",
            "form_key": key}
    first = client.post(f"/allocations/{allocation_id}/deliver", data, headers=EN,
                        follow_redirects=True)
    assert "The delivery is recorded" in first.get_data(as_text=True)
    second = client.post(f"/allocations/{allocation_id}/deliver", data, headers=EN,
                         follow_redirects=True)
    assert "This delivery was already recorded." in second.get_data(as_text=True)
    assert _deliveries(app) == 1


@pytest.mark.parametrize("values, message", [
    ({"quantity": "6"}, "Only 5.00 remain to deliver"),
    ({"quantity": "0"}, "Enter a quantity greater than zero."),
    ({"delivered_on": (TODAY + timedelta(days=2)).isoformat()}, "cannot be in the future"),
    ({"quantity": "abc"}, "Not a valid decimal value."),
    ({"delivered_on": ""}, "This field is required."),
])
def test_bad_deliveries_show_a_message_and_save_nothing(app, login, values, message):
    allocation_id = _pledged(app, "5")
    data = {"delivered_on": TODAY.isoformat(), "quantity": "1", "form_key": "abc"}
    data.update(values)
    response = login("provider_staff").post(f"/allocations/{allocation_id}/deliver", data,
                                            headers=EN)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert _deliveries(app) == 0 and _status(app, allocation_id) == AllocationStatus.pledged


def test_delivery_before_acceptance_is_refused(app, login):
    allocation_id = _proposed(app)
    data = {"delivered_on": TODAY.isoformat(), "quantity": "1", "form_key": "k1"}
    response = login("provider_staff").post(f"/allocations/{allocation_id}/deliver", data,
                                            headers=EN)
    assert response.status_code == 400
    assert "Accept the allocation before recording a delivery." in response.get_data(
        as_text=True)
    assert _deliveries(app) == 0


def test_close_at_what_was_delivered(app, login):
    allocation_id = _pledged(app, "5")
    client = login("provider_staff")
    early = client.post(f"/allocations/{allocation_id}/close", headers=EN, follow_redirects=True)
    assert "Nothing was delivered yet: cancel the allocation instead." in early.get_data(
        as_text=True)
    assert 'data-testid="close"' not in early.get_data(as_text=True)
    client.post(f"/allocations/{allocation_id}/deliver",
                {"delivered_on": TODAY.isoformat(), "quantity": "2", "form_key": "k-close"})
    page = client.get(f"/allocations/{allocation_id}/deliver", headers=EN)
    assert 'data-testid="close"' in page.get_data(as_text=True)
    done = client.post(f"/allocations/{allocation_id}/close", headers=EN, follow_redirects=True)
    assert "Finished at what was delivered" in done.get_data(as_text=True)
    with app.app_context():
        allocation = db.session.get(Allocation, allocation_id)
        assert (allocation.status, allocation.quantity) == (AllocationStatus.delivered,
                                                            Decimal("2"))


def test_inbox_shows_the_caseworkers_answer(app, login):
    from marketplace.allocations.confirm import confirm_delivery
    from marketplace.allocations.flow import DeliveryInput, record_delivery

    allocation_id = _pledged(app, "5")
    with en(app):
        allocation = db.session.get(Allocation, allocation_id)
        delivery = record_delivery(user("provider_staff"), allocation,
                                   DeliveryInput(TODAY, Decimal("2"))).delivery
        confirm_delivery(user("caseworker_jishou"), delivery, False, "只来了一小时")
        db.session.commit()
        delivery_id = delivery.id
    page = login("provider_staff").get("/allocations", headers=EN).get_data(as_text=True)
    assert f'data-testid="recent-{delivery_id}"' in page
    assert "Problem recorded" in page and "只来了一小时" in page
    other = login("volunteer_staff").get("/allocations", headers=EN).get_data(as_text=True)
    assert "只来了一小时" not in other


def test_inbox_shows_the_organisations_rating(app, login):
    from marketplace.allocations.confirm import confirm_delivery, record_feedback
    from marketplace.allocations.flow import DeliveryInput, record_delivery

    client = login("provider_staff")
    assert "No household has rated your deliveries yet." in client.get(
        "/allocations", headers=EN).get_data(as_text=True)
    allocation_id = _pledged(app, "2")
    with en(app):
        allocation = db.session.get(Allocation, allocation_id)
        for score in (5, 4):
            delivery = record_delivery(user("provider_staff"), allocation,
                                       DeliveryInput(TODAY, Decimal("1"))).delivery
            confirm_delivery(user("caseworker_jishou"), delivery, True)
            record_feedback(user("caseworker_jishou"), delivery, score)
        db.session.commit()
    page = client.get("/allocations", headers=EN).get_data(as_text=True)
    assert "Households rated your deliveries 4.50 out of 5 (2 ratings)." in page
    other = login("volunteer_staff").get("/allocations", headers=EN).get_data(as_text=True)
    assert "No household has rated your deliveries yet." in other


# --- pages that say why an action is not possible, and where a message belongs -----------

def _errors_of(page: str, field: str) -> str:
    start = page.index(f'id="{field}-errors"')
    return page[start:page.index("</div>", start)]


def test_a_delivery_error_sits_next_to_its_field(app, login):
    allocation_id = _pledged(app, "5")
    client = login("provider_staff")
    future = {"delivered_on": (TODAY + timedelta(days=1)).isoformat(), "quantity": "1",
              "note": "第二次上门，陪同就医", "form_key": "k-future"}
    page = client.post(f"/allocations/{allocation_id}/deliver", future,
                       headers=EN).get_data(as_text=True)
    assert "cannot be in the future" in _errors_of(page, "delivered_on")
    assert 'id="quantity-errors"' not in page
    assert "第二次上门，陪同就医" in page  # what was typed is kept
    too_much = dict(future, delivered_on=TODAY.isoformat(), quantity="7")
    page = client.post(f"/allocations/{allocation_id}/deliver", too_much,
                       headers=EN).get_data(as_text=True)
    assert "Only 5.00 remain to deliver" in _errors_of(page, "quantity")
    assert _deliveries(app) == 0


@pytest.mark.parametrize("state, message", [
    ("proposed", "Accept the allocation before recording a delivery."),
    ("declined", "This allocation is not open for deliveries."),
    ("delivered", "This allocation is not open for deliveries."),
])
def test_the_delivery_page_says_why_no_delivery_can_be_recorded(app, login, state, message):
    allocation_id = _proposed(app)
    with app.app_context():
        db.session.get(Allocation, allocation_id).status = AllocationStatus(state)
        db.session.commit()
    page = login("provider_staff").get(f"/allocations/{allocation_id}/deliver", headers=EN)
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and 'data-testid="problem"' in text and message in text
    assert 'name="quantity"' not in text and 'data-testid="close"' not in text


@pytest.mark.parametrize("hours, state, message", [
    (5, "accepted", "This allocation was already accepted."),
    (5, "expired", "The time to answer has passed: this allocation expired."),
    (-1, "proposed", "The time to answer has passed: this allocation can no longer be "
                     "accepted."),
])
def test_the_decline_page_says_why_it_cannot_be_declined(app, login, hours, state, message):
    allocation_id = _proposed(app, hours=hours)
    with app.app_context():
        db.session.get(Allocation, allocation_id).status = AllocationStatus(state)
        db.session.commit()
    text = login("provider_staff").get(f"/allocations/{allocation_id}/decline",
                                       headers=EN).get_data(as_text=True)
    assert 'data-testid="problem"' in text and message in text
    assert 'name="reason"' not in text


def test_the_decline_page_of_a_waiting_allocation_has_the_form(app, login):
    allocation_id = _proposed(app, hours=5)
    text = login("provider_staff").get(f"/allocations/{allocation_id}/decline",
                                       headers=EN).get_data(as_text=True)
    assert 'name="reason"' in text and 'data-testid="problem"' not in text


def test_a_delivery_past_the_contract_budget_is_refused_on_the_page(app, login):
    from sqlalchemy import update

    from marketplace.contracts.models import Contract
    from marketplace.contracts.services import contract_offers
    from tests.marketplace.allocations.factories import active_contract

    with en(app):
        contract = active_contract()  # home care at 50 CNY an hour
        allocation = pledge(user("volunteer_staff"), contract_offers(contract)[0],
                            make_line(quantity="4"), Decimal("4"))
        # Only a budget lowered behind the site's back can be short: 50 CNY, one hour.
        db.session.execute(update(Contract).where(Contract.id == contract.id)
                           .values(budget=Decimal("50")))
        db.session.commit()
        allocation_id = allocation.id
    data = {"delivered_on": TODAY.isoformat(), "quantity": "2", "note": "两小时",
            "form_key": "k-budget"}
    response = login("volunteer_staff").post(f"/allocations/{allocation_id}/deliver", data,
                                             headers=EN)
    text = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "would exceed the contract budget: 50.00 CNY remain, it costs 100.00 CNY" in text
    assert "两小时" in text and _deliveries(app) == 0



def test_inbox_names_the_place_not_its_code(app, login):
    allocation_id = _proposed(app)
    page = login("provider_staff").get("/allocations").get_data(as_text=True)
    row = page[page.index(f'data-testid="waiting-{allocation_id}"'):].split("</tr>", 1)[0]
    assert "吉首市 乾州街道" in row and "433101001" not in row
