"""The region tree. Codes follow GB/T 2260 (6 digits) and the statistical codes below it."""

from __future__ import annotations

import enum
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.common.models import Base, TimestampMixin, enum_type


class RegionLevel(enum.StrEnum):
    province = "province"
    prefecture = "prefecture"
    county = "county"
    township = "township"
    village = "village"


#: Digits of a code at each level: townships and villages extend the county code.
CODE_LENGTHS = {
    RegionLevel.province: 6,
    RegionLevel.prefecture: 6,
    RegionLevel.county: 6,
    RegionLevel.township: 9,
    RegionLevel.village: 12,
}


MAX_CODE_LENGTH = max(CODE_LENGTHS.values())


def subtree_condition(column: Any, prefix: str) -> Any:
    """``column`` lies in the subtree whose codes start with ``prefix``, written as a range
    (``prefix <= column <= prefix99…9``) that a B-tree index serves whatever the collation,
    where ``LIKE 'prefix%'`` is served only under the C collation. Exact because codes are
    digit strings of at most ``MAX_CODE_LENGTH`` characters."""
    if len(prefix) >= MAX_CODE_LENGTH:
        return column == prefix
    return column.between(prefix, prefix + "9" * (MAX_CODE_LENGTH - len(prefix)))


def scope_prefix(code: str) -> str:
    """The prefix shared by every code in the subtree of ``code``.

    ``430000`` → ``43`` (all of Hunan), ``430100`` → ``4301`` (Changsha), ``430102`` →
    ``430102``; township and village codes are their own prefix.
    """
    if len(code) == 6:
        if code.endswith("0000"):
            return code[:2]
        if code.endswith("00"):
            return code[:4]
    return code


class Region(TimestampMixin, Base):
    __tablename__ = "regions"
    __scope_region__ = "code"
    __table_args__ = (
        CheckConstraint("length(code) IN (6, 9, 12)", name="code_length"),
    )

    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    parent_code: Mapped[str | None] = mapped_column(
        ForeignKey("regions.code", ondelete="RESTRICT"), index=True
    )
    level: Mapped[RegionLevel] = mapped_column(enum_type(RegionLevel, 16), index=True)
    name_zh: Mapped[str] = mapped_column(String(80))
    name_en: Mapped[str] = mapped_column(String(120))
    #: district, county_city, county, autonomous_county, city, autonomous_prefecture, ...
    kind: Mapped[str] = mapped_column(String(32), default="")
    #: True for urban districts (市辖区) and the townships/villages below them.
    is_urban: Mapped[bool] = mapped_column(default=False)

    parent: Mapped[Region | None] = relationship(remote_side=[code], back_populates="children")
    children: Mapped[list[Region]] = relationship(back_populates="parent")

    @property
    def prefix(self) -> str:
        return scope_prefix(self.code)

    def contains(self, code: str | None) -> bool:
        """Whether ``code`` lies in this region's subtree (itself included)."""
        return bool(code) and code.startswith(self.prefix)

    def display_name(self, locale: str) -> str:
        return self.name_zh if locale.startswith("zh") else self.name_en

    def __repr__(self) -> str:
        return f"<Region {self.code} {self.name_zh}>"
