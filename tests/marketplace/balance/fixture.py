"""The hand-computed fixture of the balance dashboard (plan-issue7.md §2), shared by the tests of
the balance summaries, the oversight pages and the activity generator.

``build_balance_fixture()`` (inside an app context, after the ``demo`` fixture) adds three
households, four needs, their lines, offers, allocations and deliveries, and returns the ids,
the period, the refresh time and the expected figures. It flushes but does not commit;
``balance.refresh(now=fixture["now"])`` commits.

- H1 [tekun] (weight 1.5, 2 persons) in 433123 凤凰县 (rural): N1 normal, published 2026-01-10,
  funds living 1000 CNY, 600 accepted, nothing delivered; N4 normal, published 2026-01-05,
  deadline 2026-03-01, funds living 500 CNY, only a declined allocation (counts 0).
- H2 [dibao] (1.3, 3 persons) in 凤凰县: N2 emergency, published 2026-02-03, goods 4 units,
  4 confirmed and delivered on 2026-02-10, fulfilled 2026-02-13 (10 days).
- H3 [] (1.0, 2 persons) in 430102 芙蓉区 (urban): N3 normal, published 2026-01-20, services
  10 h at 50 CNY, delivered 4 h on 01-25 and 6 h on 02-05, fulfilled 02-06 (17 days), closed.

Times are 10:00 China time (02:00 UTC). N3 is closed after its fulfilment (``fulfilled_at``
keeps the date).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.allocations.models import (
    Allocation,
    AllocationSource,
    AllocationStatus,
    Delivery,
    DeliveryStatus,
)
from marketplace.catalog.models import GoodsItem, ServiceType
from marketplace.catalog.vocab import LineKind
from marketplace.common.crypto import keyed_hash
from marketplace.extensions import db
from marketplace.households.models import Household, Person
from marketplace.needs.models import LineStatus, Need, NeedCause, NeedLine, NeedStatus, Urgency
from marketplace.offers.models import FundsSource, Offer, OfferStatus

FENGHUANG, FURONG = "433123", "430102"
XIANGXI, CHANGSHA, HUNAN = "433100", "430100", "430000"
#: The refresh time of the fixture ("as of").
NOW = datetime(2026, 3, 31, 12, 0, tzinfo=UTC)


def _at(day: date) -> datetime:
    """10:00 China time on ``day``."""
    return datetime(day.year, day.month, day.day, 2, 0, tzinfo=UTC)


def _user(username: str) -> User:
    return db.session.scalar(select(User).where(User.username == username))


#: The expected figures of the period 2026, months 1–3 (Decimal or None; approximations of
#: fractions are given as fractions in the comments).
EXPECTED: dict[str, Any] = {
    "priority": {"N1": Decimal("1.5"), "N2": Decimal("2.6"), "N3": Decimal("1.0"),
                 "N4": Decimal("1.5")},
    "coverage": {FENGHUANG: Decimal("0.625"), FURONG: Decimal(1),
                 HUNAN: Decimal(15) / Decimal(22),  # 4.5 / 6.6
                 XIANGXI: Decimal("0.625"), CHANGSHA: Decimal(1)},
    "urban_coverage": Decimal(1),
    "rural_coverage": Decimal("0.625"),
    "gini": Decimal(3) / Decimal(26),
    "worst": (FENGHUANG, Decimal("0.625")),
    # month: (coverage of the province, gini, worst county, worst coverage, needs published)
    "trend": {
        "2026-01": (Decimal("1.9") / Decimal("4.0"), Decimal(7) / Decimal(26), FENGHUANG,
                    Decimal("0.3"), 3),
        "2026-02": (Decimal(1), None, FENGHUANG, Decimal(1), 1),
        "2026-03": (None, None, None, None, 0),
    },
    "needs_published": 4,
    "lines": 4,
    "median_days": Decimal("13.5"),
    "needs_fulfilled": 2,
    "households": 2,
    "persons": 5,
    "delivered": {"funds": Decimal(0), "goods": Decimal(4), "hours": Decimal(10)},
    "hours_per_household": Decimal(5),
    "hours_per_capita": Decimal(2),
    # the services' value: 10 h × 50 CNY (the offer's unit price); goods have no price
    "delivered_value_cny": Decimal(500),
    "overdue": {"needs": 1, "acceptances": 0, "deliveries": 0},
}


def _household(county: str, groups: list[str], persons: int, serial: int) -> Household:
    household = Household(region_code=county, county_code=county, groups=groups,
                          created_by_id=_user("admin").id)
    for i in range(persons):
        id_number = f"{county}1980010{serial}{i:02d}1"[:17] + "X"
        household.members.append(Person(
            name=f"测试{serial}{i}", sex="female" if i % 2 else "male",
            birth_date=date(1980, 1, 1), relation="head" if i == 0 else "child",
            id_number=id_number, id_hash=keyed_hash(id_number)))
    db.session.add(household)
    return household


def _need(household: Household, caseworker: str, urgency: Urgency, published: date,
          deadline: date, status: NeedStatus, line: NeedLine,
          fulfilled: date | None = None) -> Need:
    need = Need(household=household, region_code=household.region_code,
                county_code=household.county_code, cause=NeedCause.other, urgency=urgency,
                deadline=deadline, status=status, created_by_id=_user(caseworker).id,
                published_at=_at(published), status_changed_at=_at(fulfilled or published),
                fulfilled_at=_at(fulfilled) if fulfilled else None)
    need.lines.append(line)
    db.session.add(need)
    return need


def build_balance_fixture() -> dict[str, Any]:
    """Add the fixture's rows (flushed, not committed) and return ids, period and expectations.

    Keys: ``now`` (the refresh time), ``period`` (year, first, last), ``households`` and
    ``needs`` (name → id), ``allocations`` (name → id), the region codes, and ``expected``
    (:data:`EXPECTED`).
    """
    quilt = db.session.scalar(select(GoodsItem).where(GoodsItem.code == "quilt"))
    care = db.session.scalar(select(ServiceType).where(ServiceType.code == "home_care"))
    org_id = _user("charity_staff").organization_id

    h1 = _household(FENGHUANG, ["tekun"], 2, 1)
    h2 = _household(FENGHUANG, ["dibao"], 3, 2)
    h3 = _household(FURONG, [], 2, 3)
    l1 = NeedLine(kind=LineKind.funds, category="living", quantity=Decimal("1000"), unit="CNY",
                  status=LineStatus.open)
    l2 = NeedLine(kind=LineKind.goods, category=quilt.category, goods_item_id=quilt.id,
                  quantity=Decimal("4"), unit=quilt.unit, status=LineStatus.covered)
    l3 = NeedLine(kind=LineKind.services, category=care.category, service_type_id=care.id,
                  quantity=Decimal("10"), unit=care.unit, status=LineStatus.covered)
    l4 = NeedLine(kind=LineKind.funds, category="living", quantity=Decimal("500"), unit="CNY",
                  status=LineStatus.open)
    n1 = _need(h1, "caseworker_fenghuang", Urgency.normal, date(2026, 1, 10), date(2026, 6, 30),
               NeedStatus.partially_matched, l1)
    n2 = _need(h2, "caseworker_fenghuang", Urgency.emergency, date(2026, 2, 3),
               date(2026, 2, 28), NeedStatus.fulfilled, l2, fulfilled=date(2026, 2, 13))
    n3 = _need(h3, "caseworker_furong", Urgency.normal, date(2026, 1, 20), date(2026, 3, 20),
               NeedStatus.closed, l3, fulfilled=date(2026, 2, 6))
    n4 = _need(h1, "caseworker_fenghuang", Urgency.normal, date(2026, 1, 5), date(2026, 3, 1),
               NeedStatus.published, l4)

    start = date(2026, 1, 1)
    funds = Offer(organization_id=org_id, kind=LineKind.funds, capacity=Decimal("5000"),
                  valid_from=start, status=OfferStatus.open, funds_source=FundsSource.own_funds)
    goods = Offer(organization_id=org_id, kind=LineKind.goods, category=quilt.category,
                  goods_item_id=quilt.id, capacity=Decimal("10"), valid_from=start,
                  status=OfferStatus.open)
    services = Offer(organization_id=org_id, kind=LineKind.services, category=care.category,
                     service_type_id=care.id, capacity=Decimal("40"), valid_from=start,
                     unit_price=Decimal("50"), status=OfferStatus.open)
    db.session.add_all([funds, goods, services])
    db.session.flush()

    def allocate(offer: Offer, line: NeedLine, need: Need, quantity: str,
                 status: AllocationStatus) -> Allocation:
        allocation = Allocation(offer_id=offer.id, need_line_id=line.id,
                                quantity=Decimal(quantity), status=status,
                                source=AllocationSource.pledge, organization_id=org_id,
                                region_code=need.region_code)
        db.session.add(allocation)
        return allocation

    a1 = allocate(funds, l1, n1, "600", AllocationStatus.accepted)
    a2 = allocate(goods, l2, n2, "4", AllocationStatus.confirmed)
    a3 = allocate(services, l3, n3, "10", AllocationStatus.confirmed)
    a4 = allocate(funds, l4, n4, "500", AllocationStatus.declined)
    db.session.flush()
    for allocation, day, quantity in ((a2, date(2026, 2, 10), "4"),
                                      (a3, date(2026, 1, 25), "4"),
                                      (a3, date(2026, 2, 5), "6")):
        db.session.add(Delivery(allocation_id=allocation.id, delivered_on=day,
                                quantity=Decimal(quantity), status=DeliveryStatus.confirmed,
                                organization_id=org_id, region_code=allocation.region_code,
                                confirmed_at=_at(day)))
    db.session.flush()
    return {
        "now": NOW,
        "period": (2026, 1, 3),
        "province": HUNAN, "prefectures": (CHANGSHA, XIANGXI), "counties": (FURONG, FENGHUANG),
        "households": {"H1": h1.id, "H2": h2.id, "H3": h3.id},
        "needs": {"N1": n1.id, "N2": n2.id, "N3": n3.id, "N4": n4.id},
        "allocations": {"A1": a1.id, "A2": a2.id, "A3": a3.id, "A4": a4.id},
        "offers": {"funds": funds.id, "goods": goods.id, "services": services.id},
        "expected": EXPECTED,
    }
