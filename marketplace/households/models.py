"""Households and the people in them.

Identity-card and phone numbers are stored encrypted, with a keyed hash of the ID number for
the province-wide duplicate search (one person belongs to one household: the hash is unique).
Names are kept in clear so caseworkers can search their own households by the head's name.
"""

from __future__ import annotations

import enum
from datetime import date

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.common.crypto import EncryptedString, HashString, mask_id_number, mask_phone
from marketplace.common.models import Base, TimestampMixin, enum_type
from marketplace.regions.models import Region


class HouseholdStatus(enum.StrEnum):
    active = "active"
    #: No longer followed (moved away, all members deceased...): kept for the history.
    archived = "archived"


class Sex(enum.StrEnum):
    male = "male"
    female = "female"


class Relation(enum.StrEnum):
    """Relation of a member to the household head (与户主关系)."""

    head = "head"
    spouse = "spouse"
    child = "child"
    child_in_law = "child_in_law"
    grandchild = "grandchild"
    parent = "parent"
    parent_in_law = "parent_in_law"
    grandparent = "grandparent"
    sibling = "sibling"
    other = "other"


class DisabilityType(enum.StrEnum):
    """Categories of GB/T 26341 (残疾人残疾分类和分级)."""

    visual = "visual"
    hearing = "hearing"
    speech = "speech"
    physical = "physical"
    intellectual = "intellectual"
    mental = "mental"
    multiple = "multiple"


class Health(enum.StrEnum):
    healthy = "healthy"
    chronic_illness = "chronic_illness"
    serious_illness = "serious_illness"


class WorkAbility(enum.StrEnum):
    full = "full"
    partial = "partial"
    none = "none"


class Schooling(enum.StrEnum):
    """School enrolment of a member (在学情况)."""

    not_applicable = "not_applicable"
    preschool = "preschool"
    primary = "primary"
    junior_secondary = "junior_secondary"
    senior_secondary = "senior_secondary"
    vocational = "vocational"
    higher = "higher"
    out_of_school = "out_of_school"


class Household(TimestampMixin, Base):
    """One family as registered by a caseworker (户)."""

    __tablename__ = "households"
    __scope_region__ = "region_code"
    #: Every page that loads one household by its URL shows its members.
    __access_joined__ = ("members",)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Lowest known region where the family lives (village, township or county code).
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    #: The 6-digit county of ``region_code``, stored for standards and county-level reports.
    county_code: Mapped[str] = mapped_column(String(6), index=True)
    #: Street, house number... below the village: encrypted at rest.
    address_detail: Mapped[str | None] = mapped_column(EncryptedString())
    #: Codes of ``marketplace.catalog.vocab.GROUPS`` (assistance categories, special groups).
    groups: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[HouseholdStatus] = mapped_column(
        enum_type(HouseholdStatus), default=HouseholdStatus.active, index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)

    # Joined: every page that shows a household names its place (one query, not two).
    region: Mapped[Region] = relationship(lazy="joined")
    members: Mapped[list[Person]] = relationship(
        back_populates="household", cascade="all, delete-orphan",
        order_by="Person.id")

    @property
    def head(self) -> Person | None:
        """The member whose relation is "head", if any."""
        return next((m for m in self.members if m.relation == Relation.head), None)

    @property
    def ordered_members(self) -> list[Person]:
        """Members for display: the head first, then in order of registration."""
        return sorted(self.members, key=lambda m: (m.relation != Relation.head, m.id or 0))

    @property
    def size(self) -> int:
        """Number of members."""
        return len(self.members)

    def __repr__(self) -> str:
        return f"<Household {self.id} {self.region_code} size={len(self.members)}>"


class Person(Base):
    """A member of a household; the ID number is unique across the province."""

    __tablename__ = "persons"
    __table_args__ = (
        CheckConstraint("disability_grade IS NULL OR disability_grade BETWEEN 1 AND 4",
                        name="disability_grade_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(
        ForeignKey("households.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80), index=True)
    sex: Mapped[Sex] = mapped_column(enum_type(Sex, 8))
    birth_date: Mapped[date]
    relation: Mapped[Relation] = mapped_column(enum_type(Relation, 16))
    id_number: Mapped[str] = mapped_column(EncryptedString())
    #: Keyed hash of the ID number: duplicate search without storing the number in clear.
    id_hash: Mapped[str] = mapped_column(HashString, unique=True)
    phone: Mapped[str | None] = mapped_column(EncryptedString())
    disability_type: Mapped[DisabilityType | None] = mapped_column(
        enum_type(DisabilityType, 16))
    #: 1 (most severe) to 4, as on the disability certificate (残疾人证).
    disability_grade: Mapped[int | None]
    health: Mapped[Health] = mapped_column(enum_type(Health, 16), default=Health.healthy)
    work_ability: Mapped[WorkAbility] = mapped_column(
        enum_type(WorkAbility, 16), default=WorkAbility.full)
    schooling: Mapped[Schooling] = mapped_column(
        enum_type(Schooling, 24), default=Schooling.not_applicable)

    household: Mapped[Household] = relationship(back_populates="members")

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    def __repr__(self) -> str:
        return f"<Person {self.id} household={self.household_id} {self.relation}>"
