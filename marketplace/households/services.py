"""Household registry rules: registering families, editing members, revealing ID numbers.

Services flush, never commit: the view commits once per request, so a refused action leaves
nothing behind. Every change is audited with summaries that never hold a full ID number.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from marketplace.accounts.models import Role, User
from marketplace.audit.services import record_event
from marketplace.catalog.vocab import GROUPS
from marketplace.common.access import in_scope, user_prefix
from marketplace.common.crypto import keyed_hash, mask_id_number
from marketplace.extensions import db
from marketplace.households.idnumbers import (
    IdNumberError,
    normalise_phone,
    parse_id_number,
    valid_phone,
)
from marketplace.households.models import (
    DisabilityType,
    Health,
    Household,
    HouseholdStatus,
    Person,
    Relation,
    Schooling,
    Sex,
    WorkAbility,
)
from marketplace.regions.models import Region, RegionLevel

#: Roles that may read a full ID number (each read is audited).
FULL_NUMBER_ROLES = frozenset({Role.caseworker, Role.reviewer})
#: Levels a household may be registered at: the county, or a township or village below it.
HOUSEHOLD_LEVELS = (RegionLevel.county, RegionLevel.township, RegionLevel.village)


class HouseholdError(Exception):
    """A registry rule was broken; the message is shown to the user as is."""


@dataclass
class MemberInput:
    """One member as entered. ``id_number`` may be None on edit: keep the stored number."""

    name: str
    sex: str
    birth_date: date | None
    relation: str
    id_number: str | None
    phone: str = ""
    disability_type: str | None = None
    disability_grade: int | None = None
    health: str = Health.healthy.value
    work_ability: str = WorkAbility.full.value
    schooling: str = Schooling.not_applicable.value


@dataclass
class HouseholdInput:
    region_code: str
    address_detail: str = ""
    groups: list[str] = field(default_factory=list)


def is_urban(household: Household) -> bool:
    """Whether the household lives in an urban area (urban or rural standards apply)."""
    region = db.session.get(Region, household.region_code)
    return bool(region and region.is_urban)


def may_read_full_number(user: User, household: Household) -> bool:
    """Caseworkers and reviewers of the household's region; nobody else."""
    return user.role in FULL_NUMBER_ROLES and in_scope(user, household)


def _who(index: int | None, name: str) -> str:
    if index is None:
        return name or str(_l("this member"))
    return str(_l("Member %(n)d (%(name)s)", n=index + 1, name=name or "—"))


def _check_member(data: MemberInput, index: int | None, today: date) -> tuple[str | None, str]:
    """Validate one member; return (normalised ID number or None to keep, normalised phone)."""
    who = _who(index, data.name.strip())
    if not data.name.strip():
        raise HouseholdError(str(_l("%(who)s: the name is empty.", who=who)))
    if len(data.name.strip()) > 80:
        raise HouseholdError(str(_l("%(who)s: the name is too long.", who=who)))
    if data.birth_date is None:
        raise HouseholdError(str(_l("%(who)s: the birth date is missing.", who=who)))
    if data.birth_date > today:
        raise HouseholdError(str(_l("%(who)s: the birth date is in the future.", who=who)))
    for value, enum_cls in ((data.sex, Sex), (data.relation, Relation), (data.health, Health),
                            (data.work_ability, WorkAbility), (data.schooling, Schooling)):
        if value not in enum_cls.__members__:
            raise HouseholdError(str(_l("%(who)s: unknown choice %(value)s.", who=who,
                                        value=value)))
    if data.disability_type and data.disability_type not in DisabilityType.__members__:
        raise HouseholdError(str(_l("%(who)s: unknown disability type.", who=who)))
    if data.disability_type and data.disability_grade not in (1, 2, 3, 4):
        raise HouseholdError(str(_l("%(who)s: a disability needs its grade (1 to 4).", who=who)))
    if not data.disability_type and data.disability_grade is not None:
        raise HouseholdError(str(_l("%(who)s: a disability grade needs a disability type.",
                                    who=who)))
    number = None
    if data.id_number is not None:
        try:
            parsed = parse_id_number(data.id_number, today)
        except IdNumberError as exc:
            raise HouseholdError(f"{who}: {exc}") from None
        if parsed.birth_date != data.birth_date:
            raise HouseholdError(str(_l(
                "%(who)s: the birth date does not match the one in the ID number (%(date)s).",
                who=who, date=parsed.birth_date.isoformat())))
        if parsed.sex != data.sex:
            raise HouseholdError(str(_l("%(who)s: the sex does not match the ID number.",
                                        who=who)))
        number = parsed.number
    phone = normalise_phone(data.phone)
    if phone and not valid_phone(phone):
        raise HouseholdError(str(_l(
            "%(who)s: the phone number is neither a mobile (11 digits starting 13-19) nor a "
            "landline with its area code.", who=who)))
    return number, phone


