"""Registry rules: one person one household, validation, encryption at rest, audited changes."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, text

from marketplace.audit.models import AuditEvent
from marketplace.common.crypto import keyed_hash
from marketplace.extensions import db
from marketplace.households import services
from marketplace.households.models import Household, Person
from marketplace.households.services import HouseholdError, MemberInput
from tests.marketplace.households.helpers import (
    EN,
    household_input,
    member,
    new_id,
    person,
    registry_events,
    user,
)


@pytest.fixture
def en(app, demo):
    with app.app_context(), app.test_request_context("/", headers=EN):
        yield


def _counts():
    return (db.session.scalar(select(func.count(Household.id))),
            db.session.scalar(select(func.count(Person.id))),
            db.session.scalar(select(func.count(AuditEvent.id))))


def _family(serial: int = 0) -> list[MemberInput]:
    return [member("测试甲", "female", date(1980, 3, 4), "head", serial, phone="13912345678"),
            member("测试乙", "male", date(2010, 5, 6), "child", serial + 1)]


def test_demo_households_are_valid_and_seeded_once(app, demo):
    from marketplace.households.demo import seed_households
    with app.app_context():
        assert db.session.scalar(select(func.count(Household.id))) == 6
        assert seed_households() == 0
        counties = set(db.session.scalars(select(Household.county_code)))
        assert counties == {"433101", "433123", "430102"}
        for p in db.session.scalars(select(Person)):
            assert p.id_hash == keyed_hash(p.id_number)


def test_create_household_stores_members_and_audits_without_full_numbers(en):
    caseworker = user("caseworker_jishou")
    household = services.create_household(caseworker, household_input(), _family())
    db.session.commit()
    assert household.county_code == "433101" and household.size == 2
    assert household.head.name == "测试甲" and household.groups == ["dibao"]
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "household.create"))
    assert event.actor_id == caseworker.id and event.region_code == "433101001"
    dumped = json.dumps([event.before, event.after, event.note], ensure_ascii=False)
    for m in household.members:
        assert m.id_number not in dumped and m.id_number[:4] + "*" in dumped
        assert m.phone is None or m.phone not in dumped


def test_numbers_and_address_are_encrypted_at_rest(en):
    household = services.create_household(user("caseworker_jishou"), household_input(), _family())
    db.session.commit()
    head = household.head
    rows = db.session.execute(text(
        "SELECT id_number, id_hash, phone FROM persons WHERE id = :id"), {"id": head.id}).one()
    address = db.session.execute(text("SELECT address_detail FROM households WHERE id = :id"),
                                 {"id": household.id}).scalar_one()
    raw = " ".join([*rows, address])
    assert head.id_number not in raw and head.id_number[6:14] not in raw
    assert "13912345678" not in raw and "测试路" not in raw
    assert rows.id_hash == keyed_hash(head.id_number)
    dump = "\n".join(str(r) for r in db.session.execute(text("SELECT * FROM persons")))
    assert head.id_number not in dump


def test_duplicate_id_is_refused_with_county_name_only(en):
    existing = person("吴明辉")  # a demo person of 凤凰县
    before = _counts()
    family = _family()
    family[1].id_number = existing.id_number
    family[1].birth_date, family[1].sex = existing.birth_date, str(existing.sex)
    with pytest.raises(HouseholdError) as caught:
        services.create_household(user("caseworker_jishou"), household_input(), family)
    message = str(caught.value)
    assert "凤凰县" in message and "already registered" in message
    for secret in ("吴明辉", "麻春花", existing.id_number, "麻冲乡", "老洞村", "13907432217",
                   f"#{existing.household_id}", "/households/"):
        assert secret not in message
    db.session.rollback()
    assert _counts() == before


def test_duplicate_ids_in_one_submission_are_refused(en):
    family = _family()
    family[1] = member("测试乙", "female", date(1980, 3, 4), "child", 0)  # same number as head
    with pytest.raises(HouseholdError, match="same ID number"):
        services.create_household(user("caseworker_jishou"), household_input(), family)


BAD_MEMBER = [
    ({"id_number": "433101198003047001"}, "check digit"),
    ({"name": "  "}, "name is empty"),
    ({"birth_date": date.today() + timedelta(days=3)}, "future"),
    ({"birth_date": date(1980, 3, 5)}, "does not match"),
    ({"sex": "male"}, "sex does not match"),
    ({"phone": "12345"}, "phone number"),
    ({"disability_type": "physical"}, "grade"),
    ({"disability_grade": 2}, "needs a disability type"),
    ({"relation": "spouse"}, "Exactly one member"),
]


def test_bad_member_input_saves_nothing(en):
    """Each case of BAD_MEMBER in turn (one test: the demo data is seeded once)."""
    before = _counts()
    for change, message in BAD_MEMBER:
        family = _family()
        for key, value in change.items():
            setattr(family[0], key, value)
        with pytest.raises(HouseholdError, match=message):
            services.create_household(user("caseworker_jishou"), household_input(), family)
        db.session.rollback()
        assert _counts() == before, change


def test_future_birth_date_inside_the_id_number(en):
    born = date.today() + timedelta(days=40)
    family = _family()
    family[1] = member("未来", "male", born, "child", 5)
    with pytest.raises(HouseholdError, match="future"):
        services.create_household(user("caseworker_jishou"), household_input(), family)


@pytest.mark.parametrize("username, region", [
    ("caseworker_jishou", "433123101"),  # another county
    ("caseworker_jishou", "433101"),  # above the caseworker's township
    ("caseworker_fenghuang", "430000"),  # a province is not a place to live
    ("caseworker_fenghuang", "999999"),  # unknown
])
def test_region_must_be_in_the_caseworkers_area(en, username, region):
    with pytest.raises(HouseholdError, match="of your area"):
        services.create_household(user(username), household_input(region), _family())


@pytest.mark.parametrize("username", ["reviewer_jishou", "oversight_xx", "admin"])
def test_only_caseworkers_register(en, username):
    with pytest.raises(HouseholdError, match="Only a caseworker"):
        services.create_household(user(username), household_input(), _family())


def test_unknown_group_is_refused(en):
    with pytest.raises(HouseholdError, match="Unknown assistance category"):
        services.create_household(user("caseworker_jishou"),
                                  household_input(groups=["dibao", "vip"]), _family())


def test_members_add_edit_remove_keep_one_head(en):
    caseworker = user("caseworker_jishou")
    household = services.create_household(caseworker, household_input(), _family())
    child = household.members[1]
    with pytest.raises(HouseholdError, match="already has a head"):
        services.add_member(caseworker, household,
                            member("第二户主", "male", date(1970, 1, 1), "head", 9))
    added = services.add_member(caseworker, household,
                                member("测试丙", "male", date(1950, 1, 1), "parent", 9))
    assert household.size == 3
    # Keeping the stored number (None) while editing other fields.
    services.update_member(caseworker, added, MemberInput(
        name="测试丙改", sex="male", birth_date=date(1950, 1, 1), relation="parent",
        id_number=None, health="chronic_illness", work_ability="none"))
    assert added.name == "测试丙改" and added.id_number == new_id(date(1950, 1, 1), "male", 9)
    # A kept number still has to agree with the birth date.
    with pytest.raises(HouseholdError, match="does not match"):
        services.update_member(caseworker, added, MemberInput(
            name="测试丙改", sex="male", birth_date=date(1951, 1, 1), relation="parent",
            id_number=None))
    with pytest.raises(HouseholdError, match="head cannot be removed"):
        services.remove_member(caseworker, household.head)
    with pytest.raises(HouseholdError, match="To change the head"):
        services.update_member(caseworker, household.head, MemberInput(
            name="测试甲", sex="female", birth_date=date(1980, 3, 4), relation="spouse",
            id_number=None))
    # Naming a new head demotes the old one.
    old_head = household.head
    services.update_member(caseworker, child, MemberInput(
        name="测试乙", sex="male", birth_date=date(2010, 5, 6), relation="head", id_number=None))
    assert household.head is child and old_head.relation == "other"
    services.remove_member(caseworker, added)
    db.session.commit()
    assert household.size == 2
    actions = list(db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.object_type == "households", AuditEvent.object_id == str(household.id))))
    assert actions.count("household.update_member") == 3 and "household.remove_member" in actions
    assert "household.add_member" in actions


def test_editing_a_member_to_another_persons_number_is_refused(en):
    caseworker = user("caseworker_jishou")
    target = person("石小雨")
    other = person("龙秀兰")
    with pytest.raises(HouseholdError, match="already registered"):
        services.update_member(caseworker, target, MemberInput(
            name=target.name, sex="female", birth_date=other.birth_date, relation="child",
            id_number=other.id_number))
    # Re-entering one's own number is not a duplicate.
    services.update_member(caseworker, target, MemberInput(
        name=target.name, sex="female", birth_date=target.birth_date, relation="child",
        id_number=target.id_number))


def test_other_county_caseworker_cannot_edit(en):
    target = person("石小雨")
    with pytest.raises(HouseholdError, match="Only a caseworker"):
        services.remove_member(user("caseworker_fenghuang"), target)
    with pytest.raises(HouseholdError, match="Only a caseworker"):
        services.update_household(user("caseworker_fenghuang"), target.household,
                                  household_input("433123101"))


def test_update_household_audits_before_and_after(en):
    caseworker = user("caseworker_fenghuang")
    household = person("田茂林").household
    services.update_household(caseworker, household,
                              household_input("433123", groups=["tekun", "orphan"]))
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "household.update"))
    assert event.before["groups"] == ["dibao", "unsupported_child"]
    assert event.after["groups"] == ["tekun", "orphan"] and event.after["region_code"] == "433123"
    assert household.county_code == "433123"


READERS = [
    ("caseworker_jishou", True), ("reviewer_jishou", True), ("reviewer_qianzhou", True),
    ("oversight_xx", False), ("admin", False), ("caseworker_fenghuang", False),
    ("reviewer_furong", False),
]


def test_full_number_reads_are_limited_and_audited(en):
    target = person("龙秀兰")
    for username, allowed in READERS:
        actor = user(username)
        before = registry_events()
        if not allowed:
            with pytest.raises(HouseholdError):
                services.reveal_id_number(actor, target)
            assert registry_events() == before, username
            continue
        assert services.reveal_id_number(actor, target) == target.id_number
        [event] = registry_events()[len(before):]
        assert event.action == "person.read_id_number" and event.actor_id == actor.id
        assert event.object_type == "persons" and event.object_id == str(target.id)
        assert event.region_code == "433101001" and target.id_number not in event.note


def test_is_urban_follows_the_region(en):
    assert services.is_urban(person("陈志刚").household)  # 芙蓉区, an urban district
    assert not services.is_urban(person("田茂林").household)  # 凤凰县
