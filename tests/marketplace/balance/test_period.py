"""The period of the dashboard: ?year=&from=&to=."""

from __future__ import annotations

from datetime import date

import pytest

from marketplace.balance.queries import BalanceError, Period, parse_period
from tests.marketplace.needs.factories import en

TODAY = date(2026, 11, 29)


@pytest.mark.parametrize("args, expected", [
    ({}, Period(2026, 1, 11)),
    ({"year": "2026", "from": "1", "to": "3"}, Period(2026, 1, 3)),
    ({"year": "2025"}, Period(2025, 1, 12)),
    ({"year": "2027"}, Period(2027, 1, 12)),
    ({"year": " 2024 ", "from": "6", "to": ""}, Period(2024, 6, 12)),
    ({"from": "5", "to": "5"}, Period(2026, 5, 5)),
])
def test_parse_period(args, expected):
    assert parse_period(args, TODAY) == expected


@pytest.mark.parametrize("args, message", [
    ({"from": "5", "to": "2"}, "The first month of the period comes after the last."),
    ({"from": "0"}, "Months run from 1 to 12."),
    ({"to": "13"}, "Months run from 1 to 12."),
    ({"year": "1999"}, "Choose a year from 2000 to 2027."),
    ({"year": "2028"}, "Choose a year from 2000 to 2027."),
    ({"year": "99999999999999"}, "Choose a year from 2000 to 2027."),
    ({"year": "twenty"}, "The period must be given in whole numbers."),
    ({"from": "1.5"}, "The period must be given in whole numbers."),
])
def test_bad_periods(app, args, message):
    with en(app), pytest.raises(BalanceError) as error:
        parse_period(args, TODAY)
    assert str(error.value) == message


def test_months():
    assert Period(2026, 11, 12).months == ("2026-11", "2026-12")
