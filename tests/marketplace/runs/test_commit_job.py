"""Approval as a background job: the request records it, the job creates the allocations in
one transaction, a failure (or a dead worker) returns the run to done with the reason.

Jobs run at once in tests (immediate mode) unless a test puts a real queue in between
(``real_queue``); tests/marketplace/jobs/test_worker.py kills a real worker mid-approval.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text

from marketplace.accounts.models import Role
from marketplace.allocations import services as allocation_services
from marketplace.allocations.models import Allocation
from marketplace.audit.models import AuditEvent
from marketplace.catalog.vocab import LineKind
from marketplace.common.models import utcnow
from marketplace.extensions import db
from marketplace.jobs import queue, tasks
from marketplace.jobs.progress import APPROVAL_INTERRUPTED, fail_stale_runs, stale_after
from marketplace.runs import commit as commit_module
from marketplace.runs.commit import CommitError, discard_run, request_commit
from marketplace.runs.models import (
    AssignmentDecision,
    MatchingRun,
    RunAssignment,
    RunStage,
    RunStatus,
)
from tests.marketplace.allocations.factories import (
    en,
    funds_data,
    make_line,
    offer,
    service_data,
    user,
)
from tests.marketplace.jobs.queues import real_queue
from tests.marketplace.runs.run_factories import finished_run, set_demo_pool_aside

EN = {"Accept-Language": "en"}


@pytest.fixture
def done_run(app, demo) -> int:
    """A done run of 湘西州: two home-care lines for one offer, funds lines in two counties."""
    with app.app_context():
        set_demo_pool_aside()
        make_line(quantity="20"), make_line(quantity="10")
        offer("provider_staff", service_data())
        make_line(LineKind.funds, "medical", "400")
        make_line(LineKind.funds, "medical", "400", region_code="433123101")
        offer("charity_staff", funds_data())
        run_id = finished_run().id
        db.session.commit()
        return run_id


@pytest.fixture
def queued(app, tmp_path):
    """Jobs go to a real (SQLite) queue instead of running at once: nothing runs them."""
    with real_queue(app, f"sqlite:///{tmp_path / 'jobs.db'}"):
        yield


def _run(app, run_id: int) -> MatchingRun:
    with app.app_context():
        run = db.session.get(MatchingRun, run_id)
        db.session.expunge(run)
        return run


def _allocations(app, run_id: int) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Allocation.id)).where(
            Allocation.run_id == run_id))


def _decisions(app, run_id: int) -> set[AssignmentDecision]:
    with app.app_context():
        return set(db.session.scalars(select(RunAssignment.decision).where(
            RunAssignment.run_id == run_id)))


def test_the_request_records_the_approval_and_the_job_commits_it(app, login, done_run):
    client = login("oversight_xx")
    response = client.post(f"/runs/{done_run}/commit", {"scope": "counties",
                                                        "county": ["433123", "433101"]})
    assert response.status_code == 302 and response.headers["Location"].endswith(
        f"/runs/{done_run}")
    run = _run(app, done_run)
    assert run.status == RunStatus.committed and run.stage is None and run.progress == 100
    assert run.error == "" and run.committed_at is not None
    asked = run.summary["commit_request"]
    assert (asked["scope"], asked["counties"], asked["assignments"], asked["pairs"]) == (
        "counties", ["433101", "433123"], [], 4)
    with app.app_context():
        officer = user("oversight_xx")
        assert asked["by"] == officer.id == run.committed_by_id
        actions = list(db.session.scalars(select(AuditEvent.action).where(
            AuditEvent.object_type == "matching_runs").order_by(AuditEvent.id)))
    assert actions[-2:] == ["run.commit_request", "run.commit"]
    assert run.summary["commit"]["committed"] == _allocations(app, done_run) == 4
    page = client.get(f"/runs/{done_run}", headers=EN).get_data(as_text=True)
    assert "Approved: 4 allocations proposed to providers." in page
    assert "not approved" not in page and "left out because" not in page
    assert 'data-active="false"' in page


def test_while_the_job_waits_the_page_follows_it_and_a_second_post_changes_nothing(
        app, login, done_run, queued):
    client = login("oversight_xx")
    client.post(f"/runs/{done_run}/commit", {"scope": "all"}, headers=EN)
    assert queue.huey.pending_count() == 1
    run = _run(app, done_run)
    assert (run.status, run.stage, run.progress, run.heartbeat_at) == (
        RunStatus.committing, RunStage.committing, 0, None)
    job_id = run.job_id
    assert _allocations(app, done_run) == 0 and _decisions(app, done_run) == {
        AssignmentDecision.proposed}

    data = client.get(f"/runs/{done_run}/progress.json", headers=EN).get_json()
    assert data["status"] == "committing" and data["active"] is True
    assert data["status_label"] == "Being approved"
    assert data["stage_label"].startswith("Creating the allocations")
    page = client.get(f"/runs/{done_run}", headers=EN).get_data(as_text=True)
    assert 'data-active="true"' in page and "The approval is creating the allocations" in page
    assert "Approve all" not in page

    for url, data in ((f"/runs/{done_run}/commit", {"scope": "all"}),
                      (f"/runs/{done_run}/discard", {})):
        client.post(url, data, headers=EN)
        page = client.get(f"/runs/{done_run}", headers=EN).get_data(as_text=True)
        assert "This run is being approved already" in page
    assert queue.huey.pending_count() == 1
    assert _run(app, done_run).job_id == job_id

    with app.app_context():  # what the worker does with the queued job
        assert tasks.execute_commit(done_run) == RunStatus.committed
        assert tasks.execute_commit(done_run) is None  # delivered twice: done once
    assert _run(app, done_run).status == RunStatus.committed
    assert _allocations(app, done_run) == 4
    client.post(f"/runs/{done_run}/commit", {"scope": "all"}, headers=EN)
    page = client.get(f"/runs/{done_run}", headers=EN).get_data(as_text=True)
    assert "already approved or discarded" in page and _allocations(app, done_run) == 4


@pytest.mark.parametrize("data, message", [
    ({"scope": "counties"}, "Choose at least one county or pair"),
    ({"scope": "pairs", "assignment": ["999999"]}, "Choose at least one county or pair"),
])
def test_an_empty_choice_is_refused_in_the_request(app, login, done_run, data, message):
    client = login("oversight_xx")
    client.post(f"/runs/{done_run}/commit", data, headers=EN)
    assert message in client.get(f"/runs/{done_run}", headers=EN).get_data(as_text=True)
    run = _run(app, done_run)
    assert run.status == RunStatus.done and "commit_request" not in run.summary


def test_an_unexpected_error_in_the_job_undoes_the_approval(app, login, done_run,
                                                            monkeypatch):
    """Allocations were already flushed when it broke: none is kept, the run is back to
    done with the reason, and it can be approved again."""
    def broken(created):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(commit_module, "_notify_providers", broken)
    client = login("oversight_xx")
    client.post(f"/runs/{done_run}/commit", {"scope": "all"}, headers=EN)
    run = _run(app, done_run)
    first, detail = run.error.split("\n")
    assert run.status == RunStatus.done and run.stage is None and run.committed_at is None
    assert first == tasks.UNEXPECTED_COMMIT and detail == "ZeroDivisionError: division by zero"
    assert _allocations(app, done_run) == 0
    assert _decisions(app, done_run) == {AssignmentDecision.proposed}
    with app.app_context():
        assert db.session.scalar(select(AuditEvent.action).where(
            AuditEvent.action.like("run.commit%")).order_by(AuditEvent.id.desc()).limit(1)
        ) == "run.commit_failed"
    page = client.get(f"/runs/{done_run}", headers=EN).get_data(as_text=True)
    assert "The approval did not go through; nothing was allocated:" in page
    assert "unexpected error" in page and "Approve all" in page

    monkeypatch.undo()
    client.post(f"/runs/{done_run}/commit", {"scope": "all"}, headers=EN)
    run = _run(app, done_run)
    assert run.status == RunStatus.committed and run.error == ""
    assert _allocations(app, done_run) == 4
    assert "did not go through" not in client.get(f"/runs/{done_run}", headers=EN).get_data(
        as_text=True)


def test_a_domain_error_in_the_job_is_the_reason_in_the_officers_language(
        app, login, done_run, queued):
    """The officer lost the right to decide between the request and the job."""
    login("oversight_xx").post(f"/runs/{done_run}/commit", {"scope": "all"}, headers=EN)
    with app.app_context():
        user("oversight_xx").role = Role.caseworker
        db.session.commit()
        assert tasks.execute_commit(done_run) == RunStatus.done
    run = _run(app, done_run)
    assert run.status == RunStatus.done
    assert run.error.startswith("Only an oversight officer of this region")
    assert _allocations(app, done_run) == 0


def test_a_stale_check_during_the_job_wins_and_the_job_keeps_nothing(
        app, demo, done_run, queued, monkeypatch):
    """If the heartbeat was taken for stale while the job worked (the run returned to done),
    the job's work is rolled back rather than committing a run nobody is approving."""
    with app.app_context():
        request_commit(user("oversight_xx"), db.session.get(MatchingRun, done_run))
        db.session.commit()
    real = allocation_services.committed_by_offer

    def meanwhile(offer_ids):
        with app.app_context():  # another session: the stale rule returns the run
            db.session.execute(text("UPDATE matching_runs SET status = 'done' WHERE id = :id"),
                               {"id": done_run})
            db.session.commit()
        return real(offer_ids)

    monkeypatch.setattr(allocation_services, "committed_by_offer", meanwhile)
    with app.app_context():
        assert tasks.execute_commit(done_run) is None
    run = _run(app, done_run)
    assert run.status == RunStatus.done and run.committed_at is None
    assert _allocations(app, done_run) == 0
    assert _decisions(app, done_run) == {AssignmentDecision.proposed}


