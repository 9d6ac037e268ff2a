"""Editing the catalogues: service types by oversight officers, goods items by administrators.

The service catalogue is what government buys (政府购买服务, policy rules R6.1–R6.2): each type
has a unit, the staff qualifications it needs and a reference price. Items that offers, needs or
contracts already point to are never deleted — they are deactivated, which keeps the history
readable and stops new use. Every change is audited.

Services flush, never commit: the view commits once per request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from marketplace.accounts.models import Role, User
from marketplace.audit.services import record_event
from marketplace.catalog.models import GoodsItem, ServiceType
from marketplace.catalog.vocab import CATEGORIES, QUALIFICATIONS, SERVICE_UNITS
from marketplace.extensions import db

#: Units of goods quantities.
GOODS_UNITS = {
    "kg": _l("kg"),
    "litre": _l("litre"),
    "piece": _l("piece"),
    "set": _l("set"),
    "can": _l("can"),
    "box": _l("box"),
    "bag": _l("bag"),
    "pack": _l("pack"),
}
CODE_RE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
#: Who edits which catalogue.
EDITORS = {ServiceType: Role.oversight, GoodsItem: Role.admin}


class CatalogError(Exception):
    """A catalogue rule was broken; the message is shown to the user as is."""


@dataclass(frozen=True)
class ServiceTypeData:
    code: str
    name_zh: str
    name_en: str
    unit: str
    category: str
    qualifications: tuple[str, ...]
    reference_price: Decimal | None


@dataclass(frozen=True)
class GoodsItemData:
    code: str
    name_zh: str
    name_en: str
    unit: str
    category: str
    perishable: bool


def _require_editor(actor: User, model: type) -> None:
    if actor.role != EDITORS[model]:
        raise CatalogError(str(_l("Service types are edited by oversight officers.")
                               if model is ServiceType else
                               _l("Goods items are edited by administrators.")))


def _check_common(model: type, code: str, name_zh: str, name_en: str, category: str,
                  item_id: int | None) -> None:
    if not CODE_RE.match(code):
        raise CatalogError(str(_l("The code uses 2 to 40 lower-case letters, digits or "
                                  "underscores and starts with a letter.")))
    if not name_zh.strip() or not name_en.strip():
        raise CatalogError(str(_l("Give the Chinese and the English name.")))
    if category not in CATEGORIES:
        raise CatalogError(str(_l("Unknown category.")))
    query = select(func.count(model.id)).where(model.code == code)
    if item_id is not None:
        query = query.where(model.id != item_id)
    if db.session.scalar(query):
        raise CatalogError(str(_l("This code is already in the catalogue.")))


def _check_service(data: ServiceTypeData, item_id: int | None) -> None:
    _check_common(ServiceType, data.code, data.name_zh, data.name_en, data.category, item_id)
    if data.unit not in SERVICE_UNITS:
        raise CatalogError(str(_l("Unknown unit.")))
    if any(q not in QUALIFICATIONS for q in data.qualifications):
        raise CatalogError(str(_l("Unknown qualification.")))
    if data.reference_price is not None and data.reference_price < 0:
        raise CatalogError(str(_l("The reference price cannot be negative.")))


def _check_goods(data: GoodsItemData, item_id: int | None) -> None:
    _check_common(GoodsItem, data.code, data.name_zh, data.name_en, data.category, item_id)
    if data.unit not in GOODS_UNITS:
        raise CatalogError(str(_l("Unknown unit.")))


def _summary(item: ServiceType | GoodsItem) -> dict:
    fields = ["code", "name_zh", "name_en", "unit", "category", "active"]
    if isinstance(item, ServiceType):
        fields += ["qualifications", "reference_price"]
    else:
        fields += ["perishable"]
    summary = {name: getattr(item, name) for name in fields}
    if summary.get("reference_price") is not None:
        summary["reference_price"] = str(summary["reference_price"])
    return summary


def _values(data: ServiceTypeData | GoodsItemData) -> dict:
    values = {k: v.strip() if isinstance(v, str) else v for k, v in vars(data).items()}
    if isinstance(data, ServiceTypeData):
        values["qualifications"] = [q for q in QUALIFICATIONS if q in data.qualifications]
    return values


def save_service_type(actor: User, data: ServiceTypeData,
                      item: ServiceType | None = None) -> ServiceType:
    """Create a service type, or update ``item`` (its code stays). Audited.

    Raises:
        CatalogError: not an oversight officer, or an invalid field.
    """
    _require_editor(actor, ServiceType)
    if item is not None:
        data = ServiceTypeData(**{**vars(data), "code": item.code})
    _check_service(data, item.id if item else None)
    return _save(actor, ServiceType, data, item)


def save_goods_item(actor: User, data: GoodsItemData, item: GoodsItem | None = None) -> GoodsItem:
    """Create a goods item, or update ``item`` (its code stays). Audited.

    Raises:
        CatalogError: not an administrator, or an invalid field.
    """
    _require_editor(actor, GoodsItem)
    if item is not None:
        data = GoodsItemData(**{**vars(data), "code": item.code})
    _check_goods(data, item.id if item else None)
    return _save(actor, GoodsItem, data, item)


def _save(actor: User, model: type, data, item):
    before = _summary(item) if item is not None else None
    if item is None:
        item = model()
        db.session.add(item)
    for name, value in _values(data).items():
        setattr(item, name, value)
    db.session.flush()
    after = _summary(item)
    if before is None:
        record_event(actor, f"catalog.create_{model.__tablename__[:-1]}", item, after=after)
    elif before != after:
        changed = [k for k in after if after[k] != before[k]]
        record_event(actor, f"catalog.update_{model.__tablename__[:-1]}", item,
                     before={k: before[k] for k in changed}, after={k: after[k] for k in changed})
    return item


def references(item: ServiceType | GoodsItem) -> int:
    """How many rows of any table point to ``item`` (offers, need lines, contract lines…).

    Found through the foreign keys in the metadata, so tables added by other areas count
    without this module knowing them.
    """
    target = type(item).__table__
    total = 0
    for table in db.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column.table is target and fk.column.name == "id":
                total += db.session.scalar(
                    select(func.count()).select_from(table).where(fk.parent == item.id)) or 0
    return total


def set_active(actor: User, item: ServiceType | GoodsItem, active: bool) -> None:
    """Deactivate (no new offers or needs may use it) or reactivate an item. Audited."""
    _require_editor(actor, type(item))
    if item.active == active:
        return
    item.active = active
    record_event(actor, f"catalog.{'activate' if active else 'deactivate'}_"
                 f"{type(item).__tablename__[:-1]}", item,
                 before={"active": not active}, after={"active": active})
    db.session.flush()


def delete_item(actor: User, item: ServiceType | GoodsItem) -> None:
    """Delete an item nothing refers to yet; items in use must be deactivated instead.

    Raises:
        CatalogError: wrong role, or the item is in use.
    """
    _require_editor(actor, type(item))
    used = references(item)
    if used:
        raise CatalogError(str(_l("This item is in use (%(n)d records refer to it), so it "
                                  "cannot be deleted. Deactivate it instead.", n=used)))
    record_event(actor, f"catalog.delete_{type(item).__tablename__[:-1]}", item,
                 before=_summary(item))
    db.session.delete(item)
    db.session.flush()


def catalogue(model: type) -> list:
    """Every item of a catalogue, active ones first, by code."""
    return list(db.session.scalars(
        select(model).order_by(model.active.desc(), model.code)))
