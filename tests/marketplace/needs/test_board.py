"""The public need board: anonymised, filtered, sorted, paginated, with constant query count."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import event, select

from marketplace.extensions import db
from marketplace.households.models import Household, Person
from marketplace.needs import board
from marketplace.needs.lines import LineInput
from marketplace.needs.models import NeedStatus
from tests.marketplace.needs.factories import en, goods_id, make_need, service_id


@pytest.fixture
def published(app, homes):
    """Published needs in 吉首市 (normal, and an emergency), and drafts that must not show."""
    with en(app):
        jishou = db.session.get(Household, homes["jishou"])
        make_need(jishou, "published", summary="SECRET-NOTE-1")
        make_need(jishou, "published", urgency="emergency",
                  deadline=date.today() + timedelta(days=3),
                  lines=[LineInput("goods", "4", item_id=goods_id("winter_clothing"))])
        make_need(jishou, "reviewed", lines=[LineInput("goods", "7", item_id=goods_id("rice"))])
        make_need(db.session.get(Household, homes["furong"]), "draft",
                  lines=[LineInput("goods", "9", item_id=goods_id("milk_powder"))])
        db.session.commit()


def _rows(client, **params):
    response = client.get("/board", query_string=params, headers={"Accept-Language": "en"})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_board_is_public_and_shows_only_published_open_lines(client, published):
    html = _rows(client, per_page=100)
    assert html.count('data-testid="board-row"') == 4  # 3 lines + 1 emergency line
    assert "Winter clothing" in html and "Quilt" in html and "Home care" in html
    assert "Rice" not in html and "Milk powder" not in html  # not published
    assert "Jishou" in html or "吉首市" in html  # county-level place
    assert "SECRET-NOTE-1" not in html
    assert "433101001" not in html and "Qianzhou" not in html and "乾州" not in html


def test_board_never_shows_personal_data(app, client, published):
    with app.app_context():
        people = db.session.scalars(select(Person)).all()
        secrets = [p.name for p in people] + [p.id_number for p in people]
        secrets += [p.phone for p in people if p.phone]
        secrets += [p.id_number[-4:] + p.id_number[:4] for p in people]  # any masked form
        secrets += [h.address_detail for h in db.session.scalars(select(Household))
                    if h.address_detail]
        assert len(secrets) >= 7
    pages = [_rows(client, per_page=100), _rows(client, urgency="emergency"),
             _rows(client, sort="newest"), _rows(client, region="433100")]
    for html in pages:
        for secret in secrets:
            assert secret not in html
        for person in people:
            assert person.id_number[:4] + "*" not in html  # no masked ID numbers either
            if person.phone:
                assert person.phone[:3] + "*" not in html


@pytest.mark.parametrize("params, expected", [
    ({"kind": "goods"}, 2),
    ({"kind": "funds"}, 1),
    ({"kind": "services"}, 1),
    ({"category": "clothing"}, 2),
    ({"category": "medical"}, 1),
    ({"urgency": "emergency"}, 1),
    ({"urgency": "normal"}, 3),
    ({"region": "433100"}, 4),  # the prefecture
    ({"region": "433101"}, 4),  # the county
    ({"region": "433123"}, 0),
    ({"region": "430100"}, 0),
    ({"kind": "nonsense"}, 4),  # unknown filter values are ignored
])
def test_board_filters(client, published, params, expected):
    html = _rows(client, per_page=100, **params)
    assert html.count('data-testid="board-row"') == expected


def test_board_sorts(app, published):
    with app.app_context():
        by_deadline = [r.urgency for r in board.board_page(board.BoardFilter(), 1, 50, "en")[1]]
        assert by_deadline[0] == "emergency"  # deadline in 3 days comes first
        flt = board.BoardFilter(sort="newest")
        newest = board.board_page(flt, 1, 50, "en")[1]
        assert newest[0].item_name == "Winter clothing"  # published last
        urgency = board.board_page(board.BoardFilter(sort="urgency"), 1, 50, "en")[1]
        assert [r.urgency for r in urgency] == ["emergency", "normal", "normal", "normal"]


def test_board_paginates(client, published):
    first = _rows(client, per_page=3)
    second = _rows(client, per_page=3, page=2)
    assert first.count('data-testid="board-row"') == 3
    assert second.count('data-testid="board-row"') == 1
    assert "page=2" in first


def _count_queries(app, client, per_page: int) -> int:
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        html = _rows(client, per_page=per_page)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert html.count('data-testid="board-row"') == per_page
    return len(statements)


def test_queries_per_page_do_not_grow_with_page_size(app, client, homes, monkeypatch):
    from marketplace.regions import directory
    monkeypatch.setattr(directory._cache, "check_every", 3600)  # the region directory stays cached
    with en(app):
        household = db.session.get(Household, homes["jishou"])
        for number in range(18):
            make_need(household, "published", lines=[
                LineInput("funds", Decimal(100 + number), category="living"),
                LineInput("goods", "2", item_id=goods_id("quilt")),
                LineInput("services", "3", item_id=service_id("tutoring"))])
        db.session.commit()
    _rows(client, per_page=5)  # fills the region directory
    small = _count_queries(app, client, 5)
    large = _count_queries(app, client, 50)
    assert small == large
    assert large <= 3  # rows, capped count, coverage


def test_matched_lines_leave_the_board(app, client, homes):
    from marketplace.needs import services
    with en(app):
        need = make_need(db.session.get(Household, homes["jishou"]), "published")
        first = need.lines[0]
        services.refresh_match_status(None, need, covered={first.id: first.quantity})
        db.session.commit()
        assert need.status == NeedStatus.partially_matched
    html = _rows(client, per_page=100)
    assert html.count('data-testid="board-row"') == 2
