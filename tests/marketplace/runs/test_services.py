"""Who may start runs over which region, the checks on a new run, and which runs one sees."""

from __future__ import annotations

from contextlib import ExitStack
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from marketplace.audit.models import AuditEvent
from marketplace.common.models import utcnow
from marketplace.extensions import db
from marketplace.jobs import queue
from marketplace.runs import services
from marketplace.runs.models import MatchingRun, RunStatus
from marketplace.runs.services import Policy, RunError, may_start, start_run
from tests.marketplace.allocations.factories import en, user
from tests.marketplace.jobs.queues import real_queue
from tests.marketplace.runs.run_factories import make_run


@pytest.mark.parametrize("username, region, allowed", [
    ("oversight_hn", "430000", True),  # the province
    ("oversight_hn", "433123", True),  # a county in the province
    ("oversight_xx", "433100", True),  # own prefecture
    ("oversight_xx", "433101", True),  # a county in it
    ("oversight_xx", "430000", False),  # above its scope
    ("oversight_xx", "430102", False),  # another prefecture's county
    ("reviewer_jishou", "433101", True),  # county reviewer, own county
    ("reviewer_jishou", "433100", False),  # not the prefecture
    ("reviewer_jishou", "433123", False),  # not another county
    ("reviewer_qianzhou", "433101", False),  # township reviewers start no runs
    ("reviewer_qianzhou", "433101001", False),
    ("caseworker_jishou", "433101", False),
    ("provider_staff", "433100", False),
    ("admin", "430000", False),
])
def test_may_start(app, demo, username, region, allowed):
    with app.app_context():
        assert may_start(user(username), region) is allowed


def test_startable_regions_follow_may_start(app, demo):
    with app.app_context():
        reviewer = [r.code for r in services.startable_regions(user("reviewer_jishou"))]
        assert reviewer == ["433101"]
        xx = [r.code for r in services.startable_regions(user("oversight_xx"))]
        assert xx[0] == "433100" and "433101" in xx and "433123" in xx
        assert all(c.startswith("4331") and len(c) == 6 for c in xx)
        assert services.startable_regions(user("caseworker_jishou")) == []
        assert services.startable_regions(user("reviewer_qianzhou")) == []


@pytest.fixture
def queued_only(app):
    """Enqueue into a throwaway SQLite queue instead of running jobs at once, so the tests
    see the run as start_run leaves it."""
    with ExitStack() as stack:
        yield lambda path: stack.enter_context(real_queue(app, f"sqlite:///{path}"))


def test_start_run_queues_audits_and_enqueues_after_commit(app, demo, queued_only, tmp_path):
    queued_only(tmp_path / "jobs.db")
    with app.app_context():
        officer = user("oversight_xx")
        run = start_run(officer, "433100", ["services", "goods", "services"], ["care"],
                        Policy(Decimal("0.05"), False, 12))
        assert queue.huey.pending_count() == 0  # not before the commit
        db.session.commit()
        assert queue.huey.pending_count() == 1
        assert [t.id for t in queue.huey.pending()] == [run.job_id]
        assert (run.status, run.kinds, run.categories) == (
            RunStatus.queued, ["goods", "services"], ["care"])
        assert run.policy == {"coverage_slack": 0.05, "balance": False, "time_limit_s": 12}
        assert run.created_by_id == officer.id
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "run.start"))
        assert event.object_id == str(run.id) and event.actor_id == officer.id


def test_a_rolled_back_run_enqueues_nothing(app, demo, queued_only, tmp_path):
    queued_only(tmp_path / "jobs.db")
    with app.app_context():
        start_run(user("oversight_xx"), "433100")
        db.session.rollback()
        db.session.commit()
        assert queue.huey.pending_count() == 0
        assert db.session.scalar(select(MatchingRun.id)) is None


@pytest.mark.parametrize("username, region, kinds, categories, policy, message", [
    ("oversight_xx", "430102", [], [], Policy(), "cannot start a matching run for this region"),
    ("reviewer_qianzhou", "433101", [], [], Policy(), "cannot start"),
    ("oversight_hn", "439999", [], [], Policy(), "cannot start"),  # no such region
    ("oversight_xx", "433100", ["cash"], [], Policy(), "Unknown kind"),
    ("oversight_xx", "433100", [], ["pets"], Policy(), "Unknown category"),
    ("oversight_xx", "433100", [], [], Policy(coverage_slack=Decimal("1.5")), "between 0 and 1"),
    ("oversight_xx", "433100", [], [], Policy(time_limit_s=0), "between 1 and 600"),
    ("oversight_xx", "433100", [], [], Policy(time_limit_s=601), "between 1 and 600"),
])
def test_start_run_refuses(app, demo, username, region, kinds, categories, policy, message):
    with en(app):
        with pytest.raises(RunError, match=message):
            start_run(user(username), region, kinds, categories, policy)
        assert db.session.scalar(select(MatchingRun.id)) is None


def test_one_active_run_per_region(app, demo, queued_only, tmp_path):
    queued_only(tmp_path / "jobs.db")
    with en(app):
        first = start_run(user("oversight_xx"), "433100")
        db.session.commit()
        with pytest.raises(RunError, match=f"already queued or running \\(run {first.id}\\)"):
            start_run(user("oversight_hn"), "433100")
        db.session.rollback()
        start_run(user("oversight_xx"), "433101")  # another region is fine
        first.status = RunStatus.failed
        db.session.flush()
        again = start_run(user("oversight_xx"), "433100")  # and so is the same once it ended
        # A run whose job was lost in the queue long ago no longer blocks its region.
        long_ago = utcnow() - services.LOST_IN_QUEUE - timedelta(minutes=1)
        again.created_at = long_ago
        db.session.flush()
        third = start_run(user("oversight_xx"), "433100")
        # A running one blocks however old.
        third.status, third.created_at = RunStatus.running, long_ago
        db.session.flush()
        with pytest.raises(RunError, match="already queued or running"):
            start_run(user("oversight_xx"), "433100")


def test_list_runs_in_scope(app, demo):
    with app.app_context():
        ids = {code: make_run(code, status=RunStatus.done).id
               for code in ("433100", "433101", "433123", "430102")}
        db.session.commit()

        def seen(username):
            return {r.id for r in services.list_runs(user(username)).items}

        assert seen("oversight_hn") == set(ids.values())
        assert seen("oversight_xx") == {ids["433100"], ids["433101"], ids["433123"]}
        assert seen("reviewer_jishou") == {ids["433101"]}
        assert seen("reviewer_qianzhou") == set()
        assert seen("caseworker_jishou") == set()


def test_elapsed_and_waiting(app, demo):
    with app.app_context():
        now = utcnow()
        run = make_run(status=RunStatus.queued)
        run.created_at = now - timedelta(minutes=2)
        assert services.elapsed_seconds(run, now) is None
        assert services.waiting_too_long(run, now)
        run.status, run.started_at = RunStatus.running, now - timedelta(seconds=42)
        assert services.elapsed_seconds(run, now) == 42 and not services.waiting_too_long(run)
        run.finished_at = run.started_at + timedelta(seconds=7)
        assert services.elapsed_seconds(run, now) == 7
