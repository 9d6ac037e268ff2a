"""Account rules: passwords, login throttling, government accounts, organisation applications.

Services flush, never commit: the view commits once per request.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, func, select

from marketplace.accounts.models import (
    GOVERNMENT_ROLES,
    LoginAttempt,
    Organization,
    OrgStatus,
    OrgType,
    Role,
    User,
)
from marketplace.accounts.profile_rules import ProfileFacts, apply_facts, check_facts
from marketplace.audit.services import record_event
from marketplace.common.access import scope_filter
from marketplace.common.models import utcnow
from marketplace.extensions import db
from marketplace.regions.models import Region

_STRONG = PasswordHasher()  # argon2id, the library's RFC 9106 low-memory profile
#: Cheap parameters for the test suite only (NUANXIN_ENV=testing): same algorithm, less work.
_FAST = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
#: Verified against when the account does not exist, so both paths take the same time.
_DUMMY_HASH = _STRONG.hash(secrets.token_hex(16))


def _hasher() -> PasswordHasher:
    return _FAST if current_app.config.get("NUANXIN_ENV") == "testing" else _STRONG


class AccountError(Exception):
    """A rule was broken; the message is shown to the user as is."""


class LoginThrottled(AccountError):
    pass


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(user: User | None, password: str) -> bool:
    """Check ``password`` with argon2id; unknown users cost the same time and fail."""
    try:
        stored = user.password_hash if user else _DUMMY_HASH
        return _hasher().verify(stored, password) and bool(user)
    except (VerificationError, InvalidHashError):
        return False


def password_problems(password: str, username: str = "") -> list[str]:
    """Why ``password`` is too weak (empty when it is acceptable)."""
    problems = []
    min_length = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(password) < min_length:
        problems.append(str(_l("Use at least %(n)d characters.", n=min_length)))
    if not re.search(r"[A-Za-z]", password) or not re.search(r"\d", password):
        problems.append(str(_l("Use both letters and digits.")))
    if username and username.lower() in password.lower():
        problems.append(str(_l("Do not include the username in the password.")))
    return problems


def _recent_failures(column, value: str) -> int:
    since = utcnow() - timedelta(seconds=current_app.config["LOGIN_WINDOW_SECONDS"])
    return db.session.scalar(
        select(func.count(LoginAttempt.id)).where(
            column == value, LoginAttempt.succeeded.is_(False), LoginAttempt.at >= since
        )
    )


def is_throttled(username: str, address: str) -> bool:
    """Too many recent failures for this account name or from this address."""
    cfg = current_app.config
    return (
        _recent_failures(LoginAttempt.username, username.lower())
        >= cfg["LOGIN_MAX_FAILURES_PER_ACCOUNT"]
        or _recent_failures(LoginAttempt.address, address) >= cfg["LOGIN_MAX_FAILURES_PER_ADDRESS"]
    )


def authenticate(username: str, password: str, address: str) -> User | None:
    """Return the user when the credentials are right and not throttled; record the attempt.

    Raises:
        LoginThrottled: too many recent failures for the account name or the address.
    """
    name = username.strip().lower()[:64]
    if is_throttled(name, address):
        raise LoginThrottled(str(_l("Too many failed sign-in attempts. Please wait 15 minutes "
                                    "and try again.")))
    user = db.session.scalar(select(User).where(func.lower(User.username) == name))
    ok = verify_password(user, password) and user is not None and user.is_active
    db.session.add(LoginAttempt(username=name, address=address[:64], succeeded=ok))
    if ok:
        user.last_login_at = utcnow()
        if _hasher().check_needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
    db.session.flush()
    return user if ok else None


def set_password(user: User, password: str) -> None:
    """Store a new password and end every other session of this user."""
    problems = password_problems(password, user.username)
    if problems:
        raise AccountError(" ".join(problems))
    user.password_hash = hash_password(password)
    user.session_token = secrets.token_hex(16)
    user.password_changed_at = utcnow()
    record_event(user, "user.change_password", user)


def change_password(user: User, current: str, new: str) -> None:
    if not verify_password(user, current):
        raise AccountError(str(_l("The current password is not correct.")))
    set_password(user, new)


#: Built once: every signed-in request runs it.
_USER_BY_ID = select(User).where(User.id == bindparam("user_id"))


def load_user_from_session(token: str) -> User | None:
    """flask-login loader: ``"<id>:<session token>"``; a rotated token ends the session."""
    user_id, _, session_token = token.partition(":")
    if not user_id.isdigit():
        return None
    user = db.session.execute(_USER_BY_ID, {"user_id": int(user_id)}).scalar_one_or_none()
    if user is None or not secrets.compare_digest(user.session_token, session_token):
        return None
    return user


def username_taken(username: str) -> bool:
    return db.session.scalar(
        select(func.count(User.id)).where(func.lower(User.username) == username.strip().lower())
    ) > 0


@dataclass(frozen=True)
class NewUser:
    username: str
    display_name: str
    password: str
    role: Role
    region_code: str | None = None


def create_government_user(actor: User, data: NewUser) -> User:
    """An admin creates a caseworker, reviewer, oversight officer or another admin."""
    if actor.role != Role.admin:
        raise AccountError(str(_l("Only administrators create government accounts.")))
    if data.role == Role.provider_staff:
        raise AccountError(str(_l("Provider staff join through their organisation's application.")))
    if data.role in GOVERNMENT_ROLES and db.session.get(Region, data.region_code or "") is None:
        raise AccountError(str(_l("Unknown region code.")))
    if username_taken(data.username):
        raise AccountError(str(_l("This username is already taken.")))
    problems = password_problems(data.password, data.username)
    if problems:
        raise AccountError(" ".join(problems))
    user = User(
        username=data.username.strip(),
        display_name=data.display_name.strip(),
        password_hash=hash_password(data.password),
        role=data.role,
        region_code=data.region_code if data.role in GOVERNMENT_ROLES else None,
    )
    db.session.add(user)
    db.session.flush()
    record_event(actor, "user.create", user, after={"role": user.role.value,
                                                    "region_code": user.region_code})
    return user


@dataclass(frozen=True)
class OrgApplication:
    name: str
    type: OrgType
    region_code: str
    service_area_codes: tuple[str, ...]
    description: str
    contact_name: str
    contact_phone: str
    username: str
    password: str
    #: Credit code, public-fundraising qualification and staff qualifications.
    facts: ProfileFacts


def local_today() -> date:
    """Today's date where the offices work (``BABEL_DEFAULT_TIMEZONE``, Asia/Shanghai)."""
    return datetime.now(ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])).date()


