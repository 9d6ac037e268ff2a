"""The officers' page of declined and expired allocations, and the one-click re-match."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from marketplace.allocations.flow import decline, expire_overdue
from marketplace.allocations.models import Allocation
from marketplace.allocations.released import released
from marketplace.extensions import db
from marketplace.runs.models import MatchingRun
from tests.marketplace.allocations.factories import (
    en,
    make_line,
    offer,
    proposed,
    service_data,
    user,
)

EN = {"Accept-Language": "en"}


def _released(app) -> tuple[int, int]:
    """One declined and one expired allocation in 吉首市 (433101)."""
    with en(app):
        made = offer("provider_staff", service_data())
        declined = proposed(made, make_line(quantity="3"), "3")
        decline(user("provider_staff"), declined, "护理员不足")
        expired = proposed(made, make_line(quantity="2"), "2", hours=-1)
        expire_overdue(datetime.now(UTC))
        db.session.commit()
        return declined.id, expired.id


def _runs(app) -> list[MatchingRun]:
    with app.app_context():
        return list(db.session.scalars(select(MatchingRun)))


def test_released_lists_lines_still_open(app, demo):
    declined_id, expired_id = _released(app)
    with en(app):
        assert {r.allocation.id for r in released(user("oversight_xx"))} == {declined_id,
                                                                            expired_id}
        assert released(user("reviewer_furong")) == []
        # Once something else covers the line, it no longer waits for a re-match.
        made = offer("provider_staff", service_data())
        line = db.session.get(Allocation, declined_id).need_line
        proposed(made, line, "3")
        assert {r.allocation.id for r in released(user("oversight_xx"))} == {expired_id}


@pytest.mark.parametrize("username", ["admin", "caseworker_jishou", "provider_staff"])
@pytest.mark.parametrize("method, path", [("get", "/allocations/released"),
                                          ("post", "/allocations/{id}/rematch")])
def test_other_roles_get_forbidden(app, login, username, method, path):
    declined_id, _expired = _released(app)
    response = getattr(login(username), method)(path.format(id=declined_id))
    assert response.status_code == 403


def test_another_region_gets_not_found_and_an_empty_list(app, login):
    declined_id, _expired = _released(app)
    client = login("reviewer_furong")
    assert client.post(f"/allocations/{declined_id}/rematch").status_code == 404
    page = client.get("/allocations/released", headers=EN).get_data(as_text=True)
    assert "护理员不足" not in page and "No declined or expired allocations" in page
    assert _runs(app) == []


def test_the_page_shows_reasons_and_re_match_for_who_may_run(app, login):
    declined_id, expired_id = _released(app)
    page = login("oversight_xx").get("/allocations/released", headers=EN).get_data(as_text=True)
    assert "护理员不足" in page and "Expired" in page
    assert f'data-testid="rematch-{declined_id}"' in page
    # A township reviewer sees them but starts no runs.
    township = login("reviewer_qianzhou").get("/allocations/released", headers=EN)
    assert f'data-testid="released-{expired_id}"' in township.get_data(as_text=True)
    assert f'data-testid="rematch-{expired_id}"' not in township.get_data(as_text=True)
    refused = login("reviewer_qianzhou").post(f"/allocations/{expired_id}/rematch",
                                              headers=EN, follow_redirects=True)
    assert "You cannot start a matching run for this region." in refused.get_data(as_text=True)
    assert _runs(app) == []


def test_re_match_queues_a_run_for_the_county_kind_and_category(app, login):
    declined_id, _expired = _released(app)
    response = login("reviewer_jishou").post(f"/allocations/{declined_id}/rematch", headers=EN)
    assert response.status_code == 302 and "/runs/" in response.headers["Location"]
    (run,) = _runs(app)
    assert (run.region_code, run.kinds, run.categories) == ("433101", ["services"], ["care"])
    with app.app_context():
        assert run.created_by_id == user("reviewer_jishou").id
