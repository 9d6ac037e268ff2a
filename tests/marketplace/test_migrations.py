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
