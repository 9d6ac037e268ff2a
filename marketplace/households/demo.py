"""Demo households: a realistic handful in the three demo areas, checked by the same rules as
the pages (``services.build_household`` as each area's caseworker). Seeding records no audit
events: the trail is for what people do.

Names, ID numbers and phones are invented; the ID numbers carry correct check characters.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.common.crypto import keyed_hash
from marketplace.extensions import db
from marketplace.households import services
from marketplace.households.idnumbers import make_id_number
from marketplace.households.models import Person
from marketplace.households.services import HouseholdInput, MemberInput

# Member: (name, sex, birth date, relation, phone, extra fields)
_A = dict  # short alias for the optional fields of a member

HOUSEHOLDS = [
    # caseworker, region, address, groups, members
    ("caseworker_jishou", "433101001", "乾州街道 世纪大道 12 号 3 栋 201", ["dibao", "disabled"], [
        ("龙秀兰", "female", date(1978, 4, 16), "head", "13974361025", _A(work_ability="partial")),
        ("石建国", "male", date(1975, 9, 3), "spouse", "", _A(
            disability_type="physical", disability_grade=2, work_ability="none")),
        ("石小雨", "female", date(2012, 6, 21), "child", "", _A(schooling="junior_secondary")),
    ]),
    ("caseworker_jishou", "433101001", "乾州街道 人民北路 45 号", ["tekun", "elderly_alone"], [
        ("向德福", "male", date(1946, 11, 2), "head", "0743-8521234", _A(
            health="chronic_illness", work_ability="none")),
    ]),
    ("caseworker_fenghuang", "433123101", "麻冲乡 老洞村 三组 8 号",
     ["low_income", "relapse_monitoring", "seriously_ill"], [
        ("吴明辉", "male", date(1980, 2, 28), "head", "13907432217", _A(
            health="serious_illness", work_ability="partial")),
        ("麻春花", "female", date(1983, 7, 9), "spouse", "15874391180", _A()),
        ("吴小龙", "male", date(2009, 10, 12), "child", "", _A(schooling="senior_secondary")),
        ("杨桂英", "female", date(1952, 1, 30), "parent", "", _A(
            health="chronic_illness", work_ability="none")),
    ]),
    ("caseworker_fenghuang", "433123101", "麻冲乡 竹山村 一组 15 号",
     ["dibao", "unsupported_child"], [
        ("田茂林", "male", date(1950, 5, 18), "head", "18274365502", _A(work_ability="none")),
        ("田小花", "female", date(2014, 3, 7), "grandchild", "", _A(schooling="primary")),
    ]),
    ("caseworker_furong", "430102001", "文艺路街道 八一路 108 号 5 栋 302",
     ["rigid_expense", "seriously_ill"], [
        ("陈志刚", "male", date(1972, 12, 5), "head", "13873120456", _A()),
        ("李红梅", "female", date(1974, 8, 19), "spouse", "13873120457", _A(
            health="serious_illness", work_ability="none")),
        ("陈思雨", "female", date(2005, 4, 2), "child", "", _A(schooling="higher")),
    ]),
    ("caseworker_furong", "430102001", "文艺路街道 韭菜园路 21 号", ["dibao", "disabled"], [
        ("周文斌", "male", date(1990, 6, 14), "head", "", _A(
            disability_type="intellectual", disability_grade=3, work_ability="partial")),
        ("刘淑珍", "female", date(1962, 10, 27), "parent", "13787093318", _A(
            health="chronic_illness")),
    ]),
]


def demo_id_number(region: str, born: date, sex: str, serial: int) -> str:
    """A valid number: county code, birth date, a sequence whose parity gives the sex."""
    sequence = 2 * serial + (1 if sex == "male" else 0) + 100
    return make_id_number(region[:6], born, sequence)


def seed_households() -> int:
    """Register the demo households unless present; return how many were created."""
    created = 0
    serial = 0
    for username, region, address, groups, members in HOUSEHOLDS:
        caseworker = db.session.scalar(select(User).where(User.username == username))
        inputs = []
        for name, sex, born, relation, phone, extra in members:
            serial += 1
            inputs.append(MemberInput(
                name=name, sex=sex, birth_date=born, relation=relation, phone=phone,
                id_number=demo_id_number(region, born, sex, serial), **extra))
        head_hash = keyed_hash(inputs[0].id_number)
        if caseworker is None or db.session.scalar(
                select(Person.id).where(Person.id_hash == head_hash)) is not None:
            continue
        services.build_household(caseworker, HouseholdInput(region, address, groups), inputs)
        created += 1
    db.session.flush()
    return created

