"""A job's progress in the queue's own store: readable while the job's transaction holds the
database (SQLite's write lock during an approval), never going back, never outliving its job."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest

from marketplace.common.models import utcnow
from marketplace.extensions import db
from marketplace.jobs import live
from marketplace.jobs.progress import Reporter, fail_if_stale, stale_after
from marketplace.runs.models import MatchingRun, RunStage, RunStatus
from tests.marketplace.jobs.queues import real_queue
from tests.marketplace.runs.run_factories import make_run


@pytest.fixture
def store(app, tmp_path):
    """The queue (and its store) in a SQLite file of its own, as in production."""
    with real_queue(app, f"sqlite:///{tmp_path / 'jobs.db'}"):
        yield


def _run(app, status=RunStatus.committing, progress=30, **kw) -> int:
    with app.app_context():
        run = make_run(status=status, stage=RunStage.committing, progress=progress,
                       heartbeat_at=utcnow(), **kw)
        db.session.commit()
        return run.id


def test_stored_progress_is_shown_only_while_its_status_lasts(app, demo, store):
    run_id = _run(app)
    with app.app_context():
        run = db.session.get(MatchingRun, run_id)
        assert live.current(run) == (RunStage.committing, 30)  # nothing stored: the row
        live.put(run_id, RunStatus.committing, RunStage.committing, 55, utcnow())
        assert live.current(run) == (RunStage.committing, 55)
        live.put(run_id, RunStatus.committing, RunStage.committing, 10, utcnow())
        assert live.current(run)[1] == 30  # never behind the row
        live.put(run_id, RunStatus.running, RunStage.solving, 80, utcnow())
        assert live.current(run)[1] == 30  # a value of another status (the run before)
        live.put(run_id, RunStatus.committing, RunStage.committing, 65, utcnow())
        run.status = RunStatus.committed
        assert live.peek(run) is None  # the job ended: the row is the record
        run.status = RunStatus.committing
        live.clear(run_id)
        assert live.peek(run) is None


def _wait_for(check, seconds: float = 5.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        threading.Event().wait(0.05)
    return check()


def test_progress_moves_while_the_database_is_held(app, demo, store, login):
    """An approval's transaction holds SQLite's write lock from its first write until it
    commits: the run row cannot take progress meanwhile, the page still sees it move, and a
    heartbeat the row could not take does not make the run look abandoned."""
    run_id = _run(app)
    with app.app_context():  # the row's heartbeat is old: only the store knows it is alive
        db.session.get(MatchingRun, run_id).heartbeat_at = (
            utcnow() - stale_after() - timedelta(seconds=5))
        db.session.commit()
        engine = db.engine
    client = login("oversight_xx")
    progress = lambda: client.get(f"/runs/{run_id}/progress.json").get_json()  # noqa: E731
    holder = engine.raw_connection()
    reporter = Reporter(engine, run_id, 0.2, RunStatus.committing)
    try:
        if engine.dialect.name == "sqlite":
            holder.driver_connection.execute("BEGIN IMMEDIATE")  # SQLite's write lock
        else:  # PostgreSQL: the run row itself, as the approval's final update holds it
            holder.cursor().execute("SELECT id FROM matching_runs WHERE id = %s FOR UPDATE",
                                    (run_id,))
        reporter.report(RunStage.committing, 35)
        assert not reporter.write()  # stored, but the row could not take it
        reporter.start()
        for percent in (35, 55, 65):
            reporter.report(RunStage.committing, percent)
            seen = _wait_for(lambda p=percent: progress()["progress"] == p)
            assert seen, (percent, progress())
        data = progress()
        assert data["status"] == "committing" and data["stage"] == "committing"
        with app.app_context():
            run = db.session.get(MatchingRun, run_id)
            assert run.progress == 30  # the row could take none of it
            assert not fail_if_stale(run)  # alive, says the store
    finally:
        reporter.stop()
        holder.rollback()
        holder.close()
        reporter.join(timeout=10)
    # once the lock is gone the row catches up at the next write
    reporter = Reporter(engine, run_id, 0.2, RunStatus.committing)
    reporter.report(RunStage.committing, 70)
    assert reporter.write()
    with app.app_context():
        assert db.session.get(MatchingRun, run_id).progress == 70


def test_the_page_shows_the_run_when_the_stale_check_cannot_write(app, demo, login,
                                                                   monkeypatch):
    """SQLite held by a job's transaction: the stale check's write fails after its wait; the
    page still answers, with the run as it is."""
    from sqlalchemy.exc import OperationalError

    def locked(run, now=None):
        raise OperationalError("UPDATE matching_runs", {}, Exception("database is locked"))

    monkeypatch.setattr("marketplace.runs.views.fail_if_stale", locked)
    run_id = _run(app)
    client = login("oversight_xx")
    response = client.get(f"/runs/{run_id}/progress.json")
    assert response.status_code == 200
    assert response.get_json()["status"] == "committing"
    assert client.get(f"/runs/{run_id}").status_code == 200
