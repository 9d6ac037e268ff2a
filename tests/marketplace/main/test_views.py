"""Dashboards show each role what needs attention, within its scope."""

from __future__ import annotations

from sqlalchemy import select


def test_oversight_dashboard_lists_pending_applications_in_region(login):
    html = login("oversight_xx").get("/dashboard", headers={"Accept-Language": "en"}).get_data(
        as_text=True)
    assert "吉首市社区养老服务社" in html
    assert 'data-testid="pending-count">1<' in html


def test_other_region_officer_sees_no_foreign_application(login, app):
    from marketplace.accounts.models import User
    from marketplace.extensions import db

    with app.app_context():
        db.session.add(User(username="oversight_yy", display_name="岳阳督导", role="oversight",
                            region_code="430600", password_hash=db.session.scalar(
                                select(User.password_hash).where(User.username == "admin"))))
        db.session.commit()
    html = login("oversight_yy").get("/dashboard").get_data(as_text=True)
    assert "吉首市社区养老服务社" not in html
    assert 'data-testid="pending-count">0<' in html


def test_provider_dashboard_shows_own_organisation(login):
    html = login("provider_staff").get("/dashboard").get_data(as_text=True)
    assert "湘西州阳光社会工作服务中心" in html


def test_home_page_is_public(client):
    assert client.get("/").status_code == 200


def _pending_count(html: str) -> str:
    return html.split('data-testid="pending-count">', 1)[1].split("<", 1)[0]


def _add_officer(app, username: str, region_code: str) -> None:
    from marketplace.accounts.models import User
    from marketplace.extensions import db

    with app.app_context():
        db.session.add(User(username=username, display_name=username, role="oversight",
                            region_code=region_code, password_hash=db.session.scalar(
                                select(User.password_hash).where(User.username == "admin"))))
        db.session.commit()


def test_area_figures_of_a_wider_officer_are_not_shown_to_a_narrower_one(login, app):
    """Figures are shared per role and area: the province officer's cached card (with the
    Xiangxi application) must not reach an officer of Yueyang."""
    _add_officer(app, "oversight_yy", "430600")
    province = login("oversight_hn").get("/dashboard").get_data(as_text=True)
    assert "吉首市社区养老服务社" in province
    yueyang = login("oversight_yy").get("/dashboard").get_data(as_text=True)
    assert "吉首市社区养老服务社" not in yueyang
    assert _pending_count(yueyang) == "0"


def test_officer_sees_change_by_another_process_within_the_ttl(login, app, monkeypatch):
    """A change made elsewhere (another server process: here a plain connection, which this
    process's sessions do not see) appears once the shared figures are older than the TTL; the
    page says how old the figures are."""
    from marketplace.common import cache
    from marketplace.common.ui import AREA_FIGURES
    from marketplace.extensions import db

    clock = [5000.0]
    monkeypatch.setattr(cache.time, "monotonic", lambda: clock[0])
    officer = login("oversight_xx")
    html = officer.get("/dashboard", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert _pending_count(html) == "1"
    assert 'data-testid="figures-as-of"' in html
    with app.app_context(), db.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE organizations SET status = 'verified' "
                             "WHERE status = 'pending'")
    assert _pending_count(officer.get("/dashboard").get_data(as_text=True)) == "1"
    clock[0] += AREA_FIGURES.ttl + 0.1
    assert _pending_count(officer.get("/dashboard").get_data(as_text=True)) == "0"


def test_officer_sees_own_change_at_once(login, app):
    """A change committed by this process drops the shared figures: no waiting for the TTL."""
    from marketplace.accounts.models import Organization
    from marketplace.extensions import db

    officer = login("oversight_xx")
    assert _pending_count(officer.get("/dashboard").get_data(as_text=True)) == "1"
    with app.app_context():
        org = db.session.scalar(select(Organization).where(Organization.status == "pending"))
        org.status = "verified"
        db.session.commit()
    assert _pending_count(officer.get("/dashboard").get_data(as_text=True)) == "0"


def test_caseworker_figures_are_live_and_not_dated(login):
    html = login("caseworker_jishou").get("/dashboard").get_data(as_text=True)
    assert 'data-testid="figures-as-of"' not in html
