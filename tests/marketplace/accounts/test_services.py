"""Password hashing, password rules, throttling and session rotation."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from marketplace.accounts import services
from marketplace.accounts.models import LoginAttempt, Role, User
from marketplace.extensions import db


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield


@pytest.fixture
def user(ctx):
    u = User(username="li_na", display_name="李娜", role=Role.caseworker, region_code="433123",
             password_hash=services.hash_password("Correct horse 42"))
    db.session.add(u)
    db.session.commit()
    return u


def test_passwords_are_hashed_with_argon2id(user):
    assert user.password_hash.startswith("$argon2id$")
    assert "Correct horse 42" not in user.password_hash
    assert services.verify_password(user, "Correct horse 42")
    assert not services.verify_password(user, "correct horse 42")
    assert not services.verify_password(None, "Correct horse 42")


@pytest.mark.parametrize("password, problems", [
    ("short1", 1),
    ("onlyletterslong", 1),
    ("1234567890123", 1),
    ("li_na-password1", 1),
    ("Good enough 2026", 0),
])
def test_password_rules(ctx, password, problems):
    assert len(services.password_problems(password, "li_na")) == problems


def test_throttling_per_account(user, app):
    limit = app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]
    for i in range(limit):
        assert services.authenticate("li_na", "wrong", f"10.0.0.{i}") is None
    with pytest.raises(services.LoginThrottled):
        services.authenticate("li_na", "Correct horse 42", "10.0.1.1")
    # Other accounts from another address are not affected.
    assert not services.is_throttled("someone_else", "10.0.2.2")


def test_throttling_per_address(user, app):
    limit = app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"]
    for i in range(limit):
        services.authenticate(f"guess{i}", "wrong", "10.9.9.9")
    with pytest.raises(services.LoginThrottled):
        services.authenticate("li_na", "Correct horse 42", "10.9.9.9")
    assert services.authenticate("li_na", "Correct horse 42", "10.9.9.8") == user


def test_unknown_accounts_are_throttled_too(ctx, app):
    for _ in range(app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]):
        services.authenticate("nobody", "x", "10.1.1.1")
    assert services.is_throttled("nobody", "10.1.1.2")


def test_every_attempt_is_recorded(user):
    services.authenticate("LI_NA", "Correct horse 42", "10.0.0.1")
    services.authenticate("li_na", "bad", "10.0.0.1")
    attempts = db.session.scalars(select(LoginAttempt).order_by(LoginAttempt.id)).all()
    assert [(a.username, a.succeeded) for a in attempts] == [("li_na", True), ("li_na", False)]


def test_password_change_rotates_the_session_token(user):
    old_id = user.get_id()
    assert services.load_user_from_session(old_id) == user
    services.change_password(user, "Correct horse 42", "New secret 2027")
    assert services.load_user_from_session(old_id) is None
    assert services.load_user_from_session(user.get_id()) == user


def test_password_change_checks_the_current_password(user):
    with pytest.raises(services.AccountError):
        services.change_password(user, "wrong", "New secret 2027")
    with pytest.raises(services.AccountError):
        services.change_password(user, "Correct horse 42", "weak")


def test_create_government_user_refuses_unknown_region(ctx):
    admin = User(username="root", display_name="root", role=Role.admin, password_hash="x")
    db.session.add(admin)
    with pytest.raises(services.AccountError):
        services.create_government_user(admin, services.NewUser(
            username="x_worker", display_name="X", password="Good enough 2026",
            role=Role.caseworker, region_code="439999"))
    assert db.session.scalar(select(User).where(User.username == "x_worker")) is None


def test_production_uses_full_strength_argon2(tmp_path):
    from marketplace import create_app

    prod = create_app({"NUANXIN_ENV": "production", "SECRET_KEY": "k" * 32,
                       "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.db'}"})
    with prod.app_context():
        hasher = services._hasher()
        assert hasher.time_cost >= 2 and hasher.memory_cost >= 19 * 1024
