"""Emergency fast path (R3.1–R3.5): help where it happened, publish at once, small advance
within the limit, confirmed by the township within working days."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from marketplace.audit.services import events_for
from marketplace.extensions import db
from marketplace.households.models import Household
from marketplace.needs import emergency, services
from marketplace.needs.limits import add_working_days
from marketplace.needs.lines import NeedError, NeedPermissionError
from marketplace.needs.models import EmergencyGrant, Need, NeedStatus
from marketplace.needs.standards import advance_limit, monthly_standard
from tests.marketplace.needs.factories import HOUSEHOLDS, en, goods_id, make_need, need_input, user


def _emergency(homes, key="jishou", **kwargs):
    household = db.session.get(Household, homes[key])
    caseworker = {"jishou": "caseworker_jishou", "jishou2": "caseworker_jishou",
                  "fenghuang": "caseworker_fenghuang"}[key]
    need = services.create_need(user(caseworker), household,
                                need_input(urgency="emergency", **kwargs))
    services.publish(user(caseworker), need, "fire last night")
    return need


def test_caseworker_publishes_an_emergency_at_once(app, homes):
    with en(app):
        need = _emergency(homes)
        assert need.status == NeedStatus.published and need.published_at is not None
        assert [e.action for e in events_for("needs", need.id)] == [
            "need.create", "need.publish_emergency"]


def test_normal_needs_cannot_skip_review(app, homes):
    with en(app):
        need = make_need(db.session.get(Household, homes["jishou"]))
        with pytest.raises(NeedError, match="not possible"):
            services.publish(user("caseworker_jishou"), need)


def test_emergency_is_placed_where_it_happened(app, homes):
    """R3.1: a 麻冲乡 family hit while in 凤凰县's seat is helped at the place chosen."""
    with en(app):
        need = _emergency(homes, "fenghuang", region_code="433123")
        assert need.region_code == "433123" and need.county_code == "433123"
        assert need.household.region_code == "433123101"


def test_advance_limit_is_a_multiple_of_the_local_standard_times_household_size(app, homes):
    with en(app):
        household = db.session.get(Household, homes["jishou"])
        standard = monthly_standard(household, household.region_code, date.today())
        limit = advance_limit(household, household.region_code)
        assert limit.multiple == Decimal("2") and limit.household_size == 3
        assert limit.amount == (standard * 2 * 3).quantize(Decimal("1"))


def test_advance_within_limit_then_township_confirms(app, homes):
    with en(app):
        need = _emergency(homes)
        limit = advance_limit(need.household, need.region_code)
        grant = emergency.record_advance(user("caseworker_jishou"), need, limit.amount, "cash",
                                         today=date(2026, 11, 27))  # a Friday
        assert grant.confirm_by == date(2026, 12, 11)  # 10 working days
        assert grant in emergency.grants_awaiting(user("reviewer_qianzhou"))
        with pytest.raises(NeedPermissionError):
            emergency.decide_advance(user("reviewer_jishou"), grant, confirm=True)
        with pytest.raises(NeedError, match="reason"):
            emergency.decide_advance(user("reviewer_qianzhou"), grant, confirm=False)
        emergency.decide_advance(user("reviewer_qianzhou"), grant, confirm=True, note="ok")
        assert grant.status == "confirmed"
        with pytest.raises(NeedError, match="already been decided"):
            emergency.decide_advance(user("reviewer_qianzhou"), grant, confirm=True)
        actions = [e.action for e in events_for("needs", need.id)]
        assert actions[-2:] == ["need.advance_grant", "need.confirm_advance"]
        assert emergency.grants_awaiting(user("reviewer_qianzhou")) == []


@pytest.mark.parametrize("amount, message", [
    ("-1", "more than zero"), ("abc", "not a number"), ("10.001", "two decimals"),
    ("LIMIT+0.01", "above the advance limit"),
])
def test_bad_advances_save_nothing(app, homes, amount, message):
    with en(app):
        need = _emergency(homes)
        if amount.startswith("LIMIT"):
            amount = advance_limit(need.household, need.region_code).amount + Decimal("0.01")
        with pytest.raises(NeedError, match=message):
            emergency.record_advance(user("caseworker_jishou"), need, amount)
        db.session.rollback()
        assert db.session.scalar(select(func.count(EmergencyGrant.id))) == 0