def test_stale_approvals_go_back_to_done(app, demo, done_run, queued):
    """A killed worker leaves its approval committing with a heartbeat that no longer moves:
    the stale rule returns it to done (its transaction died with it: nothing allocated). An
    approval no worker has taken yet (no heartbeat) waits in the queue."""
    with app.app_context():
        request_commit(user("oversight_xx"), db.session.get(MatchingRun, done_run))
        db.session.commit()
        run = db.session.get(MatchingRun, done_run)
        assert fail_stale_runs() == 0  # not taken yet
        now = utcnow()
        run.heartbeat_at = now - timedelta(seconds=1)
        db.session.commit()
        assert fail_stale_runs(now) == 0  # fresh
        run.heartbeat_at = now - stale_after() - timedelta(seconds=1)
        db.session.commit()
        assert fail_stale_runs(now) == 1
        db.session.commit()
        db.session.refresh(run)
        assert (run.status, run.stage, run.error) == (RunStatus.done, None,
                                                      APPROVAL_INTERRUPTED)
        assert tasks.execute_commit(done_run) is None  # the job, turning up late: nothing
        # approved again: the new request clears the reason
        request_commit(user("oversight_xx"), run)
        db.session.commit()
        assert run.error == "" and run.status == RunStatus.committing
    assert _allocations(app, done_run) == 0


