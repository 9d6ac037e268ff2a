"""Who may open the balance pages and exports: roles (403), regions (404 without the data)."""

from __future__ import annotations

import pytest

ACCOUNTS = {
    "admin": "admin",
    "oversight": "oversight_xx",
    "reviewer": "reviewer_jishou",
    "caseworker": "caseworker_fenghuang",
    "provider_staff": "provider_staff",
}
OFFICERS = {"admin", "oversight", "reviewer"}
#: (url, roles allowed); every URL is inside each allowed demo account's region.
VIEWS = [
    ("/oversight", OFFICERS),
    ("/oversight/balance/433101", OFFICERS),
    ("/oversight/balance/433101/export/children.csv", OFFICERS),
    ("/oversight/balance/433101/export/trend.xlsx", OFFICERS),
]


@pytest.mark.parametrize("url, allowed", VIEWS)
@pytest.mark.parametrize("role", sorted(ACCOUNTS))
def test_role_rules(login, url, allowed, role):
    response = login(ACCOUNTS[role]).get(url)
    expected = (200, 302) if role in allowed else (403,)
    assert response.status_code in expected


@pytest.mark.parametrize("url, _allowed", VIEWS)
def test_anonymous_users_are_sent_to_sign_in(client, url, _allowed):
    response = client.get(url)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_public_page_needs_no_account(client):
    assert client.get("/transparency").status_code == 200
    assert client.get("/transparency?county=433123").status_code == 200
    assert client.get("/transparency/export.csv").status_code == 200


@pytest.mark.parametrize("username, url", [
    ("oversight_xx", "/oversight/balance/430100"),  # 长沙: outside 湘西州
    ("oversight_xx", "/oversight/balance/430102"),
    ("oversight_xx", "/oversight/balance/430000"),  # the province above the officer
    ("oversight_xx", "/oversight/balance/430102/export/children.csv"),
    ("reviewer_jishou", "/oversight/balance/433123"),  # 凤凰县, not the reviewer's county
    ("reviewer_jishou", "/oversight/balance/433100"),
    ("admin", "/oversight/balance/999999"),  # no such region
    ("admin", "/oversight/balance/433101/export/households.csv"),  # no such table
    ("admin", "/oversight/balance/433101/export/children.pdf"),  # no such format
])
def test_out_of_scope_regions_are_not_found(login, username, url):
    response = login(username).get(url)
    assert response.status_code == 404


def test_townships_have_no_balance_page(app, login):
    from marketplace.extensions import db
    from marketplace.regions.models import Region

    with app.app_context():
        township = db.session.get(Region, "433101001")
        assert township is not None  # the demo data's township
    assert login("admin").get("/oversight/balance/433101001").status_code == 404
    page = login("reviewer_qianzhou").get("/oversight", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    assert "below county level" in page.get_data(as_text=True)


@pytest.mark.parametrize("username, home", [
    ("oversight_xx", "/oversight/balance/433100"),
    ("oversight_hn", "/oversight/balance/430000"),
    ("reviewer_jishou", "/oversight/balance/433101"),
    ("admin", "/oversight/balance/430000"),
])
def test_home_is_the_officers_own_region(login, username, home):
    response = login(username).get("/oversight?year=2026")
    assert response.status_code == 302
    assert response.headers["Location"] == f"{home}?year=2026"


@pytest.mark.parametrize("query, message", [
    ("year=2026&from=3&to=1", "The first month of the period comes after the last."),
    ("year=2026&from=0&to=3", "Months run from 1 to 12."),
    ("year=1850", "Choose a year from 2000 to"),
    ("year=abc", "The period must be given in whole numbers."),
])
def test_a_bad_period_is_a_400_with_the_message(login, client, query, message):
    officer = login("oversight_xx")
    for c, url in [(officer, f"/oversight/balance/433100?{query}"),
                   (client, f"/transparency?{query}"),
                   (client, f"/transparency?county=433123&{query}"),
                   (officer, f"/oversight/balance/433100/export/children.csv?{query}")]:
        response = c.get(url, headers={"Accept-Language": "en"})
        assert response.status_code == 400, url
        body = response.get_data(as_text=True)
        assert message in body, url
        assert 'id="top-figures"' not in body


@pytest.mark.parametrize("username, code, status", [
    ("oversight_xx", "433100", 302),
    ("admin", "430000", 302),
    ("oversight_xx", "430100", 404),  # outside the officer's prefecture
    ("reviewer_jishou", "433101", 403),  # reviewers read, they do not rebuild
    ("caseworker_fenghuang", "433123", 403),
    ("provider_staff", "433100", 403),
])
def test_refresh_now_rules(app, login, username, code, status):
    from marketplace.balance import queries

    response = login(username).post(f"/oversight/refresh/{code}")
    assert response.status_code == status
    with app.app_context():
        built = queries.state() is not None
    assert built == (status == 302)  # the queue runs the job at once in tests
