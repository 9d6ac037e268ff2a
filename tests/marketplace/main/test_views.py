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
