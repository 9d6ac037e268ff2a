"""How quantities read: a unit code in the reader's language, and money in one format.

Money is stored with the unit code ``CNY``; readers see "1,200.00 元" in Chinese and
"1,200.00 CNY" in English (the order every English sentence of the site already uses). The
format is one translatable string, so every page and notification writes amounts alike.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext as _

from marketplace.catalog.editing import GOODS_UNITS
from marketplace.catalog.vocab import SERVICE_UNITS

#: The unit code of money (need lines, offers and allocations of funds).
MONEY = "CNY"


def unit_label(code: str | None) -> str:
    """A unit code (``CNY``, ``kg``, ``hour``…) in the reader's language; unknown codes as
    they are."""
    if code == MONEY:
        return _("CNY")
    label = SERVICE_UNITS.get(code or "") or GOODS_UNITS.get(code or "")
    return str(label) if label is not None else (code or "")


def grouped(amount: Any) -> str:
    """``amount`` with two decimals and thousands grouped (``1,200.00``); a value that is not
    a number is returned as it is."""
    try:
        return f"{Decimal(str(amount)):,.2f}"
    except (InvalidOperation, ValueError):
        return str(amount)


def format_money(amount: Any) -> str:
    """An amount of money as the reader writes it: "1,200.00 元" / "1,200.00 CNY"."""
    return _("%(amount)s CNY", amount=grouped(amount))


def format_quantity(quantity: Any, unit: str | None) -> str:
    """A quantity with its unit: money through :func:`format_money`, anything else as
    "12 千克" / "12 kg" (no unit: the number alone)."""
    if unit == MONEY:
        return format_money(quantity)
    label = unit_label(unit)
    return f"{quantity} {label}" if label else str(quantity)
