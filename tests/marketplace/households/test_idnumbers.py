"""ID numbers (GB 11643 check character, birth dates) and phone numbers: pure checks."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketplace.common.crypto import mask_id_number, mask_phone
from marketplace.households.idnumbers import (
    IdNumberError,
    check_char,
    make_id_number,
    normalise_phone,
    parse_id_number,
    valid_phone,
)


@pytest.mark.parametrize("number, born, sex", [
    ("11010519491231002X", date(1949, 12, 31), "female"),
    ("433101197804161026", date(1978, 4, 16), "female"),
    ("433101194611021090", date(1946, 11, 2), "male"),
])
def test_valid_numbers_give_birth_date_and_sex(number, born, sex):
    parsed = parse_id_number(number)
    assert (parsed.number, parsed.birth_date, parsed.sex) == (number, born, sex)


def test_implausibly_early_birth_year_is_refused():
    with pytest.raises(IdNumberError, match="implausibly early"):
        parse_id_number(make_id_number("433101", date(1880, 1, 1), 101))


def test_lower_case_x_and_spaces_are_normalised():
    assert parse_id_number(" 110105 19491231 002x ").number == "11010519491231002X"


def test_check_character_follows_iso_7064():
    # Weighted sum of 11010519491231002 is 167; 167 mod 11 = 2 → "X".
    assert check_char("11010519491231002") == "X"
    assert check_char("43310119780416102") == "6"


@pytest.mark.parametrize("number", [
    "110105194912310020",  # X replaced by 0
    "11010519491231002Y",  # not a digit or X
    "433101197804161027",  # last digit off by one
    "433101197804161016",  # sequence digit changed, check kept
])
def test_wrong_check_characters_are_refused(number):
    with pytest.raises(IdNumberError):
        parse_id_number(number)


def test_wrong_check_digit_message():
    with pytest.raises(IdNumberError, match="check digit"):
        parse_id_number("433101197804161027")


@pytest.mark.parametrize("first17", [
    "43310119780230102",  # 30 February
    "43310119781301102",  # month 13
    "43310119780000102",  # month 0
    "43310120230229102",  # 2023 is not a leap year
])
def test_impossible_birth_dates_are_refused(first17):
    with pytest.raises(IdNumberError, match="does not exist"):
        parse_id_number(first17 + check_char(first17))


def test_leap_day_is_accepted():
    number = make_id_number("433101", date(2000, 2, 29), 101)
    assert parse_id_number(number).birth_date == date(2000, 2, 29)


def test_future_birth_date_is_refused():
    today = date(2026, 11, 29)
    tomorrow = make_id_number("433101", today + timedelta(days=1), 101)
    with pytest.raises(IdNumberError, match="future"):
        parse_id_number(tomorrow, today)
    assert parse_id_number(make_id_number("433101", today, 101), today).birth_date == today


@pytest.mark.parametrize("number", ["", "4331011978041610", "4331011978041610261",
                                    "43310119780416102X1", "X33101197804161026"])
def test_wrong_length_or_characters(number):
    with pytest.raises(IdNumberError, match="18 characters"):
        parse_id_number(number)


def test_unknown_province_prefix_is_refused():
    first17 = "99310119780416102"
    with pytest.raises(IdNumberError, match="province"):
        parse_id_number(first17 + check_char(first17))


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2025, 12, 31)),
       st.integers(min_value=0, max_value=999), st.integers(min_value=0, max_value=16),
       st.integers(min_value=1, max_value=9))
def test_any_single_digit_change_breaks_the_check(born, sequence, position, delta):
    number = make_id_number("433123", born, sequence)
    parsed = parse_id_number(number, date(2026, 1, 1))
    assert parsed.birth_date == born and parsed.sex == ("male" if sequence % 2 else "female")
    changed = number[:position] + str((int(number[position]) + delta) % 10) + number[position + 1:]
    with pytest.raises(IdNumberError):
        parse_id_number(changed, date(2026, 1, 1))


@pytest.mark.parametrize("phone", ["13974361025", "19912345678", "0743-8521234", "07438521234",
                                   "010-62345678", "0731-84561234-802"])
def test_valid_phones(phone):
    assert valid_phone(phone)


@pytest.mark.parametrize("phone", ["12974361025", "1397436102", "139743610255", "8521234",
                                   "0743-0521234", "abc", "1397436102a"])
def test_invalid_phones(phone):
    assert not valid_phone(phone)


def test_phone_normalisation_drops_country_code_and_spaces():
    assert normalise_phone("+86 139 7436 1025") == "13974361025"
    assert normalise_phone("0086-13974361025") == "13974361025"


def test_masking():
    assert mask_id_number("43310119780416102X") == "4331**********102X"
    assert mask_phone("13974361025") == "139****1025"
    assert mask_phone("0743-8521234") == "074*****1234"
