"""Configuration read from the environment.

``NUANXIN_ENV`` selects the profile: ``production`` (the default), ``development`` or
``testing``. Outside development and testing a ``SECRET_KEY`` must be set, or the app refuses
to start.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path


class ConfigError(RuntimeError):
    """Raised when the environment does not allow the app to start safely."""


def _dev_secret(instance_path: Path) -> str:
    """A random key kept in the instance folder, so development sessions survive restarts."""
    instance_path.mkdir(parents=True, exist_ok=True)
    key_file = instance_path / "dev-secret-key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
    return key_file.read_text().strip()


def build_config(instance_path: Path, overrides: dict | None = None) -> dict:
    """Return the Flask config mapping for the current environment plus ``overrides``."""
    overrides = overrides or {}
    env = overrides.get("NUANXIN_ENV") or os.environ.get("NUANXIN_ENV", "production")
    if env not in {"production", "development", "testing"}:
        raise ConfigError(f"NUANXIN_ENV must be production, development or testing, got {env!r}")
    secret = overrides.get("SECRET_KEY") or os.environ.get("SECRET_KEY")
    if not secret:
        if env == "production":
            raise ConfigError(
                "SECRET_KEY is not set. Set the SECRET_KEY environment variable to a long random "
                "value (for example: python -c 'import secrets; print(secrets.token_hex(32))'), "
                "or set NUANXIN_ENV=development for a local demo."
            )
        secret = _dev_secret(instance_path)
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{instance_path / 'nuanxin.db'}"
    config = {
        "NUANXIN_ENV": env,
        "SECRET_KEY": secret,
        # Separate key for personal-data encryption; derived from SECRET_KEY when not set.
        "DATA_KEY": os.environ.get("DATA_KEY", ""),
        "SQLALCHEMY_DATABASE_URI": database_url,
        # No pre-ping: it costs a round trip (three statements on psycopg) at every checkout,
        # i.e. every request; connections are instead replaced after half an hour, before an
        # idle-timeout on the way could drop them (docs/benchmarks.md).
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_recycle": 1800},
        "MAX_CONTENT_LENGTH": 5 * 1024 * 1024,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": env == "production",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": env == "production",
        "WTF_CSRF_TIME_LIMIT": 8 * 3600,
        "BABEL_DEFAULT_LOCALE": "zh_CN",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
        "LANGUAGES": {"zh_CN": "中文", "en": "English"},
        "BOOTSTRAP_SERVE_LOCAL": True,
        # Login throttling: failures allowed within the window, per account and per address.
        "LOGIN_WINDOW_SECONDS": 15 * 60,
        "LOGIN_MAX_FAILURES_PER_ACCOUNT": 5,
        "LOGIN_MAX_FAILURES_PER_ADDRESS": 20,
        "PASSWORD_MIN_LENGTH": 10,
        "PAGE_SIZE": 20,
        "TESTING": env == "testing",
    }
    config.update(overrides)
    return config
