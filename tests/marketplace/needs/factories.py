"""Helpers of the needs tests: households with known people, and needs at any stage."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.catalog.models import GoodsItem, ServiceType
from marketplace.common.crypto import keyed_hash
from marketplace.extensions import db
from marketplace.households.models import Household, Person
from marketplace.needs import services
from marketplace.needs.lines import LineInput
from marketplace.needs.models import Need
from marketplace.needs.services import NeedInput

#: key: (region, [(name, id number, phone)]) — real check digits, invented people.
HOUSEHOLDS = {
    "jishou": ("433101001", [("彭秀英", "433101198503120028", "13974300001"),
                             ("彭小军", "433101201005150013", "13974300002"),
                             ("张桂兰", "43310119550101002X", "13974300003")]),
    "jishou2": ("433101001", [("田大山", "433101197001010019", "13974300004")]),
    "fenghuang": ("433123101", [("吴老三", "433123196506060016", "13974300005"),
                                ("吴小妹", "433123201208080024", "13974300006")]),
    "furong": ("430102001", [("刘建华", "430102197711110035", "13974300007")]),
}


def user(username: str) -> User:
    return db.session.scalar(select(User).where(User.username == username))


def goods_id(code: str) -> int:
    return db.session.scalar(select(GoodsItem.id).where(GoodsItem.code == code))


def service_id(code: str) -> int:
    return db.session.scalar(select(ServiceType.id).where(ServiceType.code == code))


def add_household(key: str) -> Household:
    region, people = HOUSEHOLDS[key]
    household = Household(region_code=region, county_code=region[:6], groups=["dibao"],
                          address_detail="某某路 1 号", created_by_id=user("admin").id)
    for index, (name, id_number, phone) in enumerate(people):
        household.members.append(Person(
            name=name, sex="female" if int(id_number[16]) % 2 == 0 else "male",
            birth_date=date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14])),
            relation="head" if index == 0 else "child", id_number=id_number,
            id_hash=keyed_hash(id_number), phone=phone))
    db.session.add(household)
    db.session.flush()
    return household


def default_lines() -> list[LineInput]:
    return [LineInput("funds", Decimal("2000"), category="medical"),
            LineInput("goods", Decimal("2"), item_id=goods_id("quilt")),
            LineInput("services", Decimal("6"), item_id=service_id("home_care"))]


def need_input(**kwargs) -> NeedInput:
    values = {"cause": "illness", "urgency": "normal",
              "deadline": date.today() + timedelta(days=30), "lines": default_lines()}
    values.update(kwargs)
    return NeedInput(**values)


CHAIN = ["submitted", "reviewed", "approved", "published"]
COUNTY = {"433101": ("caseworker_jishou", "reviewer_qianzhou", "reviewer_jishou"),
          "430102": ("caseworker_furong", "reviewer_furong", "reviewer_furong"),
          "433123": ("caseworker_fenghuang", None, None)}


def make_need(household: Household, status: str = "draft", **kwargs) -> Need:
    """A need of ``household`` taken through the real workflow up to ``status``."""
    caseworker, township, county = COUNTY[household.county_code]
    need = services.create_need(user(caseworker), household, need_input(**kwargs))
    if status == "draft":
        return need
    services.submit(user(caseworker), need)
    if status == "returned":
        services.return_need(user(township), need, "missing papers")
        return need
    steps = {"reviewed": lambda: services.review(user(township), need),
             "approved": lambda: services.approve(user(county), need),
             "published": lambda: services.publish(user(county), need)}
    for step in CHAIN[1:CHAIN.index(status) + 1]:
        steps[step]()
    return need


def en(app):
    """A request context in English, so service messages can be matched in tests."""
    return app.test_request_context("/", headers={"Accept-Language": "en"})
