"""Units and money as readers see them (marketplace/catalog/units.py): 元 in Chinese, CNY in
English, one format for every amount."""

from __future__ import annotations

from decimal import Decimal

import pytest
from flask import render_template_string

from marketplace.catalog.units import format_money, format_quantity, grouped, unit_label

ZH = {"Accept-Language": "zh-CN"}
EN = {"Accept-Language": "en"}


@pytest.mark.parametrize(("headers", "money", "kilos", "cny"), [
    (ZH, "1,200.00 元", "12 千克", "元"),
    (EN, "1,200.00 CNY", "12 kg", "CNY"),
])
def test_money_and_quantities_in_each_language(app, headers, money, kilos, cny):
    with app.test_request_context("/", headers=headers):
        assert format_money(Decimal("1200")) == money
        assert format_quantity(Decimal("1200.00"), "CNY") == money
        assert format_quantity("12", "kg") == kilos
        assert unit_label("CNY") == cny


def test_numbers_group_thousands_and_other_values_pass_through(app):
    assert grouped(Decimal("1234567.5")) == "1,234,567.50"
    assert grouped("300") == "300.00" and grouped("n/a") == "n/a"
    with app.test_request_context("/", headers=EN):
        assert format_quantity("3", None) == "3" and format_quantity("3", "crate") == "3 crate"


def test_template_filters(app):
    template = "{{ 1200|money }} | {{ amount|quantity('CNY') }} | {{ 2|quantity('hour') }}" \
               " | {{ 'CNY'|unit }}"
    with app.test_request_context("/", headers=ZH):
        html = render_template_string(template, amount=Decimal("50.5"))
    assert html == "1,200.00 元 | 50.50 元 | 2 小时 | 元"
