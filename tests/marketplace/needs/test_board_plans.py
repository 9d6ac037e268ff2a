"""PostgreSQL plans the board's queries once: they carry their filter values in the SQL text
(no bound parameters), so a prepared statement reuses one generic plan instead of planning
every request afresh (about 2 ms per query at Hunan scale, docs/benchmarks.md)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from marketplace.extensions import db
from marketplace.needs.board import BoardFilter, board_page
from tests.marketplace.querycount import counted


@pytest.mark.parametrize("flt", [
    BoardFilter(region="433123", kind="funds"),
    BoardFilter(region="433100", kind="services", category="disability", urgency="normal"),
    BoardFilter(sort="urgency"),
], ids=["county", "prefecture", "province"])
def test_board_queries_are_planned_once(app, flt):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("prepared statements and plans are PostgreSQL's")
        for page in (3, 3, 3, 3, 3, 3):  # psycopg prepares a statement on its fifth run
            board_page(flt, page, 20, "zh_CN")
        plans = db.session.execute(text(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements "
            "WHERE statement LIKE '%FROM need_lines JOIN needs%'")).all()
        db.session.rollback()
    assert plans, "the board's queries were never prepared"
    assert all(generic > 0 and custom == 0 for generic, custom in plans), plans


def test_page_limit_is_bound_on_sqlite_and_literal_on_postgresql(app):
    """SQLite's planner sorts every board line of a kind when the LIMIT is a literal (90 ms
    instead of 1 ms at 100,000 households); PostgreSQL needs it literal for a generic plan."""
    with counted(app) as statements, app.app_context():
        board_page(BoardFilter(kind="funds"), 3, 20, "zh_CN")
        postgres = db.engine.dialect.name == "postgresql"
    page = next(s for s in statements if "FROM need_lines JOIN needs" in s and "count(" not in s)
    assert ("LIMIT 21 OFFSET 40" in page) == postgres, page
