"""needs.fulfilled_at: set when a need is fulfilled, kept when it is closed; backfilled by
migration 0018 from the audit trail."""

from __future__ import annotations

from datetime import UTC, datetime

from flask_migrate import upgrade
from sqlalchemy import text

from marketplace.common.models import utcnow
from marketplace.extensions import db
from marketplace.needs import services
from marketplace.needs.models import Need, NeedStatus
from tests.marketplace.needs.factories import add_household, make_need, user


def test_fulfil_sets_fulfilled_at_and_close_keeps_it(app, demo):
    with app.app_context():
        need = make_need(add_household("jishou"), "published")
        assert need.fulfilled_at is None
        db.session.execute(text("UPDATE needs SET status = 'matched' WHERE id = :id"),
                           {"id": need.id})
        db.session.refresh(need)
        before = utcnow()
        services.fulfil(user("caseworker_jishou"), need)
        assert need.status == NeedStatus.fulfilled
        fulfilled_at = need.fulfilled_at
        assert fulfilled_at is not None and before <= fulfilled_at <= utcnow()
        assert need.status_changed_at == fulfilled_at
        services.close(user("caseworker_jishou"), need)
        db.session.commit()
        need = db.session.get(Need, need.id)
        assert need.status == NeedStatus.closed and need.fulfilled_at == fulfilled_at
        assert need.status_changed_at > fulfilled_at


def test_other_moves_leave_fulfilled_at_empty(app, demo):
    with app.app_context():
        need = make_need(add_household("jishou"), "published")
        services.withdraw(user("caseworker_jishou"), need, "no longer needed")
        assert need.fulfilled_at is None


def test_migration_backfills_from_the_audit_trail(tmp_path):
    from marketplace import create_app

    app = create_app({"NUANXIN_ENV": "testing", "SECRET_KEY": "x",
                      "SESSION_COOKIE_SECURE": False,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'm.db'}"})
    with app.app_context():
        upgrade(revision="0017")
        stamp = "2026-01-01 00:00:00.000000"
        with db.engine.begin() as conn:
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            for need_id, status, changed in ((1, "closed", "2026-03-01 08:00:00.000000"),
                                             (2, "fulfilled", "2026-02-20 09:30:00.000000"),
                                             (3, "published", "2026-01-10 00:00:00.000000"),
                                             (4, "closed", "2026-04-01 00:00:00.000000")):
                conn.execute(text(
                    "INSERT INTO needs (id, household_id, region_code, county_code, cause, "
                    "urgency, deadline, summary, status, status_changed_at, return_reason, "
                    "created_by_id, published_at, created_at, updated_at) VALUES (:id, 1, "
                    "'433123', '433123', 'other', 'normal', '2026-06-30', '', :status, "
                    ":changed, '', 1, :stamp, :stamp, :stamp)"),
                    {"id": need_id, "status": status, "changed": changed, "stamp": stamp})
            for event_id, object_id, action, at in (
                    (1, "1", "need.fulfil", "2026-02-13 02:00:00.000000"),
                    (2, "1", "need.close", "2026-03-01 08:00:00.000000"),
                    (3, "11", "need.fulfil", "2026-02-14 02:00:00.000000"),  # another need
                    (4, "3", "need.publish", "2026-01-10 00:00:00.000000")):
                conn.execute(text(
                    "INSERT INTO audit_events (id, at, actor_role, action, object_type, "
                    "object_id, note) VALUES (:id, :at, 'caseworker', :action, 'needs', "
                    ":object_id, '')"),
                    {"id": event_id, "at": at, "action": action, "object_id": object_id})
        upgrade(revision="0018")
        found = {need.id: need.fulfilled_at for need in db.session.query(Need)}
        db.session.remove()
        db.engine.dispose()
    assert found == {
        1: datetime(2026, 2, 13, 2, 0, tzinfo=UTC),  # from the audit trail
        2: datetime(2026, 2, 20, 9, 30, tzinfo=UTC),  # no event: its status_changed_at
        3: None,
        4: None,  # closed without a fulfil event: unknown (not the closing time)
    }
