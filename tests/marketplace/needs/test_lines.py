"""Bad input on needs: a clear message, nothing saved, nothing half-saved."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.households.models import Household
from marketplace.needs import services
from marketplace.needs.lines import LineInput, NeedError, NeedPermissionError
from marketplace.needs.models import Need, NeedLine
from tests.marketplace.needs.factories import en, goods_id, need_input, service_id, user


def _counts():
    return (db.session.scalar(select(func.count(Need.id))),
            db.session.scalar(select(func.count(NeedLine.id))))


@pytest.mark.parametrize("lines, message", [
    ([], "at least one line"),
    ([LineInput("funds", "-5", category="medical")], "more than zero"),
    ([LineInput("funds", "0", category="medical")], "more than zero"),
    ([LineInput("funds", "abc", category="medical")], "not a number"),
    ([LineInput("funds", "NaN", category="medical")], "not a number"),
    ([LineInput("funds", "50000.01", category="medical")], "above the ceiling"),
    ([LineInput("funds", "100.005", category="medical")], "two decimals"),
    ([LineInput("funds", "100", category="yachts")], "purpose"),
    ([LineInput("gifts", "1")], "unknown kind"),
    ([LineInput("goods", "2", item_id=999999)], "catalogue"),
    ([LineInput("goods", "2", item_id=None)], "catalogue"),
    ([LineInput("goods", "10001", item_id="rice")], "allowed on one line"),
    ([LineInput("goods", "1.5", item_id="wheelchair")], "whole numbers"),
    ([LineInput("services", "2.5", item_id="s:rehabilitation")], "whole numbers"),
    ([LineInput("services", "4", item_id="s:home_care", requires=("astronaut",))],
     "unknown qualification"),
    ([LineInput("services", "4", item_id="s:home_care", window_start=date(2027, 2, 1),
                window_end=date(2027, 1, 1))], "ends before it starts"),
])
def test_bad_lines_save_nothing(app, homes, lines, message):
    with en(app):
        resolved = []
        for line in lines:  # catalogue codes → ids inside the app context
            item = line.item_id
            if isinstance(item, str):
                item = service_id(item[2:]) if item.startswith("s:") else goods_id(item)
            resolved.append(LineInput(line.kind, line.quantity, line.category, item,
                                      line.requires, line.window_start, line.window_end))
        # A good line first: a later bad line must not leave the first one behind.
        good = [LineInput("goods", "2", item_id=goods_id("quilt"))] if resolved else []
        before = _counts()
        with pytest.raises(NeedError, match=message):
            services.create_need(user("caseworker_jishou"),
                                 db.session.get(Household, homes["jishou"]),
                                 need_input(lines=good + resolved))
        db.session.rollback()
        assert _counts() == before


def test_a_good_need_keeps_catalogue_units_and_qualifications(app, homes):
    with en(app):
        need = services.create_need(user("caseworker_jishou"),
                                    db.session.get(Household, homes["jishou"]), need_input(lines=[
                                        LineInput("funds", "49999.99", category="medical"),
                                        LineInput("goods", "12.5", item_id=goods_id("rice")),
                                        LineInput("services", "3", item_id=service_id("tutoring"),
                                                  requires=("first_aid",))]))
        funds, rice, tutoring = need.lines
        assert (funds.unit, funds.quantity, funds.category) == ("CNY", Decimal("49999.99"),
                                                                "medical")
        assert (rice.unit, rice.category) == ("kg", "food")
        assert tutoring.unit == "hour" and tutoring.requires == ["first_aid", "teacher"]
        assert need.county_code == "433101" and need.region_code == "433101001"


def test_ceiling_is_configurable(app, homes):
    with en(app):
        app.config["NEEDS_FUNDS_CEILING"] = "1000"
        try:
            with pytest.raises(NeedError, match="1000"):
                services.create_need(user("caseworker_jishou"),
                                     db.session.get(Household, homes["jishou"]),
                                     need_input(lines=[LineInput("funds", "1500",
                                                                 category="living")]))
        finally:
            del app.config["NEEDS_FUNDS_CEILING"]


@pytest.mark.parametrize("change, message", [
    ({"deadline": date.today() - timedelta(days=1)}, "past"),
    ({"deadline": date.today() + timedelta(days=400)}, "more than a year"),
    ({"cause": "boredom"}, "cause"),
    ({"urgency": "whenever"}, "urgency"),
    ({"assistance_type": "lottery"}, "temporary assistance"),
    ({"urgency": "emergency", "region_code": "430102001"}, "your own area"),
])
def test_bad_header_is_refused(app, homes, change, message):
    with en(app):
        with pytest.raises(NeedError, match=message):
            services.create_need(user("caseworker_jishou"),
                                 db.session.get(Household, homes["jishou"]),
                                 need_input(**change))


def test_other_roles_and_other_counties_cannot_post(app, homes):
    with en(app):
        household = db.session.get(Household, homes["jishou"])
        with pytest.raises(NeedPermissionError):
            services.create_need(user("reviewer_qianzhou"), household, need_input())
        with pytest.raises(NeedPermissionError):
            services.create_need(user("caseworker_furong"), household, need_input())


def test_temporary_assistance_cap_follows_the_tiers(app, homes):
    """R3.4: 急难型 2× the monthly standard per person × size. 乾州街道 is urban (吉首市 is a
    county-level city... whichever it is, the cap is 2 × standard × 3 people)."""
    from marketplace.needs.standards import monthly_standard
    with en(app):
        household = db.session.get(Household, homes["jishou"])
        standard = monthly_standard(household, household.region_code, date.today())
        cap = standard * 2 * 3
        services.create_need(user("caseworker_jishou"), household, need_input(
            assistance_type="emergency", lines=[LineInput("funds", cap, category="living")]))
        with pytest.raises(NeedError, match="cap"):
            services.create_need(user("caseworker_jishou"), household, need_input(
                assistance_type="emergency",
                lines=[LineInput("funds", cap + 1, category="living")]))