def test_one_advance_per_need_and_only_for_emergencies(app, homes):
    with en(app):
        need = _emergency(homes)
        emergency.record_advance(user("caseworker_jishou"), need, "100")
        with pytest.raises(NeedError, match="already been recorded"):
            emergency.record_advance(user("caseworker_jishou"), need, "100")
        normal = make_need(db.session.get(Household, homes["jishou2"]), "published")
        with pytest.raises(NeedError, match="only for emergency"):
            emergency.record_advance(user("caseworker_jishou"), normal, "100")
        with pytest.raises(NeedPermissionError):
            emergency.record_advance(user("caseworker_fenghuang"), need, "100")


def test_the_confirmation_window_is_configurable(app, homes):
    from marketplace.needs.limits import set_stage_limit
    with en(app):
        set_stage_limit(user("oversight_xx"), "433101", "confirmation", 3)
        need = _emergency(homes)
        grant = emergency.record_advance(user("caseworker_jishou"), need, "100",
                                         today=date(2026, 11, 27))
        assert grant.confirm_by == add_working_days(date(2026, 11, 27), 3) == date(2026, 12, 2)


def test_working_days_skip_weekends():
    assert add_working_days(date(2026, 11, 27), 1) == date(2026, 11, 30)  # Fri → Mon
    assert add_working_days(date(2026, 11, 28), 5) == date(2026, 12, 4)  # Sat → next Fri
    assert add_working_days(date(2026, 11, 30), 0) == date(2026, 11, 30)
    assert add_working_days(date(2026, 11, 30), 10) - date(2026, 11, 30) == timedelta(days=14)


def test_emergency_for_a_household_registered_in_another_county(app, login, homes):
    """R3.1 over HTTP: 凤凰县 helps a 吉首市 family whose emergency happened in 麻冲乡."""
    id_number = HOUSEHOLDS["jishou"][1][1][1]
    with app.app_context():
        quilt = str(goods_id("quilt"))
    fenghuang = login("caseworker_fenghuang")
    form = {"id_number": id_number, "cause": "accident", "urgency": "normal",
            "region_code": "433123101", "deadline": (date.today() + timedelta(days=5)).isoformat(),
            "lines-0-kind": "goods", "lines-0-goods_item_id": quilt, "lines-0-quantity": "2"}
    page = fenghuang.get("/needs/emergency/new", headers={"Accept-Language": "en"})
    assert page.status_code == 200 and "433101001" not in page.get_data(as_text=True)
    response = fenghuang.post("/needs/emergency/new", form)
    assert response.status_code == 302
    need_url = response.headers["Location"]
    with app.app_context():
        need = db.session.scalars(select(Need).order_by(Need.id.desc())).first()
        assert (need.region_code, need.urgency, need.household_id) == (
            "433123101", "emergency", homes["jishou"])
        assert events_for("households", homes["jishou"])[-1].action == (
            "household.lookup_for_emergency")
    assert fenghuang.get(need_url).status_code == 200
    assert login("caseworker_jishou").get(need_url).status_code == 404  # not their place
    # Unknown numbers and places outside the caseworker's area are refused, nothing saved.
    with app.app_context():
        before = db.session.scalar(select(func.count(Need.id)))
    unknown = fenghuang.post("/needs/emergency/new", {**form, "id_number": "11010119900307803X"},
                             headers={"Accept-Language": "en"})
    assert unknown.status_code == 400 and "Register the household first" in unknown.get_data(
        as_text=True)
    elsewhere = fenghuang.post("/needs/emergency/new", {**form, "region_code": "433101001"})
    assert elsewhere.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count(Need.id))) == before
    assert login("reviewer_jishou").get("/needs/emergency/new").status_code == 403
