"""Two caseworkers registering the same person at the same moment: exactly one household wins.

The duplicate check reads committed rows only, so both may pass it; the unique index on the ID
number's keyed hash then refuses the second insert (the pages turn that into a message, see
test_forms.py::test_concurrent_duplicate_caught_by_the_unique_index).
"""

from __future__ import annotations

import os
import threading
from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from marketplace.common.crypto import keyed_hash
from marketplace.extensions import db
from marketplace.households import services
from marketplace.households.models import Person
from marketplace.households.services import HouseholdError
from tests.marketplace.households.helpers import EN, household_input, member, new_id, user

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgresql"),
                       reason="needs two real PostgreSQL sessions"),
]


def test_same_person_registered_twice_at_once(app, demo):
    born = date(1988, 8, 8)
    number = new_id(born, "male", 40)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def register(username: str, region: str) -> None:
        with app.app_context(), app.test_request_context("/", headers=EN):
            actor = user(username)
            head = member("同一人", "male", born, "head", 40)
            barrier.wait()
            try:
                services.create_household(actor, household_input(region, ()), [head])
                db.session.commit()
                outcomes.append("created")
            except (HouseholdError, IntegrityError):
                db.session.rollback()
                outcomes.append("refused")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=register, args=args) for args in
               (("caseworker_jishou", "433101001"), ("caseworker_furong", "430102001"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["created", "refused"]
    with app.app_context():
        assert db.session.scalar(select(func.count(Person.id)).where(
            Person.id_hash == keyed_hash(number))) == 1
