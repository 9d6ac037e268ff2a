"""Allocations that expire in one housekeeping sweep: one notification per recipient, with the
count and a link to the released allocations, instead of one per allocation."""

from __future__ import annotations

from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.allocations.models import Allocation, AllocationStatus
from marketplace.allocations.notify import acceptance_overdue, overdue_sweep
from marketplace.extensions import db
from marketplace.jobs import tasks
from marketplace.notifications.messages import links_for, message
from marketplace.notifications.models import Notification, NotificationKind
from marketplace.runs.models import MatchingRun
from tests.marketplace.allocations.factories import (
    en,
    make_line,
    offer,
    proposed,
    service_data,
    user,
)


def _overdue_pool(app, with_run: int, without_run: int) -> list[int]:
    """``with_run`` overdue allocations of a run started by oversight_xx and ``without_run``
    overdue ones without a run (their reviewers hear), plus one still in time."""
    with app.app_context():
        run = MatchingRun(region_code="433100", created_by_id=user("oversight_xx").id)
        db.session.add(run)
        db.session.flush()
        made = offer("provider_staff", service_data())
        ids = [proposed(made, make_line(quantity="2"), "2", hours=-1 - i, run_id=run.id).id
               for i in range(with_run)]
        ids += [proposed(made, make_line(quantity="2"), "2", hours=-1).id
                for _ in range(without_run)]
        proposed(made, make_line(quantity="2"), "2", hours=5)
        db.session.commit()
        return ids


def _sweep(app) -> None:
    """The worker's minute-by-minute housekeeping, for this app (another test may have made
    a later one, which a task outside any app context would use)."""
    with app.app_context():
        tasks.housekeeping.call_local()


def _overdue_notes() -> dict[str, list[Notification]]:
    rows = db.session.execute(
        select(User.username, Notification).join(Notification, Notification.user_id == User.id)
        .where(Notification.kind == NotificationKind.acceptance_overdue)
        .order_by(Notification.id)).all()
    out: dict[str, list[Notification]] = {}
    for username, note in rows:
        out.setdefault(username, []).append(note)
    return out


def test_one_notification_per_recipient_per_sweep(app, demo):
    expired = _overdue_pool(app, with_run=5, without_run=2)
    _sweep(app)
    with en(app):
        assert set(db.session.scalars(select(Allocation.id).where(
            Allocation.status == AllocationStatus.expired))) == set(expired)
        notes = _overdue_notes()
        assert {name: len(n) for name, n in notes.items()} == {
            "oversight_xx": 1, "reviewer_jishou": 1, "reviewer_qianzhou": 1}
        officer = notes["oversight_xx"][0]
        assert officer.params["count"] == 5
        assert message(officer) == ("5 allocations expired without an answer; their lines are "
                                    "back in the pool.")
        reviewer = notes["reviewer_jishou"][0]
        assert message(reviewer) == ("2 allocations expired without an answer; their lines "
                                     "are back in the pool.")
        links = links_for([officer, reviewer])
        assert links == {officer.id: "/allocations/released", reviewer.id: "/allocations/released"}
        assert user("oversight_xx").unread_notifications == 1  # the bell counts one
    # the next sweep finds nothing more to say
    _sweep(app)
    with app.app_context():
        assert sum(len(n) for n in _overdue_notes().values()) == 3


def test_a_sweep_of_one_allocation_names_its_amount_and_need(app, demo):
    _overdue_pool(app, with_run=1, without_run=0)
    _sweep(app)
    with en(app):
        [note] = _overdue_notes()["oversight_xx"]
        assert "count" not in note.params
        assert message(note) == ("The allocation of 2.00 hour was not accepted in time; its need "
                                 "line is back in the pool.")
        assert links_for([note])[note.id].startswith("/needs/")


def test_outside_a_sweep_each_expiry_notifies_at_once(app, demo):
    ids = _overdue_pool(app, with_run=2, without_run=0)
    with en(app):
        for allocation_id in ids:
            acceptance_overdue(db.session.get(Allocation, allocation_id))
        assert len(_overdue_notes()["oversight_xx"]) == 2


def test_a_failed_sweep_sends_nothing(app, demo):
    ids = _overdue_pool(app, with_run=2, without_run=0)
    with en(app):
        try:
            with overdue_sweep():
                acceptance_overdue(db.session.get(Allocation, ids[0]))
                raise RuntimeError("the sweep broke")
        except RuntimeError:
            pass
        assert _overdue_notes() == {}
