"""Checking need lines before anything is saved (bad input never reaches the database)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from marketplace.catalog.models import GoodsItem, ServiceType
from marketplace.catalog.vocab import CATEGORIES, QUALIFICATIONS, LineKind
from marketplace.extensions import db
from marketplace.needs.models import NeedLine

#: Default ceiling of one funds line in CNY (``NEEDS_FUNDS_CEILING`` overrides it).
FUNDS_CEILING = Decimal("50000")
#: Default ceiling of a goods or services quantity (``NEEDS_MAX_QUANTITY`` overrides it).
MAX_QUANTITY = Decimal("10000")
#: Units counted in whole numbers: half a wheelchair or half a session is not a thing.
WHOLE_UNITS = frozenset({"piece", "set", "can", "session"})


class NeedError(Exception):
    """A need, a line or a step of the workflow was refused; the message is shown as is."""


class NeedPermissionError(NeedError):
    """The user's role (or level) may not take this step (answered with 403)."""


@dataclass(frozen=True)
class LineInput:
    """One line as typed: ``item_id`` is a goods item (goods) or a service type (services)."""

    kind: str
    quantity: str | Decimal
    category: str = ""
    item_id: int | None = None
    requires: tuple[str, ...] = ()
    window_start: date | None = None
    window_end: date | None = None


@dataclass
class CheckedLine:
    kind: LineKind
    category: str
    quantity: Decimal
    unit: str
    goods_item_id: int | None = None
    service_type_id: int | None = None
    requires: list[str] = field(default_factory=list)
    window_start: date | None = None
    window_end: date | None = None

    def build(self) -> NeedLine:
        return NeedLine(kind=self.kind, category=self.category, quantity=self.quantity,
                        unit=self.unit, goods_item_id=self.goods_item_id,
                        service_type_id=self.service_type_id, requires=list(self.requires),
                        window_start=self.window_start, window_end=self.window_end)


def funds_ceiling() -> Decimal:
    return Decimal(str(current_app.config.get("NEEDS_FUNDS_CEILING", FUNDS_CEILING)))


def _quantity(raw: str | Decimal, number: int) -> Decimal:
    try:
        value = raw if isinstance(raw, Decimal) else Decimal(str(raw).strip())
    except InvalidOperation:
        raise NeedError(str(_l("Line %(n)d: the quantity is not a number.", n=number))) from None
    if not value.is_finite():
        raise NeedError(str(_l("Line %(n)d: the quantity is not a number.", n=number)))
    if value <= 0:
        raise NeedError(str(_l("Line %(n)d: the quantity must be more than zero.", n=number)))
    if value.as_tuple().exponent < -2 and value != value.quantize(Decimal("0.01")):
        raise NeedError(str(_l("Line %(n)d: use at most two decimals.", n=number)))
    return value.quantize(Decimal("0.01"))


def check_line(data: LineInput, number: int) -> CheckedLine:
    """Validate one line against the catalogues and the ceilings; raise NeedError if bad."""
    try:
        kind = LineKind(data.kind)
    except ValueError:
        raise NeedError(str(_l("Line %(n)d: unknown kind of help.", n=number))) from None
    quantity = _quantity(data.quantity, number)
    if kind == LineKind.funds:
        if data.category not in CATEGORIES:
            raise NeedError(str(_l("Line %(n)d: choose a purpose for the funds.", n=number)))
        ceiling = funds_ceiling()
        if quantity > ceiling:
            raise NeedError(str(_l(
                "Line %(n)d: %(amount)s CNY is above the ceiling of %(ceiling)s CNY for one "
                "funds line.", n=number, amount=quantity, ceiling=ceiling)))
        return CheckedLine(kind, data.category, quantity, "CNY")
    maximum = Decimal(str(current_app.config.get("NEEDS_MAX_QUANTITY", MAX_QUANTITY)))
    if quantity > maximum:
        raise NeedError(str(_l("Line %(n)d: %(q)s is more than the %(max)s allowed on one line.",
                               n=number, q=quantity, max=maximum)))
    model = GoodsItem if kind == LineKind.goods else ServiceType
    item = db.session.scalar(select(model).where(model.id == data.item_id, model.active))
    if data.item_id is None or item is None:
        raise NeedError(str(_l("Line %(n)d: choose an item from the catalogue.", n=number)))
    if item.unit in WHOLE_UNITS and quantity != quantity.to_integral_value():
        raise NeedError(str(_l("Line %(n)d: count %(unit)s in whole numbers.", n=number,
                               unit=item.unit)))
    if kind == LineKind.goods:
        return CheckedLine(kind, item.category, quantity, item.unit, goods_item_id=item.id)
    requires = sorted(set(item.qualifications or []) | set(data.requires))
    unknown = [code for code in requires if code not in QUALIFICATIONS]
    if unknown:
        raise NeedError(str(_l("Line %(n)d: unknown qualification %(q)s.", n=number,
                               q=", ".join(unknown))))
    if data.window_start and data.window_end and data.window_end < data.window_start:
        raise NeedError(str(_l("Line %(n)d: the time window ends before it starts.", n=number)))
    return CheckedLine(kind, item.category, quantity, item.unit, service_type_id=item.id,
                       requires=requires, window_start=data.window_start,
                       window_end=data.window_end)


def check_lines(lines: list[LineInput]) -> list[CheckedLine]:
    """Validate every line (at least one, at most 20) before any is saved."""
    if not lines:
        raise NeedError(str(_l("Add at least one line of funds, goods or services.")))
    if len(lines) > 20:
        raise NeedError(str(_l("A need has at most 20 lines.")))
    return [check_line(line, number) for number, line in enumerate(lines, start=1)]
