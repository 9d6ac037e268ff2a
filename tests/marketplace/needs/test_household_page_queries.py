"""The household page with its needs panel runs a small, fixed number of queries."""

from __future__ import annotations

from marketplace.extensions import db
from marketplace.households.models import Household
from marketplace.needs import limits
from marketplace.regions import directory
from tests.marketplace.needs.factories import en, make_need
from tests.marketplace.querycount import counted


def _queries(app, client, url: str) -> list[str]:
    with counted(app) as statements:
        response = client.get(url)
    assert response.status_code == 200
    return statements


def test_household_page_queries_do_not_grow_with_needs(app, login, homes, monkeypatch):
    for cached in (directory._cache, limits._cache):  # warm caches are not checked again here
        monkeypatch.setattr(cached, "check_every", 3600)
    with en(app):
        make_need(db.session.get(Household, homes["jishou2"]), "published")
        jishou = db.session.get(Household, homes["jishou"])
        for status in ("published", "submitted", "draft", "published"):
            make_need(jishou, status)
        db.session.commit()
    c = login("caseworker_jishou")
    c.get(f"/households/{homes['jishou2']}")
    small = _queries(app, c, f"/households/{homes['jishou2']}")
    large = _queries(app, c, f"/households/{homes['jishou']}")
    assert len(large) == len(small), "\n".join(large)
    # user, household with its place and members (one query), assessments with cases (one
    # query), needs with their lines, the needs' timelines with the household's history and
    # the officers' names (one query); the county and the stage limits come from the
    # per-process caches
    assert len(large) == 5, "\n".join(large)
    assert sum("audit_events" in s for s in large) == 1, "\n".join(large)


def test_household_page_without_waiting_needs_loads_no_stage_limits(app, login, homes):
    c = login("caseworker_jishou")
    statements = _queries(app, c, f"/households/{homes['jishou2']}")
    assert not any("stage_limits" in s for s in statements)


def test_labels_translated_once_per_language_follow_each_reader(app, login, homes):
    with en(app):
        make_need(db.session.get(Household, homes["jishou"]), "published")
        db.session.commit()
    c = login("caseworker_jishou")
    url = f"/households/{homes['jishou']}"
    for _ in range(2):  # the second round reads the labels cached by the first
        zh = c.get(url, headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
        english = c.get(url, headers={"Accept-Language": "en"}).get_data(as_text=True)
        assert "户主" in zh and "资金" in zh and "已发布" in zh
        assert ">Head<" in english and "Funds" in english and "Published" in english
        assert "户主" not in english and "资金" not in english
        board_zh = c.get("/board", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
        board_en = c.get("/board", headers={"Accept-Language": "en"}).get_data(as_text=True)
        assert "资金" in board_zh and "Funds" not in board_zh
        assert "Funds" in board_en and "资金" not in board_en
