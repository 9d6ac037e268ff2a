"""Audit events are written with the change they describe."""

from __future__ import annotations

from sqlalchemy import select

from marketplace.accounts.models import Organization
from marketplace.audit.models import AuditEvent
from marketplace.audit.services import events_for
from marketplace.extensions import db


def test_verifying_an_organisation_is_audited(app, login):
    with app.app_context():
        org = db.session.scalar(select(Organization).where(Organization.status == "pending"))
        org_id = org.id
    login("oversight_xx").post(f"/organizations/{org_id}/decision", {"approve": "1"})
    with app.app_context():
        (event,) = events_for("organizations", org_id)
        assert event.action == "organization.verify"
        assert event.actor_role == "oversight" and event.region_code == "433101"
        assert event.before == {"status": "pending"} and event.after == {"status": "verified"}


def test_failed_decision_leaves_no_event(app, login):
    with app.app_context():
        org_id = db.session.scalar(select(Organization.id).where(
            Organization.status == "pending"))
    login("oversight_xx").post(f"/organizations/{org_id}/decision", {"reject": "1"})
    with app.app_context():
        assert db.session.scalar(select(AuditEvent).where(
            AuditEvent.object_type == "organizations")) is None
