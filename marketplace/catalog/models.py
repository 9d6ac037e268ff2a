"""Catalogues of goods items and service types."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.common.models import Base, TimestampMixin


class GoodsItem(TimestampMixin, Base):
    __tablename__ = "goods_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_zh: Mapped[str] = mapped_column(String(80))
    name_en: Mapped[str] = mapped_column(String(80))
    #: Unit of quantity, e.g. ``kg``, ``piece``, ``set`` (a key of ``GOODS_UNITS``).
    unit: Mapped[str] = mapped_column(String(16))
    #: Purpose category (a key of ``vocab.CATEGORIES``).
    category: Mapped[str] = mapped_column(String(32))
    perishable: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)

    def display_name(self, locale: str) -> str:
        return self.name_zh if locale.startswith("zh") else self.name_en

    def __repr__(self) -> str:
        return f"<GoodsItem {self.code}>"


class ServiceType(TimestampMixin, Base):
    __tablename__ = "service_types"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_zh: Mapped[str] = mapped_column(String(80))
    name_en: Mapped[str] = mapped_column(String(80))
    #: ``hour`` or ``session``.
    unit: Mapped[str] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(32))
    #: Qualification codes a provider's staff must hold (keys of ``vocab.QUALIFICATIONS``).
    qualifications: Mapped[list[Any]] = mapped_column(JSON, default=list)
    #: Reference price per unit in CNY for purchased services.
    reference_price: Mapped[Decimal | None]
    active: Mapped[bool] = mapped_column(default=True)

    def display_name(self, locale: str) -> str:
        return self.name_zh if locale.startswith("zh") else self.name_en

    def __repr__(self) -> str:
        return f"<ServiceType {self.code}>"
