"""Who hears about what, and the unread counter staying equal to the unread rows."""

from __future__ import annotations

import os
import threading

import pytest
from sqlalchemy import func, select

from marketplace.accounts.models import Organization, Role, User
from marketplace.extensions import db
from marketplace.notifications import services
from marketplace.notifications.models import Notification, NotificationKind

KIND = NotificationKind.allocation_waiting
ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith("postgresql")


def user(username: str) -> User:
    return db.session.scalar(select(User).where(User.username == username))


def org(name_start: str) -> Organization:
    return db.session.scalar(select(Organization).where(Organization.name.startswith(name_start)))


def recipients(notes: list[Notification]) -> set[str]:
    return {db.session.get(User, n.user_id).username for n in notes}


def unread_rows(u: User) -> int:
    return db.session.scalar(select(func.count(Notification.id)).where(
        Notification.user_id == u.id, Notification.read_at.is_(None)))


def test_notify_once_per_user_with_object_and_params(app, demo):
    with app.app_context():
        a, b = user("caseworker_jishou"), user("reviewer_jishou")
        obj = org("湘西州阳光")
        notes = services.notify([a.id, b.id, a.id], KIND, obj, {"quantity": "3"})
        assert recipients(notes) == {"caseworker_jishou", "reviewer_jishou"}
        note = notes[0]
        assert (note.object_type, note.object_id) == ("organizations", str(obj.id))
        assert note.params == {"quantity": "3"} and note.read_at is None
        assert services.unread_count(a) == 1 == a.unread_notifications
        assert services.notify([], KIND, obj) == []
        db.session.rollback()  # flushed, not committed: the counter goes back with the rows
        assert services.unread_count(a) == 0
        assert db.session.scalar(select(func.count(Notification.id))) == 0


def test_notify_organization_reaches_its_active_staff_only(app, demo):
    with app.app_context():
        sunshine = org("湘西州阳光")
        notes = services.notify_organization(sunshine.id, KIND, sunshine)
        assert recipients(notes) == {"provider_staff"}
        user("provider_staff").active = False
        db.session.flush()
        assert services.notify_organization(sunshine.id, KIND, sunshine) == []


def test_notify_officers_reaches_the_roles_whose_scope_covers_the_region(app, demo):
    with app.app_context():
        obj = org("湘西州阳光")
        reviewers = services.notify_officers("433101001", [Role.reviewer], KIND, obj)
        assert recipients(reviewers) == {"reviewer_jishou", "reviewer_qianzhou"}
        oversight = services.notify_officers("433123", ["oversight"], KIND, obj)
        assert recipients(oversight) == {"oversight_hn", "oversight_xx"}
        caseworkers = services.notify_officers("433123", [Role.caseworker], KIND, obj)
        assert recipients(caseworkers) == {"caseworker_fenghuang"}
        furong = services.notify_officers("430102", [Role.reviewer, Role.admin], KIND, obj)
        assert recipients(furong) == {"reviewer_furong", "admin"}
        assert services.notify_officers("430102", [Role.provider_staff], KIND, obj) == []


def test_covering_codes():
    assert services.covering_codes("433101001") == ["430000", "433100", "433101", "433101001"]
    assert services.covering_codes("433100") == ["430000", "433100"]
    assert services.covering_codes("430000") == ["430000"]


def test_mark_read_counts_each_notification_once_and_only_the_users_own(app, demo):
    with app.app_context():
        me, other = user("caseworker_jishou"), user("caseworker_fenghuang")
        obj = org("湘西州阳光")
        mine = [services.notify([me.id], KIND, obj)[0].id for _ in range(3)]
        theirs = services.notify([other.id], KIND, obj)[0].id
        assert services.mark_read(me, [mine[0], theirs]) == 1
        assert services.mark_read(me, [mine[0]]) == 0  # already read: not subtracted again
        assert services.unread_count(me) == 2 == unread_rows(me)
        assert services.unread_count(other) == 1 == unread_rows(other)
        assert services.mark_read(me, []) == 0
        assert services.mark_read(me) == 2
        assert services.unread_count(me) == 0 == unread_rows(me) == me.unread_notifications
        assert services.unread_count(other) == 1


def test_a_stale_loaded_counter_does_not_lose_an_increment(app, demo):
    """Session 1 has the user loaded (counter 0) while session 2 notifies and commits; session
    1's notify must add to the database's 1, not write its own 0 + 1."""
    with app.app_context():
        me = user("caseworker_jishou")
        assert me.unread_notifications == 0
        with app.app_context():  # a second session and connection
            services.notify([user("caseworker_jishou").id], KIND, org("湘西州阳光"))
            db.session.commit()
        services.notify([me.id], KIND, org("湘西州阳光"))
        db.session.commit()
        assert me.unread_notifications == 2 == unread_rows(me)


def test_recount_repairs_a_wrong_counter(app, demo):
    with app.app_context():
        me = user("caseworker_jishou")
        services.notify([me.id], KIND, org("湘西州阳光"))
        me.unread_notifications = 7
        db.session.flush()
        assert services.recount(me) == 1


@pytest.mark.postgres
@pytest.mark.skipif(not ON_POSTGRES, reason="needs PostgreSQL (DATABASE_URL)")
def test_concurrent_notify_and_mark_read_keep_the_counter_exact(app, demo):
    with app.app_context():
        me = user("caseworker_jishou")
        ids = (me.id, org("湘西州阳光").id)
        first = [services.notify([me.id], KIND, org("湘西州阳光"))[0].id for _ in range(4)]
        db.session.commit()
    barrier = threading.Barrier(6)
    errors: list[BaseException] = []

    def work(action: str) -> None:
        with app.app_context():  # its own session and connection
            try:
                actor = db.session.get(User, ids[0])
                target = db.session.get(Organization, ids[1])
                assert actor.unread_notifications is not None  # loaded before the others write
                barrier.wait()
                if action == "notify":
                    services.notify([actor.id], KIND, target)
                else:
                    services.mark_read(actor, first[:3])
                db.session.commit()
            except BaseException as exc:  # noqa: BLE001 - reported by the main thread
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=work, args=(a,))
               for a in ("notify", "notify", "notify", "mark", "mark", "mark")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors
    with app.app_context():
        me = db.session.get(User, ids[0])
        assert unread_rows(me) == 4 + 3 - 3
        assert me.unread_notifications == unread_rows(me)
