"""Resident identity-card numbers (GB 11643-1999) and phone numbers: checks without a database.

An ID number has 18 characters: a 6-digit region code (GB/T 2260), the birth date as YYYYMMDD,
a 3-digit sequence whose last digit is odd for men and even for women, and a check character
computed with ISO 7064 MOD 11-2 (``X`` stands for 10).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l

#: Weights of the first 17 characters: 2^(17 - i) mod 11.
WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
#: Check character for (weighted sum mod 11).
CHECK_CHARS = "10X98765432"
#: First two digits of the province-level codes of GB/T 2260 (mainland, Taiwan, HK, Macao).
PROVINCE_PREFIXES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 "
    "61 62 63 64 65 71 81 82".split())
#: Oldest birth year accepted: older entries are typing mistakes, not people.
MIN_BIRTH_YEAR = 1890

_ID_RE = re.compile(r"^\d{17}[\dX]$")
_MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
#: Area code (3-4 digits starting with 0), optional hyphen, 7-8 digit number, optional extension.
_LANDLINE_RE = re.compile(r"^0\d{2,3}-?[2-9]\d{6,7}(-\d{1,6})?$")


class IdNumberError(ValueError):
    """The number is not a valid identity-card number; the message says why."""


@dataclass(frozen=True)
class IdNumber:
    number: str
    birth_date: date
    sex: str  # "male" | "female"

    @property
    def region_prefix(self) -> str:
        return self.number[:6]


def normalise_id_number(value: str | None) -> str:
    """Strip spaces and upper-case the check character (``x`` is often typed for ``X``)."""
    return re.sub(r"\s+", "", value or "").upper()


def check_char(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character of the first 17 digits."""
    if len(first17) != 17 or not first17.isdigit():
        raise ValueError("17 digits expected")
    return CHECK_CHARS[sum(int(c) * w for c, w in zip(first17, WEIGHTS, strict=True)) % 11]


def parse_id_number(value: str | None, today: date | None = None) -> IdNumber:
    """Validate an 18-character ID number and return its parts.

    Raises:
        IdNumberError: wrong length or characters, unknown province code, impossible or
            future birth date, or wrong check character.
    """
    number = normalise_id_number(value)
    if not _ID_RE.match(number):
        raise IdNumberError(str(_l(
            "An ID number has 18 characters: 17 digits and a final digit or X.")))
    if number[:2] not in PROVINCE_PREFIXES:
        raise IdNumberError(str(_l("The ID number does not start with a province code.")))
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise IdNumberError(str(_l(
            "The birth date in the ID number (%(digits)s) does not exist.",
            digits=number[6:14]))) from None
    if born > (today or date.today()):
        raise IdNumberError(str(_l("The birth date in the ID number is in the future.")))
    if born.year < MIN_BIRTH_YEAR:
        raise IdNumberError(str(_l("The birth date in the ID number is implausibly early.")))
    if check_char(number[:17]) != number[17]:
        raise IdNumberError(str(_l(
            "The ID number's check digit is wrong: please check each digit.")))
    return IdNumber(number, born, "male" if int(number[16]) % 2 else "female")


def make_id_number(region6: str, born: date, sequence: int) -> str:
    """A valid number for ``region6``, ``born`` and a 3-digit ``sequence`` (demo and tests)."""
    first17 = f"{region6}{born:%Y%m%d}{sequence:03d}"
    return first17 + check_char(first17)


def normalise_phone(value: str | None) -> str:
    """Drop spaces and a leading +86 / 86 country code."""
    phone = re.sub(r"\s+", "", value or "")
    for prefix in ("+86", "0086"):
        if phone.startswith(prefix):
            phone = phone[len(prefix):].lstrip("-")
    return phone


def valid_phone(value: str) -> bool:
    """A mainland mobile (1[3-9] and 9 digits) or a landline with its area code."""
    return bool(_MOBILE_RE.match(value) or _LANDLINE_RE.match(value))
