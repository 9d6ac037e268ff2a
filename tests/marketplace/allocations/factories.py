"""Builders for supply tests: offers, contracts and need lines to pledge to.

Only ``make_line`` knows the households/needs models; everything else goes through services.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.catalog.models import GoodsItem, ServiceType
from marketplace.catalog.vocab import LineKind
from marketplace.contracts.models import ContractStatus
from marketplace.contracts.services import ContractData, LineData, create_contract, transition
from marketplace.extensions import db
from marketplace.households.models import Household
from marketplace.needs.models import Need, NeedCause, NeedLine
from marketplace.offers.models import FundsSource
from marketplace.offers.services import OfferData, create_offer

TODAY = date.today()


def user(username: str) -> User:
    return db.session.scalar(select(User).where(User.username == username))


def goods_id(code: str) -> int:
    return db.session.scalar(select(GoodsItem.id).where(GoodsItem.code == code))


def service_id(code: str) -> int:
    return db.session.scalar(select(ServiceType.id).where(ServiceType.code == code))


def funds_data(**kw) -> OfferData:
    values = dict(kind=LineKind.funds, capacity=Decimal("1000"), valid_from=TODAY,
                  valid_until=TODAY + timedelta(days=90), funds_source=FundsSource.own_funds)
    values.update(kw)
    return OfferData(**values)


def goods_data(**kw) -> OfferData:
    values = dict(kind=LineKind.goods, capacity=Decimal("10"), valid_from=TODAY,
                  goods_item_id=goods_id("wheelchair"), pickup_region_code="433101")
    values.update(kw)
    return OfferData(**values)


def service_data(**kw) -> OfferData:
    values = dict(kind=LineKind.services, capacity=Decimal("40"), valid_from=TODAY,
                  valid_until=TODAY + timedelta(days=90), service_type_id=service_id("home_care"),
                  regions=["433100"], qualifications=["care_worker"])
    values.update(kw)
    return OfferData(**values)


def offer(username: str, data: OfferData, publish: bool = True):
    return create_offer(user(username), data, publish=publish)


def contract_data(**kw) -> ContractData:
    values = dict(title="测试项目", region_code="433100",
                  provider_id=user("volunteer_staff").organization_id,
                  period_start=TODAY - timedelta(days=10), period_end=TODAY + timedelta(days=200),
                  budget=Decimal("10000"),
                  lines=[LineData(service_id("home_care"), Decimal("50"), Decimal("100")),
                         LineData(service_id("counselling"), Decimal("100"), Decimal("50"))])
    values.update(kw)
    return ContractData(**values)


def active_contract(officer: str = "oversight_xx", **kw):
    actor = user(officer)
    contract = create_contract(actor, contract_data(**kw))
    transition(actor, contract, ContractStatus.signed)
    transition(actor, contract, ContractStatus.active)
    return contract


def make_line(kind: LineKind = LineKind.services, category: str = "care",
              quantity: str | Decimal = "20", region_code: str = "433101001",
              groups: tuple[str, ...] = (), requires: tuple[str, ...] = (),
              goods_item_id: int | None = None, service_type_id: int | None = None,
              need_status: str = "published") -> NeedLine:
    """A household with one published need of one line (the needs area's models)."""
    household = Household(region_code=region_code, county_code=region_code[:6],
                          groups=list(groups))
    db.session.add(household)
    db.session.flush()
    need = Need(household_id=household.id, region_code=region_code,
                county_code=region_code[:6], status=need_status, cause=NeedCause.other,
                deadline=TODAY + timedelta(days=30), created_by_id=user("caseworker_jishou").id)
    db.session.add(need)
    db.session.flush()
    if kind == LineKind.services and service_type_id is None:
        service_type_id = service_id("home_care")
    unit = "CNY" if kind == LineKind.funds else ""
    line = NeedLine(need_id=need.id, kind=kind, category=category, quantity=Decimal(quantity),
                    unit=unit, requires=list(requires), goods_item_id=goods_item_id,
                    service_type_id=service_type_id)
    db.session.add(line)
    db.session.flush()
    return line


def en(app):
    """An app context whose messages are in English (a request with Accept-Language: en)."""
    return app.test_request_context(headers={"Accept-Language": "en"})


def proposed(made, line: NeedLine, quantity: str = "4", hours: float = 24,
             run_id: int | None = None):
    """An allocation the optimiser proposed (what the runs area's commit creates)."""
    from datetime import UTC, datetime

    from marketplace.allocations.models import Allocation, AllocationSource, AllocationStatus
    from marketplace.needs.services import refresh_match_status

    allocation = Allocation(
        offer_id=made.id, need_line_id=line.id, quantity=Decimal(quantity),
        status=AllocationStatus.proposed, source=AllocationSource.matching,
        organization_id=made.organization_id, region_code=line.need.region_code,
        run_id=run_id, respond_by=datetime.now(UTC) + timedelta(hours=hours))
    db.session.add(allocation)
    db.session.flush()
    refresh_match_status(None, line.need)
    return allocation
