"""The demo needs: every county has some, at several stages, one emergency with an advance."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select

from marketplace.audit.services import events_for
from marketplace.extensions import db
from marketplace.needs.demo import seed_needs
from marketplace.needs.models import EmergencyGrant, Need


def test_seed_needs(app, demo):
    with app.app_context():
        seed_needs()  # seed_demo may already have called it: either way the set is there
        db.session.commit()
        needs = db.session.scalars(select(Need)).all()
        counties = Counter(n.county_code for n in needs)
        assert set(counties) >= {"433101", "433123", "430102"}
        statuses = Counter(str(n.status) for n in needs)
        assert statuses["published"] >= 3 and statuses["draft"] >= 3
        assert statuses["returned"] >= 1 and min(counties.values()) >= 5
        assert statuses["submitted"] >= 1 and statuses["reviewed"] >= 1
        emergencies = [n for n in needs if n.urgency == "emergency"]
        assert len(emergencies) == 1 and emergencies[0].status == "published"
        grant = db.session.scalar(select(EmergencyGrant))
        assert grant.need_id == emergencies[0].id and grant.status == "awaiting"
        for need in needs:  # every step is in the audit trail
            assert events_for("needs", need.id)[0].action == "need.create"
        assert seed_needs() == 0  # idempotent
