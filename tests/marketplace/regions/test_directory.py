"""The cached directory of prefectures and counties: built once, rebuilt when regions change
(in this process or in another one), and the board's place filter that comes from it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import delete, event

from marketplace.extensions import db
from marketplace.needs import board
from marketplace.regions import directory, services
from marketplace.regions.models import Region, RegionLevel


@pytest.fixture(autouse=True)
def _check_every_time(monkeypatch):
    """Check the version at every read, as if a second had passed between reads."""
    monkeypatch.setattr(directory._cache, "check_every", 0)


@pytest.fixture
def queries(app) -> Iterator[list[str]]:
    """Statements run while the test body runs, inside an app context."""
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            yield statements
        finally:
            event.remove(db.engine, "before_cursor_execute", count)


def test_the_directory_holds_the_province_prefectures_and_counties(queries):
    places = directory.places()
    levels = [p.level for p in places.values()]
    assert levels.count(RegionLevel.province) == 1
    assert levels.count(RegionLevel.prefecture) == 14
    assert levels.count(RegionLevel.county) == 122
    assert places["433123"].display_name("zh_CN") == "凤凰县"
    assert list(places) == sorted(places)


def test_a_warm_directory_costs_one_small_query_at_most_once_a_second(queries, monkeypatch):
    directory.places()
    queries.clear()
    directory.places()
    board.region_filter_choices("en")
    assert len(queries) == 2 and all("count(*)" in q for q in queries)  # the version only
    monkeypatch.setattr(directory._cache, "check_every", 3600)
    queries.clear()
    directory.places()
    board.region_options("zh_CN", "433123")
    assert queries == []


def test_board_place_filter_lists_prefectures_then_their_counties(queries):
    choices = dict(board.region_filter_choices("en"))
    assert len(choices) == 14 + 122
    assert not choices["433100"].startswith("—") and choices["433123"].startswith("— ")
    assert board.region_filter_choices("zh_CN")[0] == ("430100", "长沙市")
    html = str(board.region_options("en", "433123"))
    assert html.count("<option") == 136 and html.count(" selected") == 1
    assert '<option value="433123" selected>' in html


def test_a_renamed_county_shows_at_once_even_when_another_process_renamed_it(queries):
    assert dict(board.region_filter_choices("en"))["433123"] == "— Fenghuang County"
    # As if another process (flask load-regions, an admin page on another server process)
    # renamed it: no clear() in this process, whose cache is warm.
    db.session.get(Region, "433123").name_en = "Phoenix County"
    db.session.commit()
    try:
        assert dict(board.region_filter_choices("en"))["433123"] == "— Phoenix County"
        assert "Phoenix County" in str(board.region_options("en", ""))
        assert directory.places()["433123"].name_en == "Phoenix County"
    finally:
        services.load_divisions()  # restores the names from the division file
        db.session.commit()
    assert dict(board.region_filter_choices("en"))["433123"] == "— Fenghuang County"


def test_an_added_or_removed_county_changes_the_directory(queries):
    directory.places()
    db.session.add(Region(code="433199", parent_code="433100", level=RegionLevel.county,
                          name_zh="测试县", name_en="Test County", kind="county"))
    db.session.commit()
    try:
        assert "433199" in dict(board.region_filter_choices("en"))
    finally:
        db.session.execute(delete(Region).where(Region.code == "433199"))
        db.session.commit()
    assert "433199" not in dict(board.region_filter_choices("en"))


def test_adding_or_loading_regions_clears_the_cache_in_this_process(queries):
    directory.places()
    services.add_region(services.NewRegion(code="433123199", name_zh="测试镇",
                                           parent_code="433123"))
    db.session.commit()
    queries.clear()
    directory.places()
    assert len(queries) == 2  # the version, then the rebuild
    services.load_divisions()
    queries.clear()
    directory.places()
    assert len(queries) == 2
