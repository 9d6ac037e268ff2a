"""Shared fixtures: one migrated database per test session, emptied after every test.

The database is a SQLite file by default; set ``DATABASE_URL`` to a PostgreSQL URL to run the
same tests there (``.ci/run`` does).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import delete, func, text

from marketplace import create_app
from marketplace.common import cache
from marketplace.extensions import db
from marketplace.regions.models import Region
from marketplace.regions.services import load_divisions
from marketplace.seed import DEMO_PASSWORD, seed_demo

CSRF_RE = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def _database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The app on a freshly migrated database with Hunan's regions loaded."""
    app = create_app({
        "NUANXIN_ENV": "testing",
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": _database_url(tmp_path_factory),
        "SESSION_COOKIE_SECURE": False,
    })
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade(revision="heads")
        load_divisions()
        db.session.commit()
    yield app
    with app.app_context():  # close pooled connections (psycopg warns about open ones)
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _clean_database(request: pytest.FixtureRequest) -> Iterator[None]:
    """Empty every table but the seeded regions after each test that used the app."""
    yield
    if "app" not in request.fixturenames:
        return
    app = request.getfixturevalue("app")
    with app.app_context():
        db.session.rollback()
        db.session.execute(text("UPDATE organizations SET decided_by_id = NULL"))
        for table in reversed(db.metadata.sorted_tables):
            if table.name == "regions":
                db.session.execute(delete(table).where(func.length(table.c.code) == 12))
                db.session.execute(delete(table).where(func.length(table.c.code) == 9))
            else:
                db.session.execute(delete(table))
        db.session.commit()
        db.session.remove()
    cache.clear_all()  # per-process caches of the emptied tables


@pytest.fixture
def demo(app: Flask) -> None:
    """The demo accounts and organisations of ``flask seed-demo``."""
    with app.app_context():
        seed_demo()
        db.session.commit()


class Client:
    """A test client that signs in and sends the CSRF token like a browser would."""

    def __init__(self, flask_client: FlaskClient):
        self.raw = flask_client

    def get(self, url: str, **kwargs):
        return self.raw.get(url, **kwargs)

    def token(self, url: str = "/") -> str:
        match = CSRF_RE.search(self.raw.get(url, follow_redirects=True).get_data(as_text=True))
        assert match, f"no CSRF token on {url}"
        return match.group(1)

    def post(self, url: str, data: dict | None = None, **kwargs):
        data = dict(data or {})
        data.setdefault("csrf_token", self.token())
        return self.raw.post(url, data=data, **kwargs)

    def login(self, username: str, password: str = DEMO_PASSWORD):
        return self.post("/login", {"username": username, "password": password})


@pytest.fixture
def client(app: Flask) -> Client:
    return Client(app.test_client())


@pytest.fixture
def login(app: Flask, demo: None):
    """``login("oversight_xx")`` → a signed-in client for that demo account."""

    def _login(username: str) -> Client:
        c = Client(app.test_client())
        response = c.login(username)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return c

    return _login


def region_count(app: Flask, level: str) -> int:
    with app.app_context():
        return db.session.query(Region).filter(Region.level == level).count()
