"""How an approval job ends, seen from outside: an approval no worker ever took up goes back
to done (nothing allocated), and the officer who approved hears how it ended."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from marketplace.allocations.models import Allocation
from marketplace.common.models import utcnow
from marketplace.extensions import db
from marketplace.jobs import tasks
from marketplace.jobs.progress import (
    APPROVAL_LOST_IN_QUEUE,
    APPROVAL_NOT_STARTED,
    fail_if_stale,
    fail_stale_runs,
)
from marketplace.notifications.messages import message
from marketplace.notifications.models import Notification, NotificationKind
from marketplace.runs import commit as commit_module
from marketplace.runs.commit import request_commit
from marketplace.runs.models import AssignmentDecision, MatchingRun, RunAssignment, RunStatus
from marketplace.runs.services import waiting_too_long
from tests.marketplace.allocations.factories import en, user
from tests.marketplace.runs import test_commit_job as approvals

#: The fixtures of the approval job's tests: a done run of 湘西州, and a queue nobody consumes.
done_run, queued = approvals.done_run, approvals.queued
EN = {"Accept-Language": "en"}
NOT_STARTED_TEXT = ("The approval did not run (no worker took it up in time); nothing was "
                    "allocated. Approve again.")


def _requested_ago(app, run_id: int, ago: timedelta) -> None:
    """Make the approval's request (the row's last change) ``ago`` old."""
    with app.app_context():
        db.session.execute(update(MatchingRun).where(MatchingRun.id == run_id)
                           .values(updated_at=utcnow() - ago))
        db.session.commit()


def _nothing_allocated(app, run_id: int) -> None:
    with app.app_context():
        assert db.session.scalar(select(Allocation.id).where(Allocation.run_id == run_id)
                                 ) is None
        assert set(db.session.scalars(select(RunAssignment.decision).where(
            RunAssignment.run_id == run_id))) == {AssignmentDecision.proposed}


def test_an_approval_no_worker_took_up_goes_back_to_done(app, demo, done_run, queued):
    with app.app_context():
        request_commit(user("oversight_xx"), db.session.get(MatchingRun, done_run))
        db.session.commit()
    _requested_ago(app, done_run, APPROVAL_LOST_IN_QUEUE - timedelta(minutes=1))
    with app.app_context():
        run = db.session.get(MatchingRun, done_run)
        assert waiting_too_long(run)  # the page warns: is a worker running?
        assert fail_stale_runs() == 0  # waiting, not lost yet
        db.session.commit()
    _requested_ago(app, done_run, APPROVAL_LOST_IN_QUEUE + timedelta(seconds=5))
    with app.app_context():
        tasks.housekeeping.call_local()  # the minute-by-minute sweep
        run = db.session.get(MatchingRun, done_run)
        assert (run.status, run.stage, run.error) == (RunStatus.done, None,
                                                      APPROVAL_NOT_STARTED)
        assert not waiting_too_long(run)
        # the lost job, turning up after all, finds nothing to take
        assert tasks.execute_commit(done_run) is None
    _nothing_allocated(app, done_run)
    [(params, text)] = _notes(app, "oversight_xx")  # the approver hears of it
    assert params["status"] == "approval_failed"
    assert text == f"The approval of matching run {done_run} did not go through: " + (
        NOT_STARTED_TEXT)


def test_the_run_page_returns_an_approval_no_worker_took_up(app, login, done_run, queued):
    client = login("oversight_xx")
    client.post(f"/runs/{done_run}/commit", {"scope": "all"}, headers=EN)
    assert client.get(f"/runs/{done_run}/progress.json").get_json()["status"] == "committing"
    _requested_ago(app, done_run, APPROVAL_LOST_IN_QUEUE + timedelta(seconds=5))
    data = client.get(f"/runs/{done_run}/progress.json", headers=EN).get_json()
    assert data["status"] == "done" and data["active"] is False
    page = client.get(f"/runs/{done_run}", headers=EN).get_data(as_text=True)
    assert "The approval did not go through; nothing was allocated:" in page
    assert NOT_STARTED_TEXT in page and "Approve all" in page
    _nothing_allocated(app, done_run)
    assert [p["status"] for p, _ in _notes(app, "oversight_xx")] == ["approval_failed"]
    # approved again, it goes through
    client.post(f"/runs/{done_run}/commit", {"scope": "all"}, headers=EN)
    with app.app_context():
        assert tasks.execute_commit(done_run) == RunStatus.committed
        assert db.session.get(MatchingRun, done_run).error == ""


def test_fail_if_stale_leaves_a_taken_or_recent_approval_alone(app, demo, done_run, queued):
    with app.app_context():
        run = request_commit(user("oversight_xx"), db.session.get(MatchingRun, done_run))
        db.session.commit()
        later = utcnow() + APPROVAL_LOST_IN_QUEUE - timedelta(seconds=5)
        assert not fail_if_stale(run, later)
        run.heartbeat_at = utcnow()  # a worker took it: the heartbeat rule applies instead
        db.session.commit()
        assert not fail_if_stale(run, utcnow() + timedelta(seconds=1))
        assert run.status == RunStatus.committing


def _notes(app, username: str) -> list[tuple[dict, str]]:
    with en(app):
        uid = user(username).id
        notes = db.session.scalars(select(Notification).where(
            Notification.user_id == uid, Notification.kind == NotificationKind.run_finished)
            .order_by(Notification.id))
        return [(n.params, message(n)) for n in notes]


def test_the_approver_hears_what_was_allocated(app, login, done_run):
    login("oversight_xx").post(f"/runs/{done_run}/commit", {"scope": "all"}, headers=EN)
    notes = _notes(app, "oversight_xx")
    assert len(notes) == 1
    params, text = notes[0]
    assert (params["status"], params["committed"], params["left_out"]) == ("committed", 4, 0)
    assert text == (f"Matching run {done_run} is approved: 4 allocations were proposed to the "
                    "providers.")
    with en(app):  # the link leads to the run
        note = db.session.scalar(select(Notification).where(
            Notification.kind == NotificationKind.run_finished))
        from marketplace.notifications.messages import link_for
        assert link_for(note) == f"/runs/{done_run}"


def test_the_approver_hears_when_the_approval_failed(app, login, done_run, monkeypatch):
    def broken(created):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(commit_module, "_notify_providers", broken)
    login("oversight_xx").post(f"/runs/{done_run}/commit", {"scope": "all"}, headers=EN)
    notes = _notes(app, "oversight_xx")
    assert len(notes) == 1
    params, text = notes[0]
    assert params["status"] == "approval_failed"
    assert text == (f"The approval of matching run {done_run} did not go through: The "
                    "approval stopped on an unexpected error; nothing was allocated. The "
                    "worker's log has the details.")
    _nothing_allocated(app, done_run)
