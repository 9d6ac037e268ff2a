"""The board at scale: place filters an index serves, the capped pager, its partial indexes and
a fixed, small number of queries per page."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event, inspect, text, update

from marketplace.extensions import db
from marketplace.households.models import Household
from marketplace.needs import board, pager
from marketplace.needs.models import Need
from marketplace.needs.pager import CappedPagination
from marketplace.regions import directory
from tests.marketplace.needs.factories import en, make_need


@pytest.fixture
def spread(app, homes):
    """Published needs (3 lines each) in 吉首市 433101 (two), 凤凰县 433123 and 芙蓉区 430102
    (made in 吉首市, whose reviewers the factory has, then moved), and a draft that must not
    show. Returns need id → county."""
    with en(app):
        jishou = db.session.get(Household, homes["jishou"])
        needs = {}
        for county in ("433101", "433101", "433123", "430102"):
            need = make_need(jishou, "published")
            if county != "433101":
                db.session.execute(update(Need).where(Need.id == need.id).values(
                    county_code=county, region_code=county))
            needs[need.id] = county
        make_need(jishou, "draft")
        db.session.commit()
    return needs


def _html(client, **params) -> str:
    response = client.get("/board", query_string=params, headers={"Accept-Language": "en"})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _places(app, region: str) -> list[str]:
    with en(app):
        _, rows = board.board_page(board.BoardFilter(region=region), 1, 100, "en")
    return sorted(row.county_code for row in rows)


@pytest.mark.parametrize("region, counties", [
    ("433123", ["433123"]),                       # a county: equality
    ("433101", ["433101"]),
    ("433100", ["433101", "433123"]),             # a prefecture: the range 433100–433199
    ("430100", ["430102"]),
    ("430000", ["430102", "433101", "433123"]),   # the province
    ("431000", []),                               # 郴州市: nothing there
])
def test_place_filter_returns_exactly_the_lines_of_the_place(app, spread, region, counties):
    expected = sorted(county for county in spread.values() for _ in range(3))
    assert _places(app, region) == [c for c in expected if c in counties]


def test_place_condition_is_an_equality_or_a_range():
    def sql(code):
        return str(board.place_condition(code).compile(
            compile_kwargs={"literal_binds": True}))
    assert sql("433123") == "needs.county_code = '433123'"
    assert sql("433100") == "needs.county_code BETWEEN '433100' AND '433199'"
    assert sql("430000") == "needs.county_code BETWEEN '430000' AND '439999'"
    assert "LIKE" not in sql("433100")


def test_pager_shows_the_exact_total_under_the_cap(client, spread):
    html = _html(client, per_page=5)
    assert "12 open lines" in html  # 4 published needs × 3 lines
    pages = re.findall(r'class="page-link" href="[^"]*page=(\d+)', html)
    assert pages == ["1", "2", "3", "2"]  # 1, 2, 3, then "Next" → 2
    last = _html(client, per_page=5, page=3)
    assert last.count('data-testid="board-row"') == 2
    assert "12 open lines" in last and ">Next<" not in last and ">Previous<" in last


def test_pager_over_the_cap_says_more_than_and_links_onwards(client, spread, monkeypatch):
    monkeypatch.setattr(pager, "COUNT_CAP", 5)
    first = _html(client, per_page=2)
    assert "More than 5 open lines" in first and "12 open lines" not in first
    numbers = re.findall(r'class="page-link" href="[^"]*page=(\d+)[^"]*"[^>]*>(\w+)<', first)
    # pages 1–3 hold the 6 rows counted; after them a gap ("…") and "Next", no last page
    assert [label for _, label in numbers] == ["1", "2", "3", "Next"]
    assert first.count('<span class="page-link">…</span>') == 1
    # Past the cap nothing is counted: the page still knows whether a next page exists.
    deep = _html(client, per_page=2, page=5)
    assert "More than 5 open lines" in deep and ">Next<" in deep and "page=6" in deep
    end = _html(client, per_page=2, page=6)
    assert end.count('data-testid="board-row"') == 2
    assert "12 open lines" in end and ">Next<" not in end  # the last page knows the total


def test_pager_text_is_translated(client, spread, monkeypatch):
    monkeypatch.setattr(pager, "COUNT_CAP", 5)
    html = client.get("/board?per_page=2", headers={"Accept-Language": "zh-CN"}).get_data(
        as_text=True)
    assert "未满足的需求明细：超过 5 行" in html and "下一页" in html


@pytest.mark.parametrize("total, page, expected", [
    (100, 1, [1, 2, 3, 4, 5, None, 9, 10]),
    (100, 6, [1, 2, None, 4, 5, 6, 7, 8, 9, 10]),
    (None, 1, [1, 2, 3, 4, 5, None]),
    (None, 30, [1, 2, None, 28, 29, 30, 31, None]),
])
def test_iter_pages(total, page, expected):
    pagination = CappedPagination(page=page, per_page=10, items=[], total=total,
                                  more_than=50, has_next=True)
    assert list(pagination.iter_pages()) == expected


def test_queries_per_page_are_few_and_fixed(app, client, spread, monkeypatch):
    monkeypatch.setattr(directory._cache, "check_every", 3600)  # checked by the warm-up request
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    _html(client, per_page=2)  # warms the region directory
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        sizes = []
        for per_page in (2, 7):
            statements.clear()
            _html(client, per_page=per_page, region="433100", kind="funds")
            sizes.append(len(statements))
    finally:
        event.remove(engine, "before_cursor_execute", count)
    # rows with their coverage, the capped count (the region directory is cached)
    assert sizes == [2, 1]  # a page that shows the end needs no count


BOARD_INDEXES = {
    "ix_needs_board_deadline": ["deadline", "id"],
    "ix_needs_board_county": ["county_code", "deadline", "id"],
    "ix_needs_board_urgency": ["urgency", "deadline", "id"],
    "ix_needs_board_county_urgency": ["county_code", "urgency", "deadline", "id"],
    "ix_needs_board_published": ["published_at", "id"],
    "ix_needs_board_county_published": ["county_code", "published_at", "id"],
}


def test_board_partial_indexes_exist(app):
    with app.app_context():
        indexes = {ix["name"]: ix for ix in inspect(db.engine).get_indexes("needs")}
    for name, columns in BOARD_INDEXES.items():
        assert indexes[name]["column_names"] == columns
        where = str(next(iter(indexes[name]["dialect_options"].values())))
        assert "published" in where and "partially_matched" in where


def test_urgency_values_sort_emergency_first():
    """The urgency sort orders by the column (so that an index serves it), which puts
    emergencies first only as long as their value sorts first."""
    from marketplace.needs.models import Urgency
    assert sorted(u.value for u in Urgency)[0] == Urgency.emergency.value


@pytest.mark.parametrize("flt, index", [
    (board.BoardFilter(kind="funds"), "ix_needs_board_deadline"),
    (board.BoardFilter(region="433100", kind="funds"), "ix_needs_board_deadline"),
    (board.BoardFilter(region="433123", kind="funds"), "ix_needs_board_county"),
    (board.BoardFilter(sort="urgency"), "ix_needs_board_urgency"),
    (board.BoardFilter(region="433123", sort="urgency"), "ix_needs_board_county_urgency"),
    (board.BoardFilter(sort="newest"), "ix_needs_board_published"),
    (board.BoardFilter(region="433123", sort="newest"), "ix_needs_board_county_published"),
])
def test_sqlite_can_read_the_board_through_its_partial_indexes(app, flt, index):
    """SQLite uses a partial index only when it sees that the query implies the index's
    condition, i.e. when the statuses are literals, not parameters. ``INDEXED BY`` makes
    it fail ("no query solution") when it cannot use the index."""
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("INDEXED BY is SQLite's; PostgreSQL plans are in docs/benchmarks.md")
        seen: list[tuple[str, object]] = []

        def grab(conn, cursor, statement, parameters, context, executemany):
            seen.append((statement, parameters))

        event.listen(db.engine, "before_cursor_execute", grab)
        try:
            db.session.execute(board.board_query(flt).limit(20)).all()
        finally:
            event.remove(db.engine, "before_cursor_execute", grab)
        statement, parameters = seen[0]
        assert "JOIN needs ON" in statement
        forced = statement.replace("JOIN needs ON", f"JOIN needs INDEXED BY {index} ON")
        plan = " ".join(str(row[-1]) for row in db.session.connection().exec_driver_sql(
            "EXPLAIN QUERY PLAN " + forced, parameters))
    assert index in plan


def test_migrations_0011_and_0012_add_and_drop_the_indexes(tmp_path):
    from flask_migrate import downgrade, upgrade

    from marketplace import create_app
    app = create_app({"NUANXIN_ENV": "testing", "SECRET_KEY": "x", "SESSION_COOKIE_SECURE": False,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'm.db'}"})
    with app.app_context():
        upgrade(revision="heads")
        assert set(BOARD_INDEXES) <= _index_names()
        downgrade(revision="0011")
        assert {"ix_needs_board_deadline", "ix_needs_board_county"} == (
            set(BOARD_INDEXES) & _index_names())
        downgrade(revision="0010")
        assert not set(BOARD_INDEXES) & _index_names()
        upgrade(revision="heads")
        assert set(BOARD_INDEXES) <= _index_names()
        db.session.remove()
        db.engine.dispose()


def _index_names() -> set[str]:
    with db.engine.connect() as conn:
        return {row[0] for row in conn.execute(text(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'needs'"))}
