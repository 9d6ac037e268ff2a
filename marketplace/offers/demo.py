"""Demo supply: offers of every demo organisation and one active purchase contract.

Called at the end of ``marketplace.seed.seed_demo``; does nothing for data already there.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from marketplace.accounts.models import User
from marketplace.catalog.models import GoodsItem, ServiceType
from marketplace.catalog.vocab import LineKind
from marketplace.contracts.models import (
    Contract,
    ContractStatus,
    ContractStatusChange,
    TargetMetric,
)
from marketplace.contracts.services import (
    ContractData,
    LineData,
    build_contract,
    build_contract_offers,
)
from marketplace.extensions import db
from marketplace.offers.models import FundsSource, GoodsCondition, Offer
from marketplace.offers.services import OfferData, build_offer

CONTRACT_TITLE = "湘西州困难群众社会工作服务项目（2026）"


def _user(username: str) -> User | None:
    return db.session.scalar(select(User).where(User.username == username))


def _goods(code: str) -> int:
    return db.session.scalar(select(GoodsItem.id).where(GoodsItem.code == code))


def _service(code: str) -> int:
    return db.session.scalar(select(ServiceType.id).where(ServiceType.code == code))


def _offers(today: date) -> dict[str, list[OfferData]]:
    year = today + timedelta(days=365)
    return {
        "charity_staff": [
            OfferData(kind=LineKind.funds, capacity=Decimal("50000"), valid_from=today,
                      valid_until=year, categories=["medical", "education"],
                      regions=["430000"], funds_source=FundsSource.own_funds,
                      note="大病救助与助学专项"),
            OfferData(kind=LineKind.goods, capacity=Decimal("500"), valid_from=today,
                      valid_until=today + timedelta(days=120), goods_item_id=_goods("rice"),
                      pickup_region_code="430102", regions=["430000"],
                      expiry_date=today + timedelta(days=150), condition=GoodsCondition.new),
        ],
        "donor_staff": [
            OfferData(kind=LineKind.goods, capacity=Decimal("20"), valid_from=today,
                      valid_until=year, goods_item_id=_goods("wheelchair"),
                      pickup_region_code="430102", regions=["430100", "433100"],
                      condition=GoodsCondition.new, groups=["disabled"]),
            OfferData(kind=LineKind.funds, capacity=Decimal("20000"), valid_from=today,
                      valid_until=year, categories=["disability"], regions=["433100"],
                      funds_source=FundsSource.own_funds),
        ],
        "volunteer_staff": [
            OfferData(kind=LineKind.services, capacity=Decimal("200"), valid_from=today,
                      valid_until=year, service_type_id=_service("visiting"),
                      regions=["433123"], qualifications=["first_aid"]),
            OfferData(kind=LineKind.goods, capacity=Decimal("80"), valid_from=today,
                      valid_until=today + timedelta(days=90), goods_item_id=_goods("quilt"),
                      pickup_region_code="433123", condition=GoodsCondition.used),
        ],
        "provider_staff": [
            OfferData(kind=LineKind.services, capacity=Decimal("60"), valid_from=today,
                      valid_until=year, service_type_id=_service("counselling"),
                      regions=["433101"], qualifications=["counsellor", "social_worker"]),
        ],
    }


def seed_supply() -> None:
    """Offers of each demo organisation and an active contract of 湘西州 with 阳光社工.

    Built through the same checks as the pages, but without audit events: loading the demo
    is not something anybody did.
    """
    today = date.today()
    for username, offers in _offers(today).items():
        user = _user(username)
        if user is None or db.session.scalar(select(func.count(Offer.id)).where(
                Offer.organization_id == user.organization_id)):
            continue
        for data in offers:
            offer = build_offer(user.organization, data, publish=True)
            offer.created_by_id = user.id
            db.session.add(offer)
    officer, provider = _user("oversight_xx"), _user("provider_staff")
    if officer is None or provider is None or db.session.scalar(
            select(func.count(Contract.id)).where(Contract.title == CONTRACT_TITLE)):
        db.session.flush()
        return
    contract = build_contract(officer, ContractData(
        title=CONTRACT_TITLE, region_code="433100", provider_id=provider.organization_id,
        period_start=today - timedelta(days=30), period_end=today + timedelta(days=335),
        budget=Decimal("300000"),
        lines=[LineData(_service("home_care"), Decimal("45"), Decimal("2000")),
               LineData(_service("counselling"), Decimal("150"), Decimal("600")),
               LineData(_service("social_integration"), Decimal("100"), Decimal("500"))],
        targets={TargetMetric.hours_delivered: Decimal("2000"),
                 TargetMetric.households_served: Decimal("300"),
                 TargetMetric.satisfaction_rate: Decimal("90"),
                 TargetMetric.response_time_hours: Decimal("48")},
        note="民政局购买社会工作服务：照料护理、心理疏导、社会融入"))
    for before, after, note in ((ContractStatus.draft, ContractStatus.signed, "合同已签订"),
                                (ContractStatus.signed, ContractStatus.active, "项目启动")):
        contract.history.append(ContractStatusChange(from_status=before, to_status=after,
                                                     actor_id=officer.id, note=note))
    contract.status = ContractStatus.active
    db.session.add(contract)
    db.session.flush()
    db.session.add_all(build_contract_offers(contract, officer.id))
    db.session.flush()
