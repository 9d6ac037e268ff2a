"""The default catalogues are seeded once and carry what offers and needs rely on."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from marketplace.catalog.models import GoodsItem, ServiceType
from marketplace.catalog.services import active_service_types, seed_catalogues
from marketplace.catalog.vocab import CATEGORIES, QUALIFICATIONS
from marketplace.extensions import db


def test_seed_is_idempotent_and_consistent(app):
    with app.app_context():
        seed_catalogues()
        seed_catalogues()
        assert db.session.scalar(select(func.count(GoodsItem.id))) == 8
        services = active_service_types()
        assert len(services) == 10
        for service in services:
            assert service.category in CATEGORIES
            assert set(service.qualifications) <= set(QUALIFICATIONS)
            assert service.reference_price > Decimal("0")
        care = db.session.scalar(select(ServiceType).where(ServiceType.code == "home_care"))
        assert care.name_zh == "照料护理" and care.unit == "hour"


def test_units_are_shown_in_the_readers_language(client, demo):
    chinese = client.get("/board").get_data(as_text=True)
    english = client.get("/board", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "千克" in chinese or "小时" in chinese
    assert ">hour<" not in chinese and " hour<" not in chinese
    assert "hour" in english or "kg" in english
