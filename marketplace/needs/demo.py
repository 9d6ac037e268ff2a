"""Demo needs: a few in each demo county at various stages, some published, one emergency.

Every step goes through the real services with the demo account that may take it, so the
history, the checks and the board are the same as for needs entered in the browser. Where the
demo has no reviewer for a step (凤凰县 has none), the needs stay at the step before it, and the
emergency fast path publishes without review as the rules allow (R3.2).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from itertools import cycle

from sqlalchemy import func, select

from marketplace.accounts.models import User
from marketplace.catalog.models import GoodsItem, ServiceType
from marketplace.common.access import in_scope
from marketplace.extensions import db
from marketplace.households.models import Household
from marketplace.needs import emergency, services
from marketplace.needs.lines import LineInput
from marketplace.needs.models import Need
from marketplace.needs.services import NeedInput
from marketplace.needs.standards import advance_limit


def _user(username: str) -> User | None:
    return db.session.scalar(select(User).where(User.username == username))


def _goods(code: str) -> int:
    return db.session.scalar(select(GoodsItem.id).where(GoodsItem.code == code))


def _service(code: str) -> int:
    return db.session.scalar(select(ServiceType.id).where(ServiceType.code == code))


def _households(caseworker: User) -> list[Household]:
    rows = db.session.scalars(select(Household).order_by(Household.id))
    return [h for h in rows if in_scope(caseworker, h)]


def _plans(today: date) -> list[tuple[str, NeedInput]]:
    """(final stage, need) in the order they are given to a county's households."""
    soon = today + timedelta(days=20)
    later = today + timedelta(days=45)
    return [
        ("published", NeedInput("illness", "normal", soon, [
            LineInput("funds", Decimal("3000"), category="medical"),
            LineInput("services", Decimal("12"), item_id=_service("medical_escort")),
        ])),
        ("reviewed", NeedInput("education", "normal", later, [
            LineInput("goods", Decimal("2"), item_id=_goods("school_kit")),
            LineInput("services", Decimal("20"), item_id=_service("tutoring")),
        ])),
        ("submitted", NeedInput("disability", "normal", later, [
            LineInput("goods", Decimal("1"), item_id=_goods("wheelchair")),
            LineInput("services", Decimal("8"), item_id=_service("rehabilitation")),
        ])),
        ("published", NeedInput("unemployment", "normal", soon, [
            LineInput("goods", Decimal("25"), item_id=_goods("rice")),
            LineInput("goods", Decimal("5"), item_id=_goods("cooking_oil")),
            LineInput("services", Decimal("4"), item_id=_service("employment_help")),
        ])),
        ("returned", NeedInput("other", "normal", later, [
            LineInput("goods", Decimal("2"), item_id=_goods("quilt")),
        ])),
        ("draft", NeedInput("illness", "normal", later, [
            LineInput("services", Decimal("10"), item_id=_service("home_care")),
        ])),
    ]


def _advance(need: Need, stage: str, caseworker: User, township: User | None,
             county: User | None) -> None:
    """Take ``need`` through the workflow towards ``stage`` as far as the demo's staff allow."""
    if stage == "draft":
        return
    services.submit(caseworker, need, "入户核实后提交")
    if stage == "submitted":
        return
    reviewer = township if township and services.may_review(township, need) else (
        county if county and services.may_review(county, need) else None)
    if reviewer is None:
        return
    if stage == "returned":
        services.return_need(reviewer, need, "请补充医院诊断证明")
        return
    services.review(reviewer, need, "情况属实")
    if stage == "reviewed" or county is None or not services.may_approve(county, need):
        return
    services.approve(county, need, "同意")
    services.publish(county, need)


def seed_needs() -> int:
    """Create the demo needs unless there are needs already; return how many were created."""
    if db.session.scalar(select(func.count(Need.id))):
        return 0
    today = date.today()
    counties = [
        ("caseworker_jishou", "reviewer_qianzhou", "reviewer_jishou"),
        ("caseworker_fenghuang", None, None),
        ("caseworker_furong", None, "reviewer_furong"),
    ]
    created = 0
    for caseworker_name, township_name, county_name in counties:
        caseworker = _user(caseworker_name)
        if caseworker is None:
            continue
        township = _user(township_name) if township_name else None
        county = _user(county_name) if county_name else None
        households = _households(caseworker)
        if not households:
            continue
        for household, (stage, data) in zip(cycle(households), _plans(today), strict=False):
            need = services.create_need(caseworker, household, data)
            _advance(need, stage, caseworker, township, county)
            created += 1
        if caseworker_name == "caseworker_fenghuang":
            # 凤凰县: a house fire; the caseworker publishes at once and advances cash (R3.2).
            household = households[-1]
            need = services.create_need(caseworker, household, NeedInput(
                "accident", "emergency", today + timedelta(days=7), [
                    LineInput("funds", Decimal("1000"), category="disaster"),
                    LineInput("goods", Decimal("3"), item_id=_goods("quilt")),
                    LineInput("goods", Decimal("3"), item_id=_goods("winter_clothing")),
                ], assistance_type="emergency", summary="房屋失火，急需过冬物资"))
            services.publish(caseworker, need, "急难：先行救助")
            limit = advance_limit(household, need.region_code, today)
            emergency.record_advance(caseworker, need, min(Decimal("800"), limit.amount),
                                     "现金先行发放")
            created += 1
    db.session.flush()
    return created
