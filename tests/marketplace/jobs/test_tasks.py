"""The matching job: claim, pipeline, done or failed with a reason, progress on the way.

Jobs run at once here (immediate mode); tests/marketplace/jobs/test_worker.py runs them in a
real worker process.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from marketplace.allocations.models import Allocation
from marketplace.audit.models import AuditEvent
from marketplace.common.models import utcnow
from marketplace.extensions import db
from marketplace.jobs import tasks
from marketplace.jobs.progress import WORKER_STOPPED
from marketplace.notifications.models import Notification, NotificationKind
from marketplace.runs import pipeline
from marketplace.runs.models import MatchingRun, RunAssignment, RunStage, RunStatus
from marketplace.runs.services import Policy, start_run
from tests.marketplace.allocations.factories import en, user
from tests.marketplace.runs.run_factories import make_run, set_demo_pool_aside
from tests.marketplace.runs.test_pipeline import small_pool


def _row(app, run_id):
    """The run as another connection sees it (what the web pages read)."""
    with app.app_context():
        return db.session.get(MatchingRun, run_id)


def _queued(app) -> int:
    with app.app_context():
        run_id = make_run(status=RunStatus.queued).id
        db.session.commit()
        return run_id


def test_a_run_goes_done_with_its_result_notified_and_audited(app, demo, monkeypatch):
    seen = {}

    def fake_execute(run, report):
        seen["status"] = run.status
        report(RunStage.solving, 40)
        run.summary = {"lines": 3}

    monkeypatch.setattr(pipeline, "execute", fake_execute)
    run_id = _queued(app)
    with app.app_context():
        assert tasks.execute_run(run_id) == RunStatus.done
    with app.app_context():
        run = db.session.get(MatchingRun, run_id)
        assert seen["status"] == RunStatus.running
        assert (run.status, run.progress, run.summary, run.error, run.stage) == (
            RunStatus.done, 100, {"lines": 3}, "", None)
        assert run.started_at <= run.finished_at and run.heartbeat_at is not None
        note = db.session.scalar(select(Notification))
        assert (note.user_id, note.kind, note.object_id) == (
            user("oversight_xx").id, NotificationKind.run_finished, str(run_id))
        assert note.params["status"] == "done"
        assert db.session.scalar(select(AuditEvent.action).where(
            AuditEvent.object_type == "matching_runs",
            AuditEvent.object_id == str(run_id))) == "run.done"


def test_a_run_is_run_once_however_often_delivered(app, demo, monkeypatch):
    calls = []
    monkeypatch.setattr(pipeline, "execute", lambda run, report: calls.append(run.id))
    run_id = _queued(app)
    with app.app_context():
        assert tasks.execute_run(run_id) == RunStatus.done
        assert tasks.execute_run(run_id) is None
        assert tasks.execute_run(run_id + 1000) is None  # deleted meanwhile
    assert calls == [run_id]


def test_an_exception_fails_the_run_and_keeps_nothing(app, demo, monkeypatch):
    def broken(run, report):
        report(RunStage.building, 5)
        run.summary = {"half": True}
        db.session.flush()
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(pipeline, "execute", broken)
    run_id = _queued(app)
    with app.app_context():
        assert tasks.execute_run(run_id) == RunStatus.failed
    run = _row(app, run_id)
    first, detail = run.error.split("\n")
    assert run.status == RunStatus.failed and run.summary == {}
    assert run.stage == RunStage.building  # where it stopped
    assert first == tasks.UNEXPECTED and detail == "ZeroDivisionError: division by zero"
    with app.app_context():
        assert db.session.scalar(select(Notification.params)) == {
            "status": "failed", "region_code": "433100"}


def test_a_domain_error_is_the_reason_as_it_is(app, demo, monkeypatch):
    def empty(run, report):
        raise pipeline.EmptyPool("Nothing to match here.")

    monkeypatch.setattr(pipeline, "execute", empty)
    run_id = _queued(app)
    with app.app_context():
        tasks.execute_run(run_id)
    assert _row(app, run_id).error == "Nothing to match here."


def test_progress_is_committed_while_the_pipeline_still_works(app, demo, monkeypatch):
    """report() writes through its own connection: the page sees the stage and percentage
    while the pipeline's own transaction is still open."""
    monkeypatch.setattr("marketplace.jobs.progress.MIN_WRITE_GAP", 0.01)
    run_id = _queued(app)
    seen = []

    def watching(run, report):
        report(RunStage.solving, 37)
        report(RunStage.solving, 20)  # never goes back
        for _ in range(200):
            with app.app_context():  # a separate session: another connection
                row = db.session.get(MatchingRun, run_id)
                if row.progress == 37:
                    seen.append((row.status, row.stage, row.progress))
                    return
            threading.Event().wait(0.02)

    monkeypatch.setattr(pipeline, "execute", watching)
    with app.app_context():
        tasks.execute_run(run_id)
    assert seen == [(RunStatus.running, RunStage.solving, 37)]


