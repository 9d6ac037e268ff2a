"""Catalogue editing: oversight officers keep the service catalogue, administrators the goods
catalogue; bad input saves nothing; items in use are deactivated instead of deleted."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import Column, ForeignKey, Integer, Table, insert, select

from marketplace.audit.models import AuditEvent
from marketplace.catalog.editing import references
from marketplace.catalog.models import GoodsItem, ServiceType
from marketplace.common.models import Base
from marketplace.extensions import db

EN = {"Accept-Language": "en"}
ACCOUNTS = {
    "admin": "admin",
    "oversight": "oversight_xx",
    "reviewer": "reviewer_jishou",
    "caseworker": "caseworker_fenghuang",
    "provider_staff": "provider_staff",
}
EVERYONE = set(ACCOUNTS)


def _id(app, model, code):
    with app.app_context():
        return db.session.scalar(select(model.id).where(model.code == code))


#: (method, url, roles allowed); ``{s}`` is the home_care service type, ``{g}`` the quilt.
URLS = [
    ("GET", "/catalog/services", EVERYONE),
    ("GET", "/catalog/goods", EVERYONE),
    ("GET", "/catalog/services/new", {"oversight"}),
    ("GET", "/catalog/services/{s}/edit", {"oversight"}),
    ("POST", "/catalog/services/{s}/active", {"oversight"}),
    ("POST", "/catalog/services/{s}/delete", {"oversight"}),
    ("GET", "/catalog/goods/new", {"admin"}),
    ("GET", "/catalog/goods/{g}/edit", {"admin"}),
    ("POST", "/catalog/goods/{g}/active", {"admin"}),
    ("POST", "/catalog/goods/{g}/delete", {"admin"}),
]


def _url(app, url):
    return url.format(s=_id(app, ServiceType, "home_care"), g=_id(app, GoodsItem, "quilt"))


@pytest.mark.parametrize("role", sorted(ACCOUNTS))
def test_role_rules(app, login, role):
    c = login(ACCOUNTS[role])  # one sign-in per role, every URL checked with it
    for method, url, allowed in URLS:
        url = _url(app, url)
        response = c.get(url) if method == "GET" else c.post(url, {})
        if role in allowed:
            assert response.status_code in (200, 302), (method, url)
            continue
        assert response.status_code == 403, (method, url)
        with app.app_context():  # a refused POST changed nothing
            assert db.session.get(ServiceType, _id(app, ServiceType, "home_care")).active
            assert db.session.get(GoodsItem, _id(app, GoodsItem, "quilt")).active


def test_anonymous_users_are_sent_to_sign_in(app, client, demo):
    for method, url, _allowed in URLS:
        url = _url(app, url)
        response = client.get(url) if method == "GET" else client.post(url, {})
        assert response.status_code == 302 and "/login" in response.headers["Location"], url


def test_unknown_items_are_not_found(login):
    assert login("oversight_xx").get("/catalog/services/999999/edit").status_code == 404
    assert login("admin").post("/catalog/goods/999999/delete", {}).status_code == 404


SERVICE = {"code": "respite_care", "name_zh": "喘息服务", "name_en": "Respite care",
           "category": "care", "unit": "hour", "qualifications": ["care_worker", "nurse"],
           "reference_price": "55.50"}


def test_oversight_officer_adds_and_edits_a_service_type(app, login):
    officer = login("oversight_xx")
    assert officer.post("/catalog/services/new", SERVICE).status_code == 302
    with app.app_context():
        item = db.session.scalar(select(ServiceType).where(ServiceType.code == "respite_care"))
        assert item.reference_price == Decimal("55.50")
        assert item.qualifications == ["nurse", "care_worker"]
        item_id = item.id
    edit = {**SERVICE, "code": "ignored", "reference_price": "60", "qualifications": ["nurse"]}
    assert officer.post(f"/catalog/services/{item_id}/edit", edit).status_code == 302
    with app.app_context():
        item = db.session.get(ServiceType, item_id)
        assert item.code == "respite_care"  # codes never change
        assert item.reference_price == Decimal("60.00") and item.qualifications == ["nurse"]
        events = list(db.session.scalars(select(AuditEvent).where(
            AuditEvent.object_type == "service_types").order_by(AuditEvent.id)))
        assert [e.action for e in events] == ["catalog.create_service_type",
                                              "catalog.update_service_type"]
        assert events[1].before == {"reference_price": "55.50",
                                    "qualifications": ["nurse", "care_worker"]}
    listing = officer.get("/catalog/services", headers=EN).get_data(as_text=True)
    assert "Respite care" in listing and "60.00" in listing


@pytest.mark.parametrize("overrides, message", [
    ({"code": "Bad Code"}, "lower-case letters"),
    ({"code": "home_care"}, "This code is already in the catalogue."),
    ({"reference_price": "-5"}, "The reference price cannot be negative."),
    ({"reference_price": "abc"}, "Not a valid decimal value."),
    ({"unit": "day"}, "Not a valid choice"),
    ({"category": "weapons"}, "Not a valid choice"),
    ({"qualifications": ["pilot"]}, "Unknown qualification."),
    ({"name_en": ""}, "This field is required."),
])
def test_bad_service_types_save_nothing(app, login, overrides, message):
    response = login("oversight_xx").post("/catalog/services/new", {**SERVICE, **overrides},
                                          headers=EN)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(ServiceType).where(
            ServiceType.name_zh == "喘息服务")) is None


def test_admin_adds_a_goods_item(app, login):
    response = login("admin").post("/catalog/goods/new", {
        "code": "rice_cooker", "name_zh": "电饭煲", "name_en": "Rice cooker",
        "category": "living", "unit": "piece"})
    assert response.status_code == 302
    with app.app_context():
        item = db.session.scalar(select(GoodsItem).where(GoodsItem.code == "rice_cooker"))
        assert item.unit == "piece" and not item.perishable and item.active


def test_unused_items_can_be_deleted(app, login):
    admin = login("admin")
    admin.post("/catalog/goods/new", {"code": "fan", "name_zh": "电扇", "name_en": "Fan",
                                      "category": "living", "unit": "piece"})
    item_id = _id(app, GoodsItem, "fan")
    assert admin.post(f"/catalog/goods/{item_id}/delete", {}).status_code == 302
    with app.app_context():
        assert db.session.get(GoodsItem, item_id) is None
        assert db.session.scalar(select(AuditEvent.action).where(
            AuditEvent.object_type == "goods_items", AuditEvent.object_id == str(item_id))
            .order_by(AuditEvent.id.desc())) == "catalog.delete_goods_item"


@pytest.fixture
def referring_table(app):
    """A stand-in for another area's table pointing at service types (offers, need lines…).

    Created and dropped around the test and removed from the metadata, so the real schema
    and the migration check are untouched.
    """
    table = Table("zz_test_service_refs", Base.metadata,
                  Column("id", Integer, primary_key=True),
                  Column("service_type_id", ForeignKey("service_types.id")))
    with app.app_context():
        table.create(db.engine)
    yield table
    with app.app_context():
        db.session.remove()
        table.drop(db.engine)
    Base.metadata.remove(table)


def test_items_in_use_are_deactivated_not_deleted(app, login, referring_table):
    officer = login("oversight_xx")
    officer.post("/catalog/services/new", SERVICE)
    item_id = _id(app, ServiceType, "respite_care")
    with app.app_context():
        db.session.execute(insert(referring_table).values(service_type_id=item_id))
        db.session.commit()
        assert references(db.session.get(ServiceType, item_id)) == 1
    response = officer.post(f"/catalog/services/{item_id}/delete", {}, headers=EN,
                            follow_redirects=True)
    assert "cannot be deleted. Deactivate it instead." in response.get_data(as_text=True)
    assert officer.post(f"/catalog/services/{item_id}/active", {"active": "0"}).status_code == 302
    with app.app_context():
        item = db.session.get(ServiceType, item_id)
        assert item is not None and not item.active
        from marketplace.catalog.services import active_service_types
        assert item not in active_service_types()
        db.session.execute(referring_table.delete())
        db.session.commit()
    officer.post(f"/catalog/services/{item_id}/active", {"active": "1"})
    with app.app_context():
        assert db.session.get(ServiceType, item_id).active


def test_service_types_of_real_offers_and_contracts_are_not_deleted(app, login):
    item_id = _id(app, ServiceType, "counselling")  # the demo supply offers and buys it
    with app.app_context():
        assert references(db.session.get(ServiceType, item_id)) > 0
    login("oversight_xx").post(f"/catalog/services/{item_id}/delete", {})
    with app.app_context():
        assert db.session.get(ServiceType, item_id) is not None
