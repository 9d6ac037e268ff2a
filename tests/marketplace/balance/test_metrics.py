"""The pure figures: shares, Gini, medians of histograms, priority weights."""

from __future__ import annotations

from decimal import Decimal

import pytest

from marketplace.balance.metrics import (
    gini,
    median_from_histogram,
    merge_histograms,
    priority_weight,
    share,
)

D = Decimal


def test_gini_of_three_counties():
    # Σ|xi − xj| over ordered pairs = 2·(0.5 + 0.25 + 0.25) = 2; 2 n² x̄ = 2·9·0.75 = 13.5
    assert gini([D("0.5"), D(1), D("0.75")]) == D(2) / D("13.5")


def test_gini_of_the_fixture_counties():
    assert gini([D("0.625"), D(1)]) == D(3) / D(26)


@pytest.mark.parametrize("values", [[], [D("0.4")], [D(0), D(0)]])
def test_gini_undefined(values):
    assert gini(values) is None


def test_gini_of_equal_values_is_zero_and_of_one_holder_is_maximal():
    assert gini([D("0.7")] * 5) == 0
    assert gini([D(0), D(0), D(0), D(1)]) == D("0.75")  # (n − 1) / n


def test_gini_does_not_depend_on_order():
    assert gini([D(1), D("0.5"), D("0.75")]) == gini([D("0.75"), D("0.5"), D(1)])


@pytest.mark.parametrize("counts, expected", [
    ({10: 1, 17: 1}, D("13.5")),
    ({3: 2, 9: 1}, D(3)),
    ({5: 1}, D(5)),
    ({1: 1, 2: 1, 3: 1, 4: 1}, D("2.5")),
    ({0: 3, 365: 1}, D(0)),
    ({"2": 2, "7": 2}, D("4.5")),  # JSON keys are strings
    ({4: 0, 6: 1}, D(6)),
])
def test_median_from_histogram(counts, expected):
    assert median_from_histogram(counts) == expected


def test_median_of_nothing():
    assert median_from_histogram({}) is None
    assert median_from_histogram({3: 0}) is None


def test_merge_histograms():
    assert merge_histograms([{"10": 1}, {"10": 2, "3": 1}, {}]) == {10: 3, 3: 1}


def test_share():
    assert share(D("4.5"), D("6.6")) == D("4.5") / D("6.6")
    assert share(D(1), D(0)) is None and share(None, D(2)) is None
    assert share(0, 5) == 0


@pytest.mark.parametrize("urgency, groups, expected", [
    ("normal", ["tekun"], D("1.5")),
    ("emergency", ["dibao"], D("2.6")),
    ("normal", [], D(1)),
    ("normal", None, D(1)),
    ("emergency", ["low_income", "orphan", "dibao"], D("3.0")),  # the highest group counts
    ("normal", ["unknown_group"], D(1)),
])
def test_priority_weight(urgency, groups, expected):
    assert priority_weight(urgency, groups) == expected
