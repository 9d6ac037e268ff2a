"""Fixtures of the needs tests: demo accounts plus a few households with known people."""

from __future__ import annotations

import pytest
from sqlalchemy import delete

from marketplace.assessment.services import seed_default_standards
from marketplace.audit.models import AuditEvent
from marketplace.extensions import db
from marketplace.needs.models import EmergencyGrant, Need, NeedLine
from tests.marketplace.needs.factories import HOUSEHOLDS, add_household


@pytest.fixture
def homes(app, demo):
    """Households in 乾州街道 (two), 凤凰县 麻冲乡 and 芙蓉区 文艺路街道, by key → id."""
    with app.app_context():
        # Start without the demo needs, so counts in the tests are the tests' own.
        db.session.execute(delete(EmergencyGrant))
        db.session.execute(delete(NeedLine))
        db.session.execute(delete(Need))
        db.session.execute(delete(AuditEvent).where(AuditEvent.object_type.in_(
            ["needs", "emergency_grants"])))
        seed_default_standards()
        ids = {key: add_household(key).id for key in HOUSEHOLDS}
        db.session.commit()
    return ids
