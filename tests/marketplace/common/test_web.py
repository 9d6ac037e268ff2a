"""Security headers, CSRF, request limits, error pages, language choice and config."""

from __future__ import annotations

import pytest

from marketplace import create_app
from marketplace.config import ConfigError


def test_security_headers(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_pages_have_no_inline_scripts(client):
    html = client.get("/login").get_data(as_text=True)
    assert "<script>" not in html and "onclick=" not in html and 'style="' not in html


def test_post_without_csrf_token_is_refused(client, demo):
    response = client.raw.post("/login", data={"username": "admin", "password": "x"},
                               headers={"Accept-Language": "en"})
    assert response.status_code == 400
    assert "The form has expired" in response.get_data(as_text=True)


def test_oversized_request_gets_413(client):
    response = client.raw.post("/login", data={"username": "x" * (6 * 1024 * 1024)})
    assert response.status_code == 413
    assert "Traceback" not in response.get_data(as_text=True)


def test_unknown_page_is_a_friendly_404(client):
    response = client.get("/no/such/page", headers={"Accept-Language": "en"})
    assert response.status_code == 404
    assert "There is no such page" in response.get_data(as_text=True)


def test_session_cookie_flags(client, demo, app):
    response = client.login("admin")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_production_cookies_are_secure(tmp_path):
    app = create_app({"NUANXIN_ENV": "production", "SECRET_KEY": "k" * 32,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}"})
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]


def test_missing_secret_key_outside_development_refuses_to_start(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("NUANXIN_ENV", "production")
    with pytest.raises(ConfigError, match="SECRET_KEY is not set"):
        create_app()


def test_chinese_is_the_default_language(client):
    html = client.get("/login").get_data(as_text=True)
    assert "登录" in html


def test_accept_language_english(client):
    html = client.get("/login", headers={"Accept-Language": "en-US,en;q=0.9"}).get_data(
        as_text=True)
    assert "Sign in" in html and "登录" not in html


def test_language_switch_overrides_the_browser(client):
    response = client.post("/language/en", {"next": "/login"},
                           headers={"Accept-Language": "zh-CN"})
    assert response.headers["Location"] == "/login"
    html = client.get("/login", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "Sign in" in html
    client.post("/language/zh_CN", {"next": "/login"})
    assert "登录" in client.get("/login", headers={"Accept-Language": "en"}).get_data(as_text=True)


def test_language_switch_refuses_foreign_redirects(client):
    response = client.post("/language/en", {"next": "https://evil.example/"})
    assert response.headers["Location"] == "/"