def _refuse_duplicate(number: str, exclude_person_id: int | None = None) -> None:
    """Refuse an ID number already registered anywhere, naming only the county it is in."""
    existing = db.session.scalar(
        select(Person).where(Person.id_hash == keyed_hash(number)))
    if existing is None or existing.id == exclude_person_id:
        return
    county = db.session.get(Region, existing.household.county_code)
    raise HouseholdError(str(_l(
        "A person with ID number %(masked)s is already registered in a household in %(county)s. "
        "One person belongs to one household: ask the civil-affairs office there to transfer "
        "them.", masked=mask_id_number(number),
        county=county.name_zh if county else existing.household.county_code)))


def _check_region(actor: User, code: str) -> Region:
    region = db.session.get(Region, (code or "").strip())
    prefix = user_prefix(actor)
    if region is None or region.level not in HOUSEHOLD_LEVELS or not (
            prefix and region.code.startswith(prefix)):
        raise HouseholdError(str(_l("Choose a county, township or village of your area.")))
    return region


def _check_groups(groups: list[str]) -> list[str]:
    unknown = [g for g in groups if g not in GROUPS]
    if unknown:
        raise HouseholdError(str(_l("Unknown assistance category or group: %(codes)s.",
                                    codes=", ".join(unknown))))
    return [g for g in GROUPS if g in groups]  # catalogue order, no repeats


def _require_caseworker(actor: User, household: Household | None = None) -> None:
    if actor.role != Role.caseworker or (household is not None and not in_scope(actor, household)):
        raise HouseholdError(str(_l("Only a caseworker of the household's area may do this.")))


def _apply_member(person: Person, data: MemberInput, number: str | None, phone: str) -> None:
    person.name = data.name.strip()
    person.sex = Sex(data.sex)
    person.birth_date = data.birth_date
    person.relation = Relation(data.relation)
    if number is not None:
        person.id_number = number
        person.id_hash = keyed_hash(number)
    person.phone = phone or None
    person.disability_type = DisabilityType(data.disability_type) if data.disability_type else None
    person.disability_grade = data.disability_grade if data.disability_type else None
    person.health = Health(data.health)
    person.work_ability = WorkAbility(data.work_ability)
    person.schooling = Schooling(data.schooling)


def member_summary(person: Person) -> dict[str, Any]:
    """What the audit trail keeps of a member: no full ID number, no phone."""
    return {"name": person.name, "relation": str(person.relation),
            "id_number": mask_id_number(person.id_number), "birth_date": str(person.birth_date)}


def household_summary(household: Household) -> dict[str, Any]:
    return {"region_code": household.region_code, "groups": list(household.groups or []),
            "status": str(household.status),
            "members": [member_summary(m) for m in household.members]}


def create_household(actor: User, data: HouseholdInput, members: list[MemberInput],
                     today: date | None = None) -> Household:
    """Register a household with its members; exactly one member is the head. Audited."""
    household = build_household(actor, data, members, today)
    record_event(actor, "household.create", household, after=household_summary(household))
    return household


def build_household(actor: User, data: HouseholdInput, members: list[MemberInput],
                    today: date | None = None) -> Household:
    """Validate and insert a household without an audit event (demo data and imports only;
    the pages use :func:`create_household`)."""
    _require_caseworker(actor)
    today = today or date.today()
    region = _check_region(actor, data.region_code)
    groups = _check_groups(data.groups)
    if not members:
        raise HouseholdError(str(_l("Enter at least the household head.")))
    heads = [m for m in members if m.relation == Relation.head.value]
    if len(heads) != 1:
        raise HouseholdError(str(_l("Exactly one member must be the household head.")))
    checked = []
    seen: dict[str, int] = {}
    for index, member in enumerate(members):
        if member.id_number is None:
            raise HouseholdError(str(_l("%(who)s: the ID number is missing.",
                                        who=_who(index, member.name))))
        number, phone = _check_member(member, index, today)
        if number in seen:
            raise HouseholdError(str(_l(
                "Members %(a)d and %(b)d have the same ID number.", a=seen[number] + 1,
                b=index + 1)))
        seen[number] = index
        checked.append((member, number, phone))
    for _, number, _ in checked:
        _refuse_duplicate(number)
    household = Household(region_code=region.code, county_code=region.code[:6],
                          address_detail=data.address_detail.strip() or None, groups=groups,
                          status=HouseholdStatus.active, created_by_id=actor.id)
    for member, number, phone in checked:
        person = Person()
        _apply_member(person, member, number, phone)
        household.members.append(person)
    db.session.add(household)
    db.session.flush()
    return household


