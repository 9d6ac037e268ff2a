"""Fixtures of the assessment tests: standards seeded, a household of two in 吉首市."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.assessment import services
from marketplace.common.crypto import keyed_hash
from marketplace.extensions import db
from marketplace.households.models import Household, Person, Relation

TODAY = date.today()


def _user(username):
    return db.session.scalar(select(User).where(User.username == username))


@pytest.fixture
def ctx(app, demo):
    with app.app_context():
        services.seed_default_standards()
        db.session.commit()
        yield


@pytest.fixture
def household(ctx):
    """A household of two in 乾州街道 (433101001, 吉首市), where the demo caseworker and both
    reviewers work."""
    hh = Household(region_code="433101001", county_code="433101", groups=["dibao"],
                   members=[_person("田桂花", "433101198503150022", Relation.head),
                            _person("田小军", "433101201009010014", Relation.child)])
    db.session.add(hh)
    db.session.commit()
    return hh


def _person(name, id_number, relation):
    return Person(name=name, sex="female" if relation == Relation.head else "male",
                  birth_date=date(int(id_number[6:10]), int(id_number[10:12]),
                                  int(id_number[12:14])),
                  relation=relation, id_number=id_number, id_hash=keyed_hash(id_number),
                  phone="13907430001" if relation == Relation.head else None)


