"""Every URL of the needs area: roles (403), scope (404 without data), forms and messages."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.households.models import Household
from marketplace.needs import emergency, services
from marketplace.needs.models import EmergencyGrant, Need, NeedLine, NeedStatus
from tests.marketplace.needs.factories import en, goods_id, make_need, need_input, user

EN = {"Accept-Language": "en"}
ACCOUNTS = {
    "admin": "admin",
    "oversight": "oversight_xx",
    "reviewer": "reviewer_jishou",
    "caseworker": "caseworker_jishou",
    "provider_staff": "provider_staff",
}
MARK = "NEED-NOTE-7731"


@pytest.fixture
def ids(app, homes):
    """A draft, a published and an emergency need with an advance, all in 乾州街道."""
    with en(app):
        household = db.session.get(Household, homes["jishou"])
        draft = make_need(household, "draft", summary=MARK)
        published = make_need(household, "published", summary=MARK)
        urgent = services.create_need(user("caseworker_jishou"), household,
                                      need_input(urgency="emergency", summary=MARK))
        services.publish(user("caseworker_jishou"), urgent)
        grant = emergency.record_advance(user("caseworker_jishou"), urgent, "200")
        db.session.commit()
        return {"household": household.id, "draft": draft.id, "published": published.id,
                "line": published.lines[1].id, "urgent": urgent.id, "grant": grant.id}


GETS = [
    ("/needs", {"admin", "oversight", "reviewer", "caseworker"}),
    ("/needs/{draft}", {"admin", "oversight", "reviewer", "caseworker"}),
    ("/needs/{urgent}", {"admin", "oversight", "reviewer", "caseworker"}),
    ("/households/{household}/needs/new", {"caseworker"}),
    ("/needs/{draft}/edit", {"caseworker"}),
    ("/needs/stage-limits", {"admin", "oversight"}),
]
POSTS = [
    ("/needs/{draft}/submit", {"caseworker", "reviewer"}),
    ("/needs/{draft}/withdraw", {"caseworker", "reviewer"}),
    ("/needs/{urgent}/advance", {"caseworker"}),
    ("/advances/{grant}/decision", {"reviewer"}),
]


@pytest.mark.parametrize("url, allowed", GETS)
@pytest.mark.parametrize("role", sorted(ACCOUNTS))
def test_get_role_rules(login, ids, url, allowed, role):
    response = login(ACCOUNTS[role]).get(url.format(**ids), headers=EN)
    assert response.status_code == (200 if role in allowed else 403)


@pytest.mark.parametrize("url, allowed", POSTS)
@pytest.mark.parametrize("role", sorted(ACCOUNTS))
def test_post_role_rules(login, ids, url, allowed, role):
    response = login(ACCOUNTS[role]).post(url.format(**ids), {"note": "x"}, headers=EN)
    if role not in allowed:
        assert response.status_code == 403


@pytest.mark.parametrize("url, _allowed", GETS + POSTS)
def test_anonymous_users_are_sent_to_sign_in(client, ids, url, _allowed):
    method = client.post if (url, _allowed) in POSTS else client.get
    response = method(url.format(**ids))
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_board_is_public(client, ids):
    assert client.get("/board").status_code == 200


@pytest.mark.parametrize("username, url", [
    ("caseworker_fenghuang", "/needs/{draft}"),
    ("caseworker_furong", "/needs/{urgent}"),
    ("reviewer_furong", "/needs/{draft}"),
    ("caseworker_fenghuang", "/households/{household}/needs/new"),
    ("caseworker_fenghuang", "/needs/{draft}/edit"),
])
def test_other_county_gets_404_without_data(login, ids, username, url):
    response = login(username).get(url.format(**ids), headers=EN)
    assert response.status_code == 404
    assert MARK not in response.get_data(as_text=True)


@pytest.mark.parametrize("username, url", [
    ("caseworker_fenghuang", "/needs/{draft}/submit"),
    ("reviewer_furong", "/needs/{draft}/withdraw"),
    ("caseworker_furong", "/needs/{urgent}/advance"),
    ("reviewer_furong", "/advances/{grant}/decision"),
])
def test_other_county_cannot_act(app, login, ids, username, url):
    response = login(username).post(url.format(**ids), {"note": "x", "amount": "10",
                                                       "confirm": "1"}, headers=EN)
    assert response.status_code == 404
    with app.app_context():
        assert db.session.get(Need, ids["draft"]).status == NeedStatus.draft
        assert db.session.get(EmergencyGrant, ids["grant"]).status == "awaiting"


def _form(app, household_id, **lines):
    data = {"cause": "illness", "urgency": "normal", "region_code": "433101001",
            "deadline": (date.today() + timedelta(days=20)).isoformat(),
            "assistance_type": "", "summary": "via the form"}
    data.update(lines)
    return data


def test_caseworker_posts_a_need_through_the_form(app, login, ids):
    with app.app_context():
        quilt = goods_id("quilt")
    caseworker = login("caseworker_jishou")
    response = caseworker.post(f"/households/{ids['household']}/needs/new", _form(
        app, ids["household"], **{"lines-0-kind": "funds", "lines-0-category": "medical",
                                  "lines-0-quantity": "1200", "lines-1-kind": "goods",
                                  "lines-1-goods_item_id": str(quilt),
                                  "lines-1-quantity": "2"}), headers=EN)
    assert response.status_code == 302
    page = caseworker.get(response.headers["Location"], headers=EN).get_data(as_text=True)
    assert "Need saved as a draft." in page and "1,200.00 CNY" in page
    with app.app_context():
        need = db.session.scalars(select(Need).order_by(Need.id.desc())).first()
        assert [(str(line.kind), str(line.quantity)) for line in need.lines] == [
            ("funds", "1200.00"), ("goods", "2.00")]


def test_bad_form_input_shows_a_message_and_saves_nothing(app, login, ids):
    with app.app_context():
        before = db.session.scalar(select(func.count(NeedLine.id)))
        quilt = goods_id("quilt")
    caseworker = login("caseworker_jishou")
    response = caseworker.post(f"/households/{ids['household']}/needs/new", _form(
        app, ids["household"], **{"lines-0-kind": "goods", "lines-0-goods_item_id": str(quilt),
                                  "lines-0-quantity": "2", "lines-1-kind": "funds",
                                  "lines-1-category": "medical",
                                  "lines-1-quantity": "999999"}), headers=EN)
    assert response.status_code == 400
    assert "above the ceiling" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(NeedLine.id))) == before


def test_review_path_over_http_and_already_approved(app, login, ids):
    caseworker = login("caseworker_jishou")
    assert caseworker.post(f"/needs/{ids['draft']}/submit", {"note": ""}).status_code == 302
    township = login("reviewer_qianzhou")
    refused = township.post(f"/needs/{ids['draft']}/approve", {"note": ""}, headers=EN)
    assert refused.status_code == 403
    assert "Only a county reviewer" in refused.get_data(as_text=True)
    assert township.post(f"/needs/{ids['draft']}/review", {"note": "ok"}).status_code == 302
    county = login("reviewer_jishou")
    assert county.post(f"/needs/{ids['draft']}/approve", {"note": ""}).status_code == 302
    again = county.post(f"/needs/{ids['draft']}/approve", {"note": ""}, headers=EN)
    assert again.status_code == 409
    assert "already been approved" in again.get_data(as_text=True)
    page = county.get(f"/needs/{ids['draft']}", headers=EN).get_data(as_text=True)
    assert 'data-testid="need-timeline"' in page and "approve" in page
    assert "田审核" in page and "彭审核" in page  # who acted, by name


def test_return_without_reason_is_refused(login, ids):
    login("caseworker_jishou").post(f"/needs/{ids['draft']}/submit", {"note": ""})
    response = login("reviewer_qianzhou").post(f"/needs/{ids['draft']}/return", {"note": ""},
                                               headers=EN)
    assert response.status_code == 409
    assert "reason" in response.get_data(as_text=True)


def test_township_confirms_an_advance_over_http(app, login, ids):
    response = login("reviewer_qianzhou").post(f"/advances/{ids['grant']}/decision",
                                               {"note": "seen", "confirm": "1"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(EmergencyGrant, ids["grant"]).status == "confirmed"


def test_dashboards(login, ids):
    caseworker = login("caseworker_jishou").get("/dashboard", headers=EN).get_data(as_text=True)
    assert 'data-testid="needs-card"' in caseworker
    assert "Drafts: 1" in caseworker
    assert 'data-testid="advance-count">1<' in caseworker
    township = login("reviewer_qianzhou").get("/dashboard", headers=EN).get_data(as_text=True)
    assert 'data-testid="review-count">0<' in township
    assert 'data-testid="advance-count">1<' in township
    login("caseworker_jishou").post(f"/needs/{ids['draft']}/submit", {"note": ""})
    township = login("reviewer_qianzhou").get("/dashboard", headers=EN).get_data(as_text=True)
    assert 'data-testid="review-count">1<' in township
    county = login("reviewer_jishou").get("/dashboard", headers=EN).get_data(as_text=True)
    assert 'data-testid="review-count">0<' in county
    assert 'data-testid="advance-count">0<' in county  # the township confirms


def test_stage_limits_page(login, ids):
    oversight = login("oversight_xx")
    response = oversight.post("/needs/stage-limits", {"region_code": "433101",
                                                      "stage": "submitted", "days": "4"})
    assert response.status_code == 302
    page = oversight.get("/needs/stage-limits?region=433101", headers=EN).get_data(as_text=True)
    assert "Submitted, waiting for the township review" in page
    bad = oversight.post("/needs/stage-limits", {"region_code": "430102", "stage": "submitted",
                                                 "days": "4"}, headers=EN)
    assert bad.status_code == 400


def test_household_page_shows_the_needs_panel_with_timelines(login, ids):
    page = login("caseworker_jishou").get(f"/households/{ids['household']}",
                                          headers=EN).get_data(as_text=True)
    assert 'data-testid="needs-panel"' in page
    assert page.count('data-testid="need-timeline"') == 3
    assert f"/needs/{ids['urgent']}" in page and "Post a need" in page
    other = login("caseworker_fenghuang").get(f"/households/{ids['household']}")
    assert other.status_code == 404
