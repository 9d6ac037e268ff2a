"""The schema comes only from Alembic migrations, and they match the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from marketplace.extensions import db


def test_upgrade_from_empty_builds_every_table(app):
    with app.app_context():
        tables = set(inspect(db.engine).get_table_names())
    assert {"alembic_version", "regions", "users", "organizations",
            "organization_service_areas", "login_attempts"} <= tables


def test_models_and_migrations_agree(app):
    with app.app_context(), db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
    assert diff == []


def test_a_populated_sqlite_database_upgrades(tmp_path):
    """Upgrading a SQLite database that holds data: the batch migrations rebuild tables that
    other rows point to (0015 rebuilds users). With foreign keys on, dropping the old users
    table failed, or deleted the rows that cascade from it (a user's notifications); now every
    row survives and foreign keys are on again afterwards."""
    from flask_migrate import upgrade
    from sqlalchemy import text

    from marketplace import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'old.db'}",
                      "SECRET_KEY": "test", "TESTING": True})
    with app.app_context():
        upgrade(revision="0014")
        db.session.execute(text(
            "INSERT INTO regions (code, parent_code, level, name_zh, name_en, kind, is_urban, "
            "created_at, updated_at) VALUES ('430000', NULL, 'province', '湖南省', 'Hunan', "
            "'province', 0, '2026-01-01', '2026-01-01')"))
        db.session.execute(text(
            "INSERT INTO users (id, username, display_name, password_hash, role, region_code, "
            "active, locale, session_token, password_changed_at, created_at, updated_at) "
            "VALUES (1, 'officer', '督导', 'x', 'oversight', '430000', 1, 'zh_CN', 't', "
            "'2026-01-01', '2026-01-01', '2026-01-01')"))
        db.session.execute(text(  # points to users, ON DELETE CASCADE
            "INSERT INTO notifications (user_id, kind, object_type, object_id, params, "
            "created_at) VALUES (1, 'run_finished', 'runs', '1', '{}', '2026-01-01')"))
        db.session.commit()
        upgrade(revision="heads")
        assert db.session.scalar(text("SELECT username FROM users")) == "officer"
        assert db.session.scalar(text("SELECT count(*) FROM notifications")) == 1
        assert db.session.scalar(text("PRAGMA foreign_keys")) == 1