def test_a_run_failed_by_a_stale_check_meanwhile_keeps_failed(app, demo, monkeypatch):
    """If a page took the run for abandoned while the pipeline worked, the late result is
    dropped rather than resurrecting the run."""
    def slow(run, report):
        with app.app_context():  # someone else marks it failed meanwhile
            db.session.execute(text("UPDATE matching_runs SET status = 'failed' WHERE id = :id"),
                               {"id": run.id})
            db.session.commit()
        run.summary = {"late": True}

    monkeypatch.setattr(pipeline, "execute", slow)
    run_id = _queued(app)
    with app.app_context():
        assert tasks.execute_run(run_id) == RunStatus.failed
    run = _row(app, run_id)
    assert (run.status, run.summary) == (RunStatus.failed, {})


def test_fail_stale_runs(app, demo):
    from marketplace.jobs.progress import fail_stale_runs, stale_after
    now = utcnow()
    with app.app_context():
        fresh = make_run(heartbeat_at=now - timedelta(seconds=1))
        stale = make_run("433101", heartbeat_at=now - stale_after() - timedelta(seconds=1))
        done = make_run("433123", status=RunStatus.done, heartbeat_at=now - timedelta(days=1))
        db.session.commit()
        assert fail_stale_runs(now) == 1
        db.session.commit()
        db.session.expire_all()
        assert (fresh.status, stale.status, done.status) == (
            RunStatus.running, RunStatus.failed, RunStatus.done)
        assert stale.error == WORKER_STOPPED and stale.finished_at is not None


def test_housekeeping_expires_overdue_allocations(app, demo, monkeypatch):
    calls = []
    monkeypatch.setattr("marketplace.allocations.flow.expire_overdue",
                        lambda now: calls.append(now) or 0, raising=False)
    monkeypatch.setattr("marketplace.allocations.services.expire_overdue",
                        lambda now: calls.append(now) or 0, raising=False)
    tasks.housekeeping.call_local()
    assert len(calls) == 1


# --- the real pipeline on a tiny pool ---------------------------------------------------------

def test_a_real_run_through_the_service_and_the_job(app, demo):
    """start_run → (commit) → the job, at once in tests → assignments stored, run done."""
    with app.app_context():
        set_demo_pool_aside()
        small_pool()
        run = start_run(user("oversight_xx"), "433100", policy=Policy(time_limit_s=5))
        run_id = run.id
        db.session.commit()
    with app.app_context():
        run = db.session.get(MatchingRun, run_id)
        assert run.status == RunStatus.done, run.error
        assert run.progress == 100 and run.lines_count == 7 and run.offers_count == 3
        assert db.session.scalar(select(func.count(RunAssignment.id)).where(
            RunAssignment.run_id == run_id)) > 0
        assert db.session.scalar(select(func.count(Allocation.id))) == 0  # only proposed


@pytest.mark.parametrize("withdraw", ["needs", "offers"])
def test_a_real_run_over_an_empty_pool_fails_saying_so(app, demo, withdraw):
    with en(app):
        set_demo_pool_aside()
        if withdraw == "offers":
            from tests.marketplace.allocations.factories import make_line
            make_line()
        run_id = start_run(user("oversight_xx"), "433100").id
        db.session.commit()
    run = _row(app, run_id)
    assert run.status == RunStatus.failed
    assert ("no open need lines" if withdraw == "needs" else "no open offers") in run.error