def known_regions(codes: tuple[str, ...] | list[str]) -> list[Region]:
    """The regions of ``codes``.

    Raises:
        AccountError: one of the codes is not a known region.
    """
    regions = [db.session.get(Region, code) for code in codes]
    if any(r is None for r in regions):
        raise AccountError(str(_l("Unknown region code.")))
    return regions


def apply_organization(data: OrgApplication) -> Organization:
    """Register an organisation (pending) with its first staff account (usable once verified).

    Raises:
        AccountError: unknown region, name or username taken, weak password.
        ProfileError: invalid or taken credit code, fundraising qualification claimed by a
            non-charity, unknown qualification.
    """
    region = db.session.get(Region, data.region_code)
    if region is None:
        raise AccountError(str(_l("Unknown region code.")))
    areas = known_regions(data.service_area_codes)
    if db.session.scalar(select(func.count(Organization.id)).where(
            Organization.name == data.name.strip())):
        raise AccountError(str(_l("An organisation with this name is already registered.")))
    facts = check_facts(data.facts, data.type, local_today())
    if username_taken(data.username):
        raise AccountError(str(_l("This username is already taken.")))
    problems = password_problems(data.password, data.username)
    if problems:
        raise AccountError(" ".join(problems))
    org = Organization(
        name=data.name.strip(),
        type=data.type,
        region_code=region.code,
        description=data.description.strip(),
        contact_name=data.contact_name.strip(),
        contact_phone=data.contact_phone.strip() or None,
        service_areas=areas or [region],
        status=OrgStatus.pending,
    )
    apply_facts(org, facts)
    db.session.add(org)
    db.session.flush()
    record_event(None, "organization.apply", org, after={"status": "pending", **facts.as_dict()})
    db.session.add(User(
        username=data.username.strip(),
        display_name=data.contact_name.strip() or data.name.strip(),
        password_hash=hash_password(data.password),
        role=Role.provider_staff,
        organization_id=org.id,
    ))
    db.session.flush()
    return org


def decide_organization(actor: User, org: Organization, approve: bool, reason: str) -> None:
    """An oversight officer of the organisation's region verifies or rejects its application."""
    if org.status != OrgStatus.pending:
        raise AccountError(str(_l("This application has already been decided.")))
    if not approve and not reason.strip():
        raise AccountError(str(_l("Give a reason for the rejection.")))
    org.status = OrgStatus.verified if approve else OrgStatus.rejected
    org.decision_reason = reason.strip()
    org.decided_at = utcnow()
    org.decided_by_id = actor.id
    record_event(actor, "organization.verify" if approve else "organization.reject", org,
                 note=org.decision_reason, before={"status": "pending"},
                 after={"status": org.status.value})


def pending_applications(actor: User, page: int):
    """Pending organisation applications in the actor's region, oldest first (paginated)."""
    query = (
        select(Organization)
        .where(Organization.status == OrgStatus.pending, scope_filter(Organization, actor))
        .order_by(Organization.created_at, Organization.id)
    )
    return db.paginate(query, page=page, per_page=current_app.config["PAGE_SIZE"],
                       error_out=False)


def list_users(actor: User, page: int):
    query = select(User).where(scope_filter(User, actor)).order_by(User.role, User.username)
    return db.paginate(query, page=page, per_page=current_app.config["PAGE_SIZE"],
                       error_out=False)
