"""Household pages: the access matrix of every URL, full-number reads, search, dashboard card."""

from __future__ import annotations

import pytest

from tests.marketplace.households.helpers import EN, person, registry_events, user

VIEWERS = {"caseworker", "reviewer", "oversight"}
#: (name, method, path, roles allowed). {h}: household, {p}: one of its members (not the head).
URLS = [
    ("list", "GET", "/households", VIEWERS),
    ("new", "GET", "/households/new", {"caseworker"}),
    ("view", "GET", "/households/{h}", VIEWERS),
    ("edit", "GET", "/households/{h}/edit", {"caseworker"}),
    ("add_member", "GET", "/households/{h}/members/new", {"caseworker"}),
    ("edit_member", "GET", "/households/{h}/members/{p}/edit", {"caseworker"}),
    ("remove_member", "POST", "/households/{h}/members/{p}/remove", {"caseworker"}),
    ("reveal", "POST", "/households/{h}/members/{p}/id-number", {"caseworker", "reviewer"}),
]
#: username → (role, whether 龙秀兰's household in 乾州街道 is inside their area)
USERS = {
    "caseworker_jishou": ("caseworker", True),
    "caseworker_fenghuang": ("caseworker", False),
    "reviewer_jishou": ("reviewer", True),
    "reviewer_qianzhou": ("reviewer", True),
    "reviewer_furong": ("reviewer", False),
    "oversight_xx": ("oversight", True),
    "oversight_hn": ("oversight", True),
    "charity_staff": ("provider_staff", False),
    "provider_staff": ("provider_staff", False),
    "admin": ("admin", False),
}
#: What must never appear on a page refused to someone (names, masked forms, address, phone).
SECRETS = ["龙秀兰", "石建国", "石小雨", "**********1026", "**********1061", "139****1025",
           "世纪大道"]


@pytest.fixture
def target(app, demo):
    with app.app_context():
        member = person("石小雨")
        return {"h": member.household_id, "p": member.id}


def _request(client, method, path):
    if method == "GET":
        return client.get(path, headers=EN)
    return client.post(path, {}, headers=EN)


@pytest.mark.parametrize("name, method, path, allowed", URLS, ids=[u[0] for u in URLS])
def test_access_matrix(login, target, name, method, path, allowed):
    """Every demo account on every URL (one test per URL: the demo data is seeded once)."""
    # The caseworker who may remove a member goes last, so the member exists for the others.
    for username in sorted(USERS, key=lambda u: (u == "caseworker_jishou", u)):
        role, in_area = USERS[username]
        response = _request(login(username), method, path.format(**target))
        if role not in allowed:
            expected = 403
        elif "{h}" not in path or in_area:
            expected = 302 if name == "remove_member" else 200
        else:
            expected = 404
        assert response.status_code == expected, username
        if expected in (403, 404) or username == "caseworker_fenghuang":
            body = response.get_data(as_text=True)
            for secret in SECRETS:
                assert secret not in body, (username, secret)


def test_anonymous_users_are_sent_to_login(client, target):
    for _, method, path, _ in URLS:
        response = _request(client, method, path.format(**target))
        assert response.status_code in (302, 400)
        if response.status_code == 302:
            assert "/login" in response.headers["Location"]


def test_member_of_another_household_is_404(app, login, target):
    with app.app_context():
        stranger = person("吴小龙").id  # 凤凰县
    c = login("caseworker_jishou")
    h = target["h"]
    assert c.get(f"/households/{h}/members/{stranger}/edit").status_code == 404
    assert c.post(f"/households/{h}/members/{stranger}/remove", {}).status_code == 404
    assert c.post(f"/households/{h}/members/{stranger}/id-number", {}).status_code == 404
    with app.app_context():
        assert person("吴小龙") is not None and registry_events() == []


def test_pages_show_masked_numbers_only(app, login, target):
    with app.app_context():
        number = person("石小雨").id_number
    for username in ("caseworker_jishou", "reviewer_jishou", "oversight_xx"):
        html = login(username).get(f"/households/{target['h']}", headers=EN).get_data(
            as_text=True)
        assert number not in html and number[:4] + "**********" + number[-4:] in html
        assert "13974361025" not in html and "139****1025" in html
    listing = login("caseworker_jishou").get("/households").get_data(as_text=True)
    assert number not in listing and "龙秀兰" in listing


def test_oversight_sees_no_address_and_no_reveal_button(login, target):
    html = login("oversight_xx").get(f"/households/{target['h']}", headers=EN).get_data(
        as_text=True)
    assert "Show full number" not in html and "世纪大道" not in html and "hidden" in html
    html = login("reviewer_jishou").get(f"/households/{target['h']}", headers=EN).get_data(
        as_text=True)
    assert "Show full number" in html and "Edit household" not in html
    # The address is masked for every role; "Show address" reads it (audited, see
    # tests/marketplace/audit/test_missing_events.py).
    assert "世纪大道" not in html and "Show address" in html


@pytest.mark.parametrize("username", ["caseworker_jishou", "reviewer_qianzhou"])
def test_show_full_number_is_an_audited_post(app, login, target, username):
    with app.app_context():
        number = person("石小雨").id_number
    response = login(username).post(
        f"/households/{target['h']}/members/{target['p']}/id-number", {}, headers=EN)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    assert html.count(number) == 1 and 'data-testid="full-id-number"' in html
    with app.app_context():
        [event] = registry_events()
        assert event.action == "person.read_id_number" and event.object_id == str(target["p"])
        assert event.actor_id == user(username).id


def test_reveal_without_csrf_token_is_refused(app, login, target):
    c = login("caseworker_jishou")
    response = c.raw.post(f"/households/{target['h']}/members/{target['p']}/id-number",
                          data={})
    assert response.status_code == 400
    with app.app_context():
        assert registry_events() == []


def test_search_by_head_name_and_by_id_number_within_scope(app, login):
    with app.app_context():
        number = person("石小雨").id_number  # a member, not the head
        head_number = person("吴明辉").id_number
    c = login("caseworker_jishou")
    assert "龙秀兰" in c.get("/households?q=秀兰").get_data(as_text=True)
    html = c.get("/households?q=向德福").get_data(as_text=True)
    assert "向德福" in html and "龙秀兰" not in html
    html = c.get(f"/households?q={number.lower()}").get_data(as_text=True)
    assert "龙秀兰" in html and "向德福" not in html
    html = c.get(f"/households?q={head_number}", headers=EN).get_data(as_text=True)
    assert "吴明辉" not in html and "No household in your area matches" in html
    html = c.get("/households?q=吴明辉").get_data(as_text=True)
    assert 'data-testid="households"' not in html and "**********1117" not in html
    html = login("oversight_hn").get("/households").get_data(as_text=True)
    assert all(name in html for name in ("龙秀兰", "吴明辉", "陈志刚"))


def test_dashboard_card_for_caseworkers_only(login):
    html = login("caseworker_jishou").get("/dashboard", headers=EN).get_data(as_text=True)
    assert 'data-testid="households-card"' in html and "My households" in html
    assert 'data-testid="household-count">2<' in html and "龙秀兰" in html
    html = login("reviewer_jishou").get("/dashboard", headers=EN).get_data(as_text=True)
    assert 'data-testid="households-card"' not in html


def test_navigation_link_for_viewers_only(login):
    assert 'href="/households"' in login("oversight_xx").get("/dashboard").get_data(as_text=True)
    assert 'href="/households"' not in login("provider_staff").get("/dashboard").get_data(
        as_text=True)
