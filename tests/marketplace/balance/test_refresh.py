"""The summaries of the hand-computed fixture, through refresh() and the query functions."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import delete, func, select

from marketplace.allocations.models import Allocation, AllocationSource, AllocationStatus
from marketplace.balance import queries
from marketplace.balance.models import (
    BalanceCell,
    BalanceCountyNow,
    BalanceRegionMonth,
    BalanceState,
)
from marketplace.balance.queries import Period
from marketplace.balance.refresh import refresh
from marketplace.extensions import db
from tests.marketplace.balance.fixture import (
    CHANGSHA,
    FENGHUANG,
    FURONG,
    HUNAN,
    XIANGXI,
    build_balance_fixture,
)

PERIOD = Period(2026, 1, 3)


def close(value: Decimal | None, expected: Decimal | None) -> bool:
    if value is None or expected is None:
        return value is expected
    return abs(Decimal(value) - Decimal(expected)) < Decimal("0.0001")


@pytest.fixture
def built(app, demo):
    with app.app_context():
        fixture = build_balance_fixture()
        report = refresh(now=fixture["now"])
        fixture["report"] = report
    return fixture


def test_refresh_writes_one_generation_rolled_up(app, built):
    assert built["report"].generation == 1
    with app.app_context():
        state = db.session.get(BalanceState, 1)
        assert state.generation == 1 and state.refreshed_at == built["now"]
        levels = dict(db.session.execute(
            select(BalanceRegionMonth.region_code, BalanceRegionMonth.level)
            .where(BalanceRegionMonth.month == "2026-01")).all())
    assert levels == {FENGHUANG: "county", FURONG: "county", XIANGXI: "prefecture",
                      CHANGSHA: "prefecture", HUNAN: "province"}


def test_overview_of_the_province(app, built):
    expected = built["expected"]
    with app.app_context():
        figures = queries.overview(HUNAN, PERIOD)
    assert close(figures.coverage, expected["coverage"][HUNAN])
    assert figures.needs_published == 4 and figures.lines == 4
    assert figures.median_days == Decimal("13.5") and figures.needs_fulfilled == 2
    assert (figures.households, figures.persons) == (2, 5)
    assert figures.delivered == (Decimal(0), Decimal(4), Decimal(10))
    assert figures.delivered["hours"] == Decimal(10)
    assert figures.per_household.hours == Decimal(5)
    assert figures.per_capita.hours == Decimal(2)
    assert figures.per_capita.funds == Decimal(0)
    assert figures.overdue == (1, 0, 0)
    assert figures.priority == Decimal("6.6") and figures.covered_priority == Decimal("4.5")


@pytest.mark.parametrize("code", [FENGHUANG, FURONG, XIANGXI, CHANGSHA])
def test_coverage_of_counties_and_prefectures(app, built, code):
    with app.app_context():
        assert close(queries.overview(code, PERIOD).coverage, built["expected"]["coverage"][code])


def test_county_figures(app, built):
    with app.app_context():
        fenghuang = queries.overview(FENGHUANG, PERIOD)
        furong = queries.overview(FURONG, PERIOD)
    assert fenghuang.needs_published == 3 and fenghuang.median_days == Decimal(10)
    assert fenghuang.overdue.needs == 1 and furong.overdue.needs == 0
    assert (fenghuang.households, fenghuang.persons) == (1, 3)
    assert furong.median_days == Decimal(17) and furong.delivered.hours == Decimal(10)


def test_balance_gini_and_worst_county(app, built):
    with app.app_context():
        result = queries.balance(HUNAN, PERIOD)
        coverage = queries.county_coverage(HUNAN, PERIOD)
    assert close(result.gini, Decimal(3) / Decimal(26))
    assert (result.worst_code, result.worst_coverage) == (FENGHUANG, Decimal("0.625"))
    assert len(coverage) == 122  # every county, for the map
    assert coverage[FENGHUANG] == Decimal("0.625") and coverage[FURONG] == 1
    assert coverage["433101"] is None  # 吉首市: no needs


def test_balance_of_one_prefecture_has_one_county(app, built):
    with app.app_context():
        result = queries.balance(XIANGXI, PERIOD)
    assert result.gini is None and result.worst_code == FENGHUANG
    assert FURONG not in result.counties


def test_trend(app, built):
    with app.app_context():
        points = queries.trend(HUNAN, 2026)
    assert [p.month for p in points] == [f"2026-{m:02d}" for m in range(1, 13)]
    for point in points[:3]:
        coverage, g, worst, worst_coverage, published = built["expected"]["trend"][point.month]
        assert close(point.coverage, coverage) and close(point.gini, g)
        assert (point.worst_code, point.worst_coverage, point.needs_published) == (
            worst, worst_coverage, published)


def test_urban_rural(app, built):
    with app.app_context():
        split = queries.urban_rural(HUNAN, PERIOD)
    assert split["urban"].coverage == 1 and split["rural"].coverage == Decimal("0.625")
    assert split["urban"].overdue.needs == 0 and split["rural"].overdue.needs == 1


def test_children(app, built):
    with app.app_context():
        prefectures = queries.children(HUNAN, PERIOD)
        counties = queries.children(XIANGXI, PERIOD)
        none = queries.children(FENGHUANG, PERIOD)
    assert len(prefectures) == 14 and none == []
    by_code = {c.code: c for c in prefectures}
    assert by_code[XIANGXI].figures.coverage == Decimal("0.625")
    assert by_code[XIANGXI].is_urban is None and by_code["430200"].figures.coverage is None
    fenghuang = next(c for c in counties if c.code == FENGHUANG)
    assert fenghuang.name_zh == "凤凰县" and fenghuang.is_urban is False
    assert fenghuang.figures.overdue.needs == 1


def test_by_category_and_public_table(app, built):
    with app.app_context():
        categories = queries.by_category(HUNAN, PERIOD)
        rows = queries.public_table(PERIOD)
    assert [(c.kind, c.category, c.lines) for c in categories] == [
        ("funds", "living", 2), ("goods", "clothing", 1), ("services", "care", 1)]
    funds = categories[0]
    assert funds.requested == Decimal(1500) and funds.allocated == Decimal(600)
    assert close(funds.coverage, Decimal("0.9") / Decimal("3.0"))
    services = categories[2]
    assert services.delivered == Decimal(10) and services.delivered_value_cny == Decimal(500)
    assert [(r.county_code, r.kind, r.category) for r in rows] == [
        (FURONG, "services", "care"), (FENGHUANG, "funds", "living"),
        (FENGHUANG, "goods", "clothing")]


def test_a_period_without_data(app, built):
    with app.app_context():
        figures = queries.overview(HUNAN, Period(2025, 1, 12))
    assert figures.coverage is None and figures.median_days is None
    assert figures.per_household.hours is None and figures.overdue.needs == 1


def test_before_the_first_refresh(app):
    with app.app_context():
        assert queries.state() is None
        figures = queries.overview(HUNAN, PERIOD)
        assert figures.coverage is None and figures.lines == 0
        assert queries.trend(HUNAN, 2026)[0].coverage is None


def test_second_refresh_switches_generation_and_figures(app, built):
    with app.app_context():
        before = queries.overview(FENGHUANG, PERIOD)
        n4_line = db.session.scalar(
            select(Allocation).where(Allocation.id == built["allocations"]["A4"])).need_line_id
        a1 = db.session.get(Allocation, built["allocations"]["A1"])
        db.session.add(Allocation(offer_id=a1.offer_id, need_line_id=n4_line,
                                  quantity=Decimal("500"), status=AllocationStatus.pledged,
                                  source=AllocationSource.pledge,
                                  organization_id=a1.organization_id, region_code=FENGHUANG))
        report = refresh(now=datetime(2026, 4, 1, tzinfo=UTC))
        after = queries.overview(FENGHUANG, PERIOD)
        generations = {model: set(db.session.scalars(select(model.generation).distinct()))
                       for model in (BalanceCell, BalanceRegionMonth, BalanceCountyNow)}
    assert report.generation == 2
    assert before.coverage == Decimal("0.625")
    assert after.coverage == Decimal("5.0") / Decimal("5.6")  # (0.9 + 2.6 + 1.5) / 5.6
    assert all(g == {2} for g in generations.values())  # the old generation is gone


def test_query_results_are_cached_per_generation(app, built, monkeypatch):
    with app.app_context():
        first = queries.overview(HUNAN, PERIOD)
        calls = []
        monkeypatch.setattr(queries, "_figures",
                            lambda *a: calls.append(a) or first)
        assert queries.overview(HUNAN, PERIOD) is first
        assert calls == []  # served from the cache
        refresh(now=built["now"])
        queries.overview(HUNAN, PERIOD)
        assert len(calls) == 1  # a new generation: computed again


def test_china_month_boundary(app, demo):
    """A need published at 20:00 UTC on 31 January is a February need in China."""
    with app.app_context():
        fixture = build_balance_fixture()
        from marketplace.needs.models import Need

        need = db.session.get(Need, fixture["needs"]["N4"])
        need.published_at = datetime(2026, 1, 31, 20, 0, tzinfo=UTC)
        refresh(now=fixture["now"])
        counts = dict(db.session.execute(
            select(BalanceRegionMonth.month, BalanceRegionMonth.needs_published)
            .where(BalanceRegionMonth.region_code == FENGHUANG,
                   BalanceRegionMonth.month.in_(PERIOD.months))).all())
        total = db.session.scalar(select(func.count()).select_from(BalanceState))
    assert counts == {"2026-01": 1, "2026-02": 2} and total == 1


def test_refresh_today_uses_china_date(app, demo):
    """N4's deadline is 1 March: at 16:30 UTC on 1 March it is already 2 March in China."""
    with app.app_context():
        build_balance_fixture()
        refresh(now=datetime(2026, 3, 1, 15, 59, tzinfo=UTC))
        assert queries.overview(FENGHUANG, PERIOD).overdue.needs == 0
        refresh(now=datetime(2026, 3, 1, 16, 30, tzinfo=UTC))
        assert queries.overview(FENGHUANG, PERIOD).overdue.needs == 1


def test_cache_survives_no_emptied_database(app, built):
    """Generations restart at 1 on an emptied database and refresh times may repeat: the
    cache key is the refresh's own token, so new data are never hidden by old results."""
    with app.app_context():
        assert queries.overview(FENGHUANG, PERIOD).coverage == Decimal("0.625")
        for model in (BalanceCell, BalanceRegionMonth, BalanceCountyNow, BalanceState):
            db.session.execute(delete(model))
        a4 = db.session.get(Allocation, built["allocations"]["A4"])
        a4.status = AllocationStatus.accepted  # N4 now covered in full
        report = refresh(now=built["now"])
        assert report.generation == 1
        assert queries.overview(FENGHUANG, PERIOD).coverage == Decimal("5.0") / Decimal("5.6")
