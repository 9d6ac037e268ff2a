"""The needs card of the dashboards: overdue needs, longest waiting first, read through the
(status_changed_at, id) index however wide the officer's scope (needs/dashboard.py)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import event, update

from marketplace.common.models import utcnow
from marketplace.extensions import db
from marketplace.households.models import Household
from marketplace.needs import dashboard
from marketplace.needs.models import Need
from tests.marketplace.needs.factories import en, make_need, user


def _aged(household_id: int, status: str, days: int) -> Need:
    need = make_need(db.session.get(Household, household_id), status)
    db.session.execute(update(Need).where(Need.id == need.id).values(
        status_changed_at=utcnow() - timedelta(days=days)))
    db.session.refresh(need)
    return need


def test_officers_see_overdue_needs_of_their_area_longest_waiting_first(app, homes):
    with en(app):
        older = _aged(homes["jishou"], "submitted", 30)
        newer = _aged(homes["fenghuang"], "submitted", 20)
        changsha = _aged(homes["furong"], "submitted", 25)  # 芙蓉区: not 湘西州
        fresh = _aged(homes["jishou"], "submitted", 0)
        db.session.commit()
        province = dashboard.needs_card(user("oversight_hn")).data
        assert [n.id for n in province["overdue"]] == [older.id, changsha.id, newer.id]
        assert fresh.id not in province["overdue_ids"]
        prefecture = dashboard.needs_card(user("oversight_xx")).data
        assert [n.id for n in prefecture["overdue"]] == [older.id, newer.id]


def test_a_province_wide_card_walks_the_age_index_on_sqlite(app, homes):
    """SQLite cannot tell that the province's range holds every need, so without a hint it
    sorts them all; the card tells it (likely()) for province-wide readers only."""
    with en(app):
        _aged(homes["jishou"], "submitted", 30)
        db.session.commit()
        if db.engine.dialect.name != "sqlite":
            return  # PostgreSQL chooses from its statistics (docs/benchmarks.md)
        seen: list[tuple[str, object]] = []

        def grab(conn, cursor, statement, parameters, context, executemany):
            if "ORDER BY needs.status_changed_at" in statement:
                seen.append((statement, parameters))

        event.listen(db.engine, "before_cursor_execute", grab)
        try:
            dashboard.needs_card(user("oversight_hn"))
            dashboard.needs_card(user("oversight_xx"))
        finally:
            event.remove(db.engine, "before_cursor_execute", grab)
        plans = [" ".join(str(row[-1]) for row in db.session.connection().exec_driver_sql(
            "EXPLAIN QUERY PLAN " + statement, parameters)) for statement, parameters in seen]
        assert "ix_needs_status_changed_at_id" in plans[0] and "TEMP B-TREE" not in plans[0]
        # A prefecture's officer: no hint, the planner's own choice.
        assert "likely(" in seen[0][0] and "likely(" not in seen[1][0]
