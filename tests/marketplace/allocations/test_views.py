"""Cancelling a pledge from the offer page: roles, organisation scope, effect."""

from __future__ import annotations

from decimal import Decimal

import pytest

from marketplace.allocations.models import Allocation, AllocationStatus
from marketplace.allocations.services import pledge
from marketplace.extensions import db
from tests.marketplace.allocations.factories import en, make_line, offer, service_data, user

EN = {"Accept-Language": "en"}


def _allocation(app) -> tuple[int, int]:
    with en(app):
        made = offer("provider_staff", service_data())
        allocation = pledge(user("provider_staff"), made, make_line(quantity="4"), Decimal("4"))
        db.session.commit()
        return allocation.id, made.id


@pytest.mark.parametrize("username", ["admin", "oversight_xx", "reviewer_jishou",
                                      "caseworker_jishou"])
def test_other_roles_cannot_cancel(app, login, username):
    allocation_id, _offer = _allocation(app)
    response = login(username).post(f"/allocations/{allocation_id}/cancel")
    assert response.status_code == 403


def test_another_organisation_gets_not_found(app, login):
    allocation_id, _offer = _allocation(app)
    response = login("volunteer_staff").post(f"/allocations/{allocation_id}/cancel")
    assert response.status_code == 404
    with app.app_context():
        assert db.session.get(Allocation, allocation_id).status == AllocationStatus.pledged


def test_provider_cancels_its_pledge(app, login):
    allocation_id, offer_id = _allocation(app)
    client = login("provider_staff")
    page = client.get(f"/offers/{offer_id}", headers=EN).get_data(as_text=True)
    assert f'data-testid="cancel-{allocation_id}"' in page
    response = client.post(f"/allocations/{allocation_id}/cancel", headers=EN,
                           follow_redirects=True)
    assert "The pledge was cancelled." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Allocation, allocation_id).status == AllocationStatus.cancelled
    again = client.post(f"/allocations/{allocation_id}/cancel", headers=EN,
                        follow_redirects=True)
    assert "Only allocations not yet delivered can be cancelled." in again.get_data(as_text=True)
