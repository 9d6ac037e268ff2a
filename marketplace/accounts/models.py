"""Users, organisations and login attempts."""

from __future__ import annotations

import enum
import secrets
from datetime import date, datetime
from typing import Any

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    ForeignKey,
    String,
    Table,
    Text,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.common.crypto import EncryptedString, mask_phone
from marketplace.common.models import Base, TimestampMixin, enum_type, utcnow
from marketplace.regions.models import Region


class Role(enum.StrEnum):
    caseworker = "caseworker"
    reviewer = "reviewer"
    provider_staff = "provider_staff"
    oversight = "oversight"
    admin = "admin"


#: Roles that work for a government office and are scoped by their home region.
GOVERNMENT_ROLES = frozenset({Role.caseworker, Role.reviewer, Role.oversight})


class OrgType(enum.StrEnum):
    charity = "charity"  # 慈善组织
    social_org = "social_org"  # 社会组织
    contractor = "contractor"  # 承接主体 (contracted service provider)
    enterprise = "enterprise"  # enterprise donor
    volunteer_team = "volunteer_team"


class OrgStatus(enum.StrEnum):
    pending = "pending"
    verified = "verified"
    rejected = "rejected"
    suspended = "suspended"


organization_service_areas = Table(
    "organization_service_areas",
    Base.metadata,
    Column("organization_id", ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True),
    Column("region_code", ForeignKey("regions.code", ondelete="RESTRICT"), primary_key=True),
)


class Organization(TimestampMixin, Base):
    __tablename__ = "organizations"
    __table_args__ = (
        # Charity Law art. 22: only charitable organisations hold a public-fundraising
        # qualification (公开募捐资格).
        CheckConstraint("NOT public_fundraising OR type = 'charity'",
                        name="fundraising_charity_only"),
    )
    __scope_region__ = "region_code"
    __scope_organization__ = "id"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    type: Mapped[OrgType] = mapped_column(enum_type(OrgType))
    #: Where the organisation is registered; its officers are the ones of this region.
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    status: Mapped[OrgStatus] = mapped_column(enum_type(OrgStatus), default=OrgStatus.pending)
    description: Mapped[str] = mapped_column(Text, default="")
    contact_name: Mapped[str] = mapped_column(String(80), default="")
    contact_phone: Mapped[str | None] = mapped_column(EncryptedString())
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", use_alter=True))
    #: 统一社会信用代码 (GB 32100-2015, check character verified). Empty only on rows created
    #: before the profile existed; every application gives one.
    credit_code: Mapped[str | None] = mapped_column(String(18), unique=True)
    #: 公开募捐资格: only charities (see the check constraint), with the certificate details.
    public_fundraising: Mapped[bool] = mapped_column(default=False, server_default=false())
    fundraising_certificate_no: Mapped[str] = mapped_column(String(64), default="",
                                                            server_default="")
    fundraising_certified_on: Mapped[date | None]
    #: Staff qualifications the organisation can deliver (keys of ``vocab.QUALIFICATIONS``).
    qualifications: Mapped[list[Any]] = mapped_column(JSON, default=list,
                                                      server_default=text("'[]'"))
    suspended_at: Mapped[datetime | None]
    suspension_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    #: Changes to verified facts (credit code, fundraising qualification, qualifications)
    #: proposed by the organisation and waiting for an oversight officer; None when none.
    pending_changes: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    pending_changes_at: Mapped[datetime | None]

    region: Mapped[Region] = relationship()
    service_areas: Mapped[list[Region]] = relationship(secondary=organization_service_areas)
    staff: Mapped[list[User]] = relationship(
        back_populates="organization", foreign_keys="User.organization_id"
    )

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.contact_phone)

    @property
    def can_operate(self) -> bool:
        """Whether the organisation may offer and accept: verified and not suspended.

        Suspension is its own status (``suspended``), so a verified organisation is by
        definition not suspended; pending, rejected and suspended ones may not operate.
        """
        return self.status == OrgStatus.verified

    def __repr__(self) -> str:
        return f"<Organization {self.id} {self.name!r} {self.status}>"


class User(UserMixin, TimestampMixin, Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(
            "(role = 'provider_staff' AND organization_id IS NOT NULL AND region_code IS NULL)"
            " OR (role = 'admin' AND organization_id IS NULL)"
            " OR (role IN ('caseworker', 'reviewer', 'oversight')"
            "     AND region_code IS NOT NULL AND organization_id IS NULL)",
            name="role_scope",
        ),
    )
    __scope_region__ = "region_code"
    __scope_organization__ = "organization_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(80))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(enum_type(Role), index=True)
    #: Home region of government roles (county, prefecture, province or township).
    region_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"), index=True)
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id"), index=True
    )
    active: Mapped[bool] = mapped_column(default=True)
    locale: Mapped[str | None] = mapped_column(String(8))
    #: Rotated on password change: sessions carrying the old value stop working.
    session_token: Mapped[str] = mapped_column(
        String(32), default=lambda: secrets.token_hex(16)
    )
    password_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    #: Unread notifications, kept by notifications.services with SQL increments in the same
    #: transaction as the notifications, so the bell on every page costs no query.
    unread_notifications: Mapped[int] = mapped_column(default=0, server_default=text("0"))

    region: Mapped[Region | None] = relationship()
    organization: Mapped[Organization | None] = relationship(
        back_populates="staff", foreign_keys=[organization_id]
    )

    @property
    def is_active(self) -> bool:  # flask-login
        if not self.active:
            return False
        if self.role == Role.provider_staff and self.organization is not None:
            return self.organization.status == OrgStatus.verified
        return True

    def get_id(self) -> str:  # flask-login: the session remembers the token too
        return f"{self.id}:{self.session_token}"

    @property
    def is_government(self) -> bool:
        return self.role in GOVERNMENT_ROLES

    def __repr__(self) -> str:
        return f"<User {self.id} {self.username} {self.role}>"


class LoginAttempt(Base):
    """One login try, kept for throttling per account and per address."""

    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The username as typed (lower-cased), whether or not such an account exists.
    username: Mapped[str] = mapped_column(String(64), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    succeeded: Mapped[bool] = mapped_column(default=False)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    def __repr__(self) -> str:
        return f"<LoginAttempt {self.username} {self.address} {self.succeeded}>"
