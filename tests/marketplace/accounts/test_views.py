"""Sign-in, sign-out, password change, government accounts and organisation applications."""

from __future__ import annotations

from sqlalchemy import select

from marketplace.accounts.models import Organization, OrgStatus, User
from marketplace.extensions import db
from marketplace.seed import DEMO_PASSWORD

GENERIC = "Wrong username or password."


def test_login_and_logout(client, demo):
    response = client.login("caseworker_fenghuang")
    assert response.status_code == 302 and response.headers["Location"] == "/dashboard"
    assert client.get("/dashboard").status_code == 200
    assert client.post("/logout").status_code == 302
    assert client.get("/dashboard").status_code == 302


def test_failure_message_does_not_reveal_whether_the_account_exists(client, demo):
    lang = {"Accept-Language": "en"}
    wrong_password = client.post("/login", {"username": "admin", "password": "nope"},
                                 headers=lang)
    unknown_user = client.post("/login", {"username": "ghost", "password": "nope"},
                               headers=lang)
    pending_org = client.post("/login", {"username": "pending_staff",
                                         "password": DEMO_PASSWORD}, headers=lang)
    for response in (wrong_password, unknown_user, pending_org):
        assert response.status_code == 200
        assert GENERIC in response.get_data(as_text=True)


def test_login_is_throttled_after_repeated_failures(client, demo, app):
    for _ in range(app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]):
        client.post("/login", {"username": "admin", "password": "nope"})
    response = client.post("/login", {"username": "admin", "password": DEMO_PASSWORD},
                           headers={"Accept-Language": "en"})
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.get_data(as_text=True)
    assert client.get("/dashboard").status_code == 302


def test_open_redirect_after_login_is_refused(client, demo):
    response = client.post("/login?next=//evil.example/x",
                           {"username": "admin", "password": DEMO_PASSWORD})
    assert response.headers["Location"] == "/dashboard"


def test_password_change_signs_out_other_sessions(login, app):
    first = login("caseworker_furong")
    second = login("caseworker_furong")
    response = first.post("/account/password", {"current": DEMO_PASSWORD,
                                                "new": "Fresh start 2027",
                                                "confirm": "Fresh start 2027"})
    assert response.status_code == 302
    assert first.get("/dashboard").status_code == 200
    assert second.get("/dashboard").status_code == 302  # the old session ended


def test_weak_new_password_is_refused_and_nothing_changes(login, app):
    c = login("caseworker_furong")
    response = c.post("/account/password", {"current": DEMO_PASSWORD, "new": "short",
                                            "confirm": "short"},
                      headers={"Accept-Language": "en"})
    assert response.status_code == 200
    assert "Use at least 10 characters." in response.get_data(as_text=True)
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "caseworker_furong"))
        from marketplace.accounts.services import verify_password
        assert verify_password(user, DEMO_PASSWORD)


def test_admin_creates_a_government_account(login, app):
    c = login("admin")
    response = c.post("/admin/users/new", {"username": "new_worker", "display_name": "新社工",
                                           "role": "caseworker", "region_code": "431202",
                                           "password": "Strong pass 2026"})
    assert response.status_code == 302
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "new_worker"))
        assert user.region_code == "431202" and user.role == "caseworker"


def test_unknown_region_code_is_a_form_error(login, app):
    c = login("admin")
    response = c.post("/admin/users/new", {"username": "bad_worker", "display_name": "X",
                                           "role": "caseworker", "region_code": "999999",
                                           "password": "Strong pass 2026"},
                      headers={"Accept-Language": "en"})
    assert response.status_code == 200
    assert "Unknown region code." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(User).where(User.username == "bad_worker")) is None


def _apply(client, **overrides):
    data = {"name": "浏阳市爱心互助会", "type": "social_org", "region_code": "430181",
            "service_area_codes": ["430181"], "description": "助老助残",
            "contact_name": "刘先生", "contact_phone": "13900001111",
            "credit_code": "52430181MJ00000012",
            "username": "liuyang_aixin", "password": "Liuyang help 2026"}
    data.update(overrides)
    return client.post("/organizations/apply", data, headers={"Accept-Language": "en"})


def test_organisation_applies_and_an_officer_of_its_region_verifies_it(client, login, app):
    assert _apply(client).status_code == 302
    assert client.login("liuyang_aixin", "Liuyang help 2026").status_code == 200  # not yet
    with app.app_context():
        org = db.session.scalar(select(Organization).where(Organization.name == "浏阳市爱心互助会"))
        assert org.status == OrgStatus.pending
        assert org.contact_phone == "13900001111"
        org_id = org.id
    # An officer of another prefecture cannot see it at all.
    assert login("oversight_xx").get(f"/organizations/{org_id}").status_code == 404
    officer = login("oversight_hn")
    page = officer.get(f"/organizations/{org_id}").get_data(as_text=True)
    assert "139****1111" in page and "13900001111" not in page
    assert officer.post(f"/organizations/{org_id}/decision", {"approve": "1"}).status_code == 302
    with app.app_context():
        assert db.session.get(Organization, org_id).status == OrgStatus.verified
    assert client.login("liuyang_aixin", "Liuyang help 2026").status_code == 302


def test_rejection_needs_a_reason(client, login, app):
    _apply(client)
    with app.app_context():
        org_id = db.session.scalar(select(Organization.id).where(
            Organization.name == "浏阳市爱心互助会"))
    officer = login("oversight_hn")
    response = officer.post(f"/organizations/{org_id}/decision", {"reject": "1"},
                            headers={"Accept-Language": "en"})
    assert response.status_code == 400
    assert "Give a reason for the rejection." in response.get_data(as_text=True)
    officer.post(f"/organizations/{org_id}/decision", {"reject": "1", "reason": "材料不全"})
    with app.app_context():
        org = db.session.get(Organization, org_id)
        assert org.status == OrgStatus.rejected and org.decision_reason == "材料不全"


def test_application_with_unknown_region_saves_nothing(client, app):
    response = _apply(client, region_code="439999")
    assert response.status_code == 200
    assert "Unknown region code." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Organization)) is None
        assert db.session.scalar(select(User)) is None