def test_the_run_page_returns_a_stale_approval_to_done(app, login, done_run, queued):
    client = login("oversight_xx")
    client.post(f"/runs/{done_run}/commit", {"scope": "all"}, headers=EN)
    with app.app_context():
        old = utcnow() - stale_after() - timedelta(seconds=5)
        db.session.get(MatchingRun, done_run).heartbeat_at = old
        db.session.commit()
    data = client.get(f"/runs/{done_run}/progress.json", headers=EN).get_json()
    assert data["status"] == "done" and data["active"] is False
    page = client.get(f"/runs/{done_run}", headers=EN).get_data(as_text=True)
    assert "The approval was interrupted (its worker stopped); nothing was allocated." in page
    assert "Approve all" in page


def test_progress_is_reported_while_the_job_works(app, demo, done_run, queued, monkeypatch):
    """The job's progress reaches the run row through the reporter's own connection while
    the job's transaction is still open."""
    monkeypatch.setattr("marketplace.jobs.progress.MIN_WRITE_GAP", 0.01)
    with app.app_context():
        request_commit(user("oversight_xx"), db.session.get(MatchingRun, done_run))
        db.session.commit()
    seen = []
    real = allocation_services.committed_by_offer

    def watching(offer_ids):  # called after the job reported 5 %, before any write of its own
        for _ in range(200):
            with app.app_context():
                row = db.session.get(MatchingRun, done_run)
                if row.progress >= 5:
                    seen.append((row.status, row.stage, row.progress))
                    break
            threading_wait(0.02)
        return real(offer_ids)

    monkeypatch.setattr(allocation_services, "committed_by_offer", watching)
    with app.app_context():
        assert tasks.execute_commit(done_run) == RunStatus.committed
    assert seen == [(RunStatus.committing, RunStage.committing, 5)]


def threading_wait(seconds: float) -> None:
    import threading
    threading.Event().wait(seconds)


def test_discard_stays_in_the_request(app, login, done_run, queued):
    login("oversight_xx").post(f"/runs/{done_run}/discard", {})
    assert queue.huey.pending_count() == 0
    assert _run(app, done_run).status == RunStatus.discarded


def test_commit_run_directly_still_refuses_a_run_being_approved(app, demo, done_run, queued):
    with en(app):
        run = db.session.get(MatchingRun, done_run)
        request_commit(user("oversight_xx"), run)
        with pytest.raises(CommitError, match="being approved already"):
            commit_module.commit_run(user("oversight_xx"), run)
        with pytest.raises(CommitError, match="being approved already"):
            discard_run(user("oversight_xx"), run)
        assert Decimal(0) == db.session.scalar(select(func.count(Allocation.id)))
