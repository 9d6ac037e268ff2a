"""What counts and what does not (docs/oversight.md), beyond the shared fixture."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from marketplace.allocations.models import (
    Allocation,
    AllocationSource,
    AllocationStatus,
    Delivery,
    DeliveryStatus,
)
from marketplace.balance import queries
from marketplace.balance.queries import Period
from marketplace.balance.refresh import refresh
from marketplace.extensions import db
from marketplace.needs.models import LineStatus, Need, NeedLine, NeedStatus
from tests.marketplace.balance.fixture import FENGHUANG, FURONG, HUNAN, build_balance_fixture

PERIOD = Period(2026, 1, 3)


@pytest.fixture
def fixture(app, demo):
    with app.app_context():
        built = build_balance_fixture()
        db.session.commit()
    return built


def _line_of(need_id: int) -> NeedLine:
    return db.session.get(Need, need_id).lines[0]


def _allocation(line: NeedLine, offer_id: int, quantity: str, status: AllocationStatus,
                **values) -> Allocation:
    allocation = Allocation(offer_id=offer_id, need_line_id=line.id, quantity=Decimal(quantity),
                            status=status, source=AllocationSource.matching,
                            organization_id=_org(),
                            region_code=line.need.region_code, **values)
    db.session.add(allocation)
    db.session.flush()
    return allocation


def _org() -> int:
    return db.session.scalars(db.select(Allocation.organization_id)).first()


def test_withdrawn_needs_and_cancelled_lines_do_not_count(app, fixture):
    with app.app_context():
        db.session.get(Need, fixture["needs"]["N4"]).status = NeedStatus.withdrawn
        _line_of(fixture["needs"]["N1"]).status = LineStatus.cancelled
        refresh(now=fixture["now"])
        figures = queries.overview(FENGHUANG, PERIOD)
    # only N2 is left in 凤凰县: fully covered
    assert figures.needs_published == 2 and figures.lines == 1
    assert figures.coverage == 1 and figures.priority == Decimal("2.6")


def test_over_allocation_is_capped_at_the_line(app, fixture):
    with app.app_context():
        line = _line_of(fixture["needs"]["N1"])
        _allocation(line, fixture["offers"]["funds"], "900", AllocationStatus.pledged)
        refresh(now=fixture["now"])
        figures = queries.overview(FENGHUANG, PERIOD)
        funds = queries.by_category(FENGHUANG, PERIOD)[0]
    assert figures.coverage == Decimal("4.1") / Decimal("5.6")  # N1 counts 1.5, not 1.5 × 1.5
    assert funds.allocated == Decimal(1000)


def test_problem_deliveries_do_not_count(app, fixture):
    with app.app_context():
        delivery = db.session.scalars(db.select(Delivery).where(
            Delivery.allocation_id == fixture["allocations"]["A2"])).one()
        delivery.status = DeliveryStatus.problem
        refresh(now=fixture["now"])
        figures = queries.overview(HUNAN, PERIOD)
    assert figures.delivered.goods == 0
    assert (figures.households, figures.persons) == (1, 2)  # H3 only


def test_first_delivery_of_the_year_counts_the_household_once(app, fixture):
    with app.app_context():
        a3 = db.session.get(Allocation, fixture["allocations"]["A3"])
        db.session.add(Delivery(allocation_id=a3.id, delivered_on=date(2026, 3, 2),
                                quantity=Decimal(1), status=DeliveryStatus.recorded,
                                organization_id=a3.organization_id, region_code=FURONG))
        db.session.add(Delivery(allocation_id=a3.id, delivered_on=date(2025, 12, 30),
                                quantity=Decimal(1), status=DeliveryStatus.recorded,
                                organization_id=a3.organization_id, region_code=FURONG))
        refresh(now=fixture["now"])
        january = queries.overview(FURONG, Period(2026, 1, 1))
        march = queries.overview(FURONG, Period(2026, 3, 3))
        last_year = queries.overview(FURONG, Period(2025, 12, 12))
        quarter = queries.overview(FURONG, PERIOD)
    assert (january.households, march.households, last_year.households) == (1, 0, 1)
    assert quarter.households == 1 and quarter.delivered.hours == Decimal(11)
    assert march.per_household.hours is None  # delivered 1 h, but nobody newly assisted


def test_overdue_acceptances_and_deliveries(app, fixture):
    now = fixture["now"]
    with app.app_context():
        n1_line = _line_of(fixture["needs"]["N1"])
        n4_line = _line_of(fixture["needs"]["N4"])
        n4_line.window_end = date(2026, 3, 20)
        _allocation(n1_line, fixture["offers"]["funds"], "100", AllocationStatus.proposed,
                    respond_by=now - timedelta(hours=1))
        _allocation(n1_line, fixture["offers"]["funds"], "100", AllocationStatus.proposed,
                    respond_by=now + timedelta(hours=1))  # not yet
        _allocation(n4_line, fixture["offers"]["funds"], "100", AllocationStatus.accepted)
        refresh(now=now)
        figures = queries.overview(FENGHUANG, PERIOD)
        province = queries.overview(HUNAN, PERIOD)
        # the accepted one on N1 (deadline 30 June) is not late; N4's window ended 20 March
    assert figures.overdue == (1, 1, 1) and province.overdue == (1, 1, 1)
    assert queries.Overdue(1, 1, 1).acceptances == 1


def test_refresh_after_refresh_in_one_request_sees_the_new_generation(app, fixture):
    with app.app_context():
        refresh(now=fixture["now"])
        assert queries.state().generation == 1
        refresh(now=datetime(2026, 4, 1, tzinfo=UTC))
        assert queries.state().generation == 2