def update_household(actor: User, household: Household, data: HouseholdInput) -> Household:
    """Change where the household lives (within the actor's area) and its categories."""
    _require_caseworker(actor, household)
    region = _check_region(actor, data.region_code)
    groups = _check_groups(data.groups)
    before = household_summary(household)
    household.region_code = region.code
    household.county_code = region.code[:6]
    household.address_detail = data.address_detail.strip() or None
    household.groups = groups
    db.session.flush()
    record_event(actor, "household.update", household, before=before,
                 after=household_summary(household))
    return household


def add_member(actor: User, household: Household, data: MemberInput,
               today: date | None = None) -> Person:
    """Add one member; a second head is refused."""
    _require_caseworker(actor, household)
    if data.id_number is None:
        raise HouseholdError(str(_l("The ID number is missing.")))
    number, phone = _check_member(data, None, today or date.today())
    if data.relation == Relation.head.value and household.head is not None:
        raise HouseholdError(str(_l("The household already has a head.")))
    _refuse_duplicate(number)
    person = Person()
    _apply_member(person, data, number, phone)
    household.members.append(person)
    db.session.flush()
    record_event(actor, "household.add_member", household, after=member_summary(person))
    return person


def update_member(actor: User, person: Person, data: MemberInput,
                  today: date | None = None) -> Person:
    """Edit a member; the household keeps exactly one head."""
    household = person.household
    _require_caseworker(actor, household)
    number, phone = _check_member(data, None, today or date.today())
    if number is None:  # the number is kept: the dates and sex must still agree with it
        _check_member(MemberInput(**{**data.__dict__, "id_number": person.id_number}), None,
                      today or date.today())
    head = household.head
    if person.relation == Relation.head and data.relation != Relation.head.value:
        raise HouseholdError(str(_l(
            "To change the head, edit the member who becomes the head and choose \"Head\": "
            "the previous head then becomes \"Other\" and can be edited.")))
    if number is not None:
        _refuse_duplicate(number, exclude_person_id=person.id)
    if data.relation == Relation.head.value and head is not None and head.id != person.id:
        record_event(actor, "household.update_member", household, before=member_summary(head),
                     after={**member_summary(head), "relation": Relation.other.value},
                     note="previous head")
        head.relation = Relation.other
    before = member_summary(person)
    _apply_member(person, data, number, phone)
    db.session.flush()
    record_event(actor, "household.update_member", household, before=before,
                 after=member_summary(person))
    return person


def remove_member(actor: User, person: Person) -> None:
    """Remove a member who is not the head."""
    household = person.household
    _require_caseworker(actor, household)
    if person.relation == Relation.head:
        raise HouseholdError(str(_l("The household head cannot be removed.")))
    before = member_summary(person)
    household.members.remove(person)
    db.session.flush()
    record_event(actor, "household.remove_member", household, before=before)


def reveal_address(actor: User, household: Household) -> str:
    """The household's full address, for a caseworker or reviewer of the region; the read is
    audited (the page shows only the township or village otherwise)."""
    if not may_read_full_number(actor, household):
        raise HouseholdError(str(_l("Your role may not read full addresses.")))
    record_event(actor, "household.read_address", household)
    return household.address_detail or ""


def reveal_id_number(actor: User, person: Person) -> str:
    """The full ID number, for a caseworker or reviewer of the region; the read is audited."""
    if not may_read_full_number(actor, person.household):
        raise HouseholdError(str(_l("Your role may not read full ID numbers.")))
    record_event(actor, "person.read_id_number", person, object_type="persons",
                 region_code=person.household.region_code,
                 note=mask_id_number(person.id_number))
    return person.id_number
