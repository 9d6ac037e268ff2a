"""Helpers of the household tests: demo people by name, form data for a new household."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.extensions import db
from marketplace.households.idnumbers import make_id_number
from marketplace.households.models import Person
from marketplace.households.services import HouseholdInput, MemberInput

EN = {"Accept-Language": "en"}


def user(username: str) -> User:
    return db.session.scalar(select(User).where(User.username == username))


def person(name: str) -> Person:
    """A demo person by name (names of marketplace/households/demo.py are unique)."""
    return db.session.scalar(select(Person).where(Person.name == name))


def new_id(born: date, sex: str, serial: int, region: str = "433101") -> str:
    """A valid ID number no demo person has (sequences from 700 up)."""
    return make_id_number(region, born, 700 + 2 * serial + (1 if sex == "male" else 0))


def member(name: str, sex: str, born: date, relation: str, serial: int, **extra) -> MemberInput:
    extra.setdefault("id_number", new_id(born, sex, serial))
    return MemberInput(name=name, sex=sex, birth_date=born, relation=relation, **extra)


def household_input(region: str = "433101001", groups=("dibao",)) -> HouseholdInput:
    return HouseholdInput(region_code=region, address_detail="乾州街道 测试路 9 号",
                          groups=list(groups))


def form_data(rows: list[dict], region: str = "433101001", groups=("dibao",)) -> dict:
    """POST data of the registration form with ``rows`` as members (others left empty)."""
    data = {"region_code": region, "address_detail": "乾州街道 测试路 9 号",
            "groups": list(groups)}
    for index, row in enumerate(rows):
        values = {"sex": "female", "relation": "child", "health": "healthy",
                  "work_ability": "full", "schooling": "not_applicable",
                  "disability_type": "", "disability_grade": "", "phone": ""}
        values.update(row)
        for key, value in values.items():
            data[f"members-{index}-{key}"] = value
    return data


def registry_events(action: str | None = None) -> list:
    """Audit events of this area (other areas' demo data records events of its own)."""
    from marketplace.audit.models import AuditEvent

    query = select(AuditEvent).where(AuditEvent.action.like("household.%")
                                     | AuditEvent.action.like("person.%"))
    if action:
        query = select(AuditEvent).where(AuditEvent.action == action)
    return list(db.session.scalars(query.order_by(AuditEvent.id)))
