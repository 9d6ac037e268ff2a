"""Read-only transactions end with COMMIT on PostgreSQL, so psycopg keeps its prepared
statements; anything that wrote is still rolled back (marketplace/common/readonly.py)."""

from __future__ import annotations

import pytest
from sqlalchemy import event, func, insert, select, text
from sqlalchemy.exc import DBAPIError

from marketplace.common import readonly
from marketplace.extensions import db
from marketplace.needs.models import StageLimit
from marketplace.regions.models import Region


def _postgres(app) -> bool:
    with app.app_context():
        return db.engine.dialect.name == "postgresql"


def _prepared(conn) -> list[str]:
    return list(conn.execute(text("SELECT statement FROM pg_prepared_statements")).scalars())


def test_installed_on_postgresql_only(app):
    with app.app_context():
        installed = event.contains(db.engine, "rollback", readonly._commit_if_read_only)
        assert installed == (db.engine.dialect.name == "postgresql")


def test_read_only_transactions_keep_prepared_statements(app):
    if not _postgres(app):
        pytest.skip("prepared statements are psycopg's (PostgreSQL)")
    query = select(Region.name_zh).where(Region.code == "430000")
    with app.app_context(), db.engine.connect() as conn:
        for _ in range(6):  # psycopg prepares a statement on its fifth run
            assert conn.execute(query).scalar_one() == "湖南省"
            conn.rollback()  # what closing the session does at the end of every request
        assert any("FROM regions" in s for s in _prepared(conn))


def test_a_transaction_that_wrote_is_still_rolled_back(app):
    with app.app_context():
        with db.engine.connect() as conn:
            conn.execute(insert(StageLimit).values(region_code="430000", stage="draft", days=3))
            conn.rollback()
        # The ORM way: a flushed change, then the session closes without a commit.
        db.session.add(StageLimit(region_code="430000", stage="returned", days=4))
        db.session.flush()
        db.session.close()
        assert db.session.scalar(select(func.count()).select_from(StageLimit)) == 0


def test_a_failed_transaction_is_rolled_back_and_the_connection_reused(app):
    with app.app_context(), db.engine.connect() as conn:
        with pytest.raises(DBAPIError):
            conn.execute(text("SELECT no_such_column FROM regions"))
        conn.rollback()
        assert conn.execute(select(func.count()).select_from(Region)).scalar_one() > 100
