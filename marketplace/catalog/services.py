"""Reading and seeding the catalogues."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from marketplace.catalog.models import GoodsItem, ServiceType
from marketplace.extensions import db

#: Default goods (code, Chinese, English, unit, category, perishable).
DEFAULT_GOODS = [
    ("rice", "大米", "Rice", "kg", "food", True),
    ("cooking_oil", "食用油", "Cooking oil", "litre", "food", True),
    ("quilt", "棉被", "Quilt", "piece", "clothing", False),
    ("winter_clothing", "冬衣", "Winter clothing", "set", "clothing", False),
    ("wheelchair", "轮椅", "Wheelchair", "piece", "disability", False),
    ("hearing_aid", "助听器", "Hearing aid", "piece", "disability", False),
    ("school_kit", "学习用品包", "School kit", "set", "education", False),
    ("milk_powder", "奶粉", "Milk powder", "can", "food", True),
]

#: Default service types (code, Chinese, English, unit, category, qualifications, price).
DEFAULT_SERVICES = [
    ("home_care", "照料护理", "Home care", "hour", "care", ["care_worker"], "45"),
    ("rehabilitation", "康复训练", "Rehabilitation", "session", "disability",
     ["rehab_therapist"], "120"),
    ("counselling", "心理疏导", "Psychological counselling", "session", "psychological",
     ["counsellor"], "150"),
    ("tutoring", "课业辅导", "Tutoring", "hour", "education", ["teacher"], "60"),
    ("employment_help", "就业帮扶", "Employment help", "session", "employment",
     ["social_worker"], "100"),
    ("social_integration", "社会融入", "Social integration", "session", "social",
     ["social_worker"], "100"),
    ("medical_escort", "送医陪护", "Medical escort", "hour", "medical", ["first_aid"], "50"),
    ("visiting", "巡访探视", "Home visits", "session", "care", [], "40"),
    ("resource_linking", "资源链接", "Resource linking", "session", "social",
     ["social_worker"], "80"),
    ("capacity_building", "能力提升", "Capacity building", "session", "employment",
     ["social_worker"], "100"),
]


def seed_catalogues() -> None:
    """Insert the default goods items and service types that are not there yet."""
    goods = set(db.session.scalars(select(GoodsItem.code)))
    for code, zh, en, unit, category, perishable in DEFAULT_GOODS:
        if code not in goods:
            db.session.add(GoodsItem(code=code, name_zh=zh, name_en=en, unit=unit,
                                     category=category, perishable=perishable))
    services = set(db.session.scalars(select(ServiceType.code)))
    for code, zh, en, unit, category, quals, price in DEFAULT_SERVICES:
        if code not in services:
            db.session.add(ServiceType(code=code, name_zh=zh, name_en=en, unit=unit,
                                       category=category, qualifications=quals,
                                       reference_price=Decimal(price)))
    db.session.flush()


def active_goods() -> list[GoodsItem]:
    return list(db.session.scalars(
        select(GoodsItem).where(GoodsItem.active.is_(True)).order_by(GoodsItem.id)))


def active_service_types() -> list[ServiceType]:
    return list(db.session.scalars(
        select(ServiceType).where(ServiceType.active.is_(True)).order_by(ServiceType.id)))
