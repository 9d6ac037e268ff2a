"""The audit search is planned for its values on PostgreSQL (a generic plan of a prepared
search read the region index for every action: 1.5 s on 5 million events), without costing
the connection its prepared statements; and it counts matches up to COUNT_CAP only."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from marketplace.accounts.models import User
from marketplace.audit import search as audit_search
from marketplace.audit.services import record_event
from marketplace.common import readonly
from marketplace.extensions import db

MODE = text("SELECT current_setting('plan_cache_mode')")


def _officer() -> User:
    return db.session.scalar(select(User).where(User.username == "oversight_hn"))


def test_searches_are_planned_for_their_values_and_stay_read_only(app, demo):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("plan_cache_mode is PostgreSQL's")
        audit_search.search(_officer(), audit_search.AuditFilters(action="need.fulfil"))
        assert db.session.scalar(MODE) == "force_custom_plan"
        conn = db.session.connection()
        assert conn.info.get(readonly.WROTE) is False  # ends in COMMIT: statements kept
        db.session.rollback()
        assert db.session.scalar(MODE) == "auto"  # SET LOCAL only


def test_count_stops_at_the_cap(app, demo, monkeypatch):
    monkeypatch.setattr(audit_search, "COUNT_CAP", 3)
    with app.app_context():
        officer = _officer()
        for i in range(5):
            record_event(officer, "need.fulfil", object_type="needs", object_id=str(i),
                         region_code="433123")
        db.session.commit()
        page = audit_search.search(officer, audit_search.AuditFilters(action="need.fulfil"))
        assert page.count == 3 and page.count_capped
        assert len(page.rows) == 5
        total = db.session.scalar(select(func.count()).where(
            audit_search.AuditEvent.action == "need.fulfil"))
        assert total == 5
