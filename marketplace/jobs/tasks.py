"""The site's background tasks: a matching run, its approval, and the minute-by-minute
housekeeping.

``run_matching(run_id)`` is enqueued by ``runs.services.start_run`` once the run's row is
committed. It claims the run (queued → running, only once however often it is delivered),
hands it to ``marketplace.runs.pipeline.execute(run, report)``, and commits the whole result
in one transaction with the run marked done; any exception rolls all of it back and marks the
run failed with the reason in words. A worker killed in between commits nothing: the
assignments it had written vanish with its transaction, and the stale heartbeat marks the run
failed (:mod:`marketplace.jobs.progress`).

``commit_matching(run_id)`` is enqueued by ``runs.commit.request_commit`` once the run is
``committing``. It claims the approval (only once however often it is delivered), calls
``runs.commit.commit_run`` with the officer and choice the request recorded, in the officer's
language, and commits the allocations, the pairs' decisions and the committed run in one
transaction. Any exception rolls all of it back and returns the run to ``done`` with the
reason in ``error``, so that it can be approved again; a worker killed meanwhile leaves the
same to the stale-heartbeat rule. Either way the officer who approved hears how it ended
(``run_finished`` with status ``committed`` or ``approval_failed``).
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable

from flask import current_app
from flask_babel import force_locale
from huey import crontab
from sqlalchemy import update

from marketplace.accounts.models import User
from marketplace.audit.services import record_event
from marketplace.balance import tasks as balance_tasks  # noqa: F401  (registers its jobs)
from marketplace.common.models import utcnow
from marketplace.extensions import db
from marketplace.jobs import live
from marketplace.jobs.progress import N_, Reporter, fail_stale_runs, heartbeat_seconds
from marketplace.jobs.queue import app_periodic_task, app_task
from marketplace.notifications.models import NotificationKind
from marketplace.notifications.services import notify
from marketplace.runs.models import MatchingRun, RunStage, RunStatus

log = logging.getLogger(__name__)

#: Failure reasons written by this module (English msgids, translated on display; a second
#: line, when there is one, carries the technical detail as it is).
UNEXPECTED = N_("The run stopped on an unexpected error. The worker's log has the details.")
UNEXPECTED_COMMIT = N_("The approval stopped on an unexpected error; nothing was allocated. "
                       "The worker's log has the details.")
NO_PIPELINE = N_("This installation has no matching pipeline (marketplace.runs.pipeline).")
#: Error classes from these packages carry a message meant for the officer.
DOMAIN_PACKAGES = ("marketplace.", "matching.")


def failure_reason(exc: BaseException, unexpected: str = UNEXPECTED) -> str:
    """The officer-facing reason for ``exc``: a domain error's own message (already in
    words), else the fixed sentence ``unexpected`` with the exception's type and message on
    a second line."""
    module = type(exc).__module__ or ""
    message = str(exc).strip()
    if module.startswith(DOMAIN_PACKAGES) and message:
        return message
    detail = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    return f"{unexpected}\n{detail[:500]}"


def _claim(run_id: int) -> bool:
    """queued → running, in a transaction of its own; False if someone else has it or it is
    no longer queued (a task delivered twice runs once)."""
    now = utcnow()
    result = db.session.execute(
        update(MatchingRun)
        .where(MatchingRun.id == run_id, MatchingRun.status == RunStatus.queued)
        .values(status=RunStatus.running, stage=RunStage.building, progress=0, started_at=now,
                heartbeat_at=now, error="")
        .execution_options(synchronize_session=False))
    db.session.commit()
    return result.rowcount == 1


def _finish(run: MatchingRun, status: RunStatus, error: str = "",
            stage: RunStage | None = None) -> bool:
    """running → ``status`` in the current transaction, only if still running (a stale check
    may have failed it meanwhile); ``stage``: where it failed (None when done). Notifies the
    officer who started it."""
    now = utcnow()
    values = {"status": status, "finished_at": now, "heartbeat_at": now, "error": error,
              "stage": stage}
    if status == RunStatus.done:
        values["progress"] = 100
    result = db.session.execute(
        update(MatchingRun)
        .where(MatchingRun.id == run.id, MatchingRun.status == RunStatus.running)
        .values(**values).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        return False
    db.session.refresh(run)
    record_event(None, f"run.{status.value}", run, after={"status": status.value},
                 note=error.splitlines()[0] if error else "")
    if run.created_by_id is not None:
        notify([run.created_by_id], NotificationKind.run_finished, run,
               {"status": status.value, "region_code": run.region_code})
    return True


def _pipeline() -> Callable[..., object]:
    try:
        module = importlib.import_module("marketplace.runs.pipeline")
    except ModuleNotFoundError as exc:
        if exc.name != "marketplace.runs.pipeline":
            raise
        raise LookupError(NO_PIPELINE) from exc
    return module.execute


def execute_run(run_id: int) -> RunStatus | None:
    """Run one matching run to done or failed (see the module docstring); returns the status
    it ended in, or None when the run was not this call's to run."""
    if not _claim(run_id):
        log.info("run %s is not queued: nothing to do", run_id)
        return None
    reporter = Reporter(db.engine, run_id, heartbeat_seconds()).start()
    try:
        run = db.session.get(MatchingRun, run_id)
        _pipeline()(run, reporter.report)
        db.session.flush()
        reporter.stop()  # before the commit: its next write would wait for ours
        ended = _finish(run, RunStatus.done)
        if not ended:  # failed by a stale check meanwhile: keep nothing of it
            db.session.rollback()
        db.session.commit()
        return RunStatus.done if ended else RunStatus.failed
    except Exception as exc:
        reporter.stop()
        db.session.rollback()
        log.exception("matching run %s failed", run_id)
        reason = str(exc) if isinstance(exc, LookupError) and str(exc) == NO_PIPELINE \
            else failure_reason(exc)
        run = db.session.get(MatchingRun, run_id)
        ended = run is not None and _finish(run, RunStatus.failed, reason,
                                            reporter.stage or RunStage.building)
        db.session.commit()
        return RunStatus.failed if ended else None
    finally:
        reporter.join(timeout=30)
        live.clear(run_id)  # the row has it all now


@app_task()
def run_matching(run_id: int) -> None:
    """The background job of one matching run."""
    execute_run(run_id)


def _claim_commit(run_id: int) -> bool:
    """Take the approval of a ``committing`` run no worker has taken yet (its heartbeat is
    unset until then), in a transaction of its own; False if it is not there to take."""
    now = utcnow()
    result = db.session.execute(
        update(MatchingRun)
        .where(MatchingRun.id == run_id, MatchingRun.status == RunStatus.committing,
               MatchingRun.heartbeat_at.is_(None))
        .values(heartbeat_at=now, progress=0, stage=RunStage.committing)
        .execution_options(synchronize_session=False))
    db.session.commit()
    return result.rowcount == 1


def _notify_approver(run: MatchingRun, user_id: int | None, params: dict) -> None:
    """Tell the officer who approved ``run`` how the approval ended (in this transaction)."""
    if user_id and db.session.get(User, user_id) is not None:
        notify([user_id], NotificationKind.run_finished, run,
               {"region_code": run.region_code, **params})


def _undo_approval(run_id: int, job_id: str | None, reason: str,
                   approver_id: int | None = None) -> bool:
    """committing → done with ``reason``, in the current transaction, only if the run is
    still this job's approval (the stale rule may have returned it meanwhile); tells the
    approver."""
    result = db.session.execute(
        update(MatchingRun)
        .where(MatchingRun.id == run_id, MatchingRun.status == RunStatus.committing,
               MatchingRun.job_id == job_id)
        .values(status=RunStatus.done, stage=None, progress=100, error=reason,
                heartbeat_at=utcnow())
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        return False
    run = db.session.get(MatchingRun, run_id)
    db.session.refresh(run)
    record_event(None, "run.commit_failed", run, after={"status": "done"},
                 note=reason.splitlines()[0])
    _notify_approver(run, approver_id, {"status": "approval_failed",
                                        "error": reason.splitlines()[0]})
    return True


def execute_commit(run_id: int) -> RunStatus | None:
    """Carry out the approval recorded on a ``committing`` run (see the module docstring);
    returns committed, done (the approval failed and was undone) or None (not this call's)."""
    from marketplace.runs.commit import commit_run  # runs.commit enqueues this module's task

    if not _claim_commit(run_id):
        log.info("run %s has no approval waiting: nothing to do", run_id)
        return None
    reporter = Reporter(db.engine, run_id, heartbeat_seconds(), RunStatus.committing).start()
    run = db.session.get(MatchingRun, run_id)
    job_id, asked = run.job_id, run.summary.get("commit_request", {})
    locale = asked.get("locale") or current_app.config.get("BABEL_DEFAULT_LOCALE", "zh_CN")
    try:
        with force_locale(locale):
            actor = db.session.get(User, asked.get("by") or 0)
            if actor is None:
                raise LookupError("the approving officer's account is gone")
            report = commit_run(actor, run, asked.get("counties"), asked.get("assignments"),
                                progress=lambda percent: reporter.report(RunStage.committing,
                                                                         percent),
                                claimed=True)
            _notify_approver(run, actor.id, {
                "status": "committed", "committed": report.committed,
                "left_out": len(report.left_out), "not_selected": report.not_selected})
            db.session.flush()
        reporter.stop()  # before the commit: its next write would wait for ours
        db.session.commit()
        return RunStatus.committed
    except Exception as exc:
        reporter.stop()
        db.session.rollback()
        log.exception("approval of run %s failed", run_id)
        with force_locale(locale):
            reason = failure_reason(exc, UNEXPECTED_COMMIT)
        ended = _undo_approval(run_id, job_id, reason, asked.get("by"))
        db.session.commit()
        return RunStatus.done if ended else None
    finally:
        reporter.join(timeout=30)
        live.clear(run_id)  # the row has it all now


@app_task()
def commit_matching(run_id: int) -> None:
    """The background job of one run's approval."""
    execute_commit(run_id)


def _expire_overdue() -> Callable[..., int]:
    """C's ``expire_overdue(now)``, wherever the allocations area exposes it."""
    for name in ("marketplace.allocations.services", "marketplace.allocations.flow"):
        try:
            fn = getattr(importlib.import_module(name), "expire_overdue", None)
        except ModuleNotFoundError:
            fn = None
        if fn is not None:
            return fn
    raise LookupError("marketplace.allocations has no expire_overdue(now) yet: allocations "
                      "waiting past their respond-by time are not expired")


@app_periodic_task(crontab(minute="*"))
def housekeeping() -> None:
    """Every minute, in one worker: expire overdue allocations, and fail runs whose worker
    died. Each part commits on its own, so one failing does not hold up the other."""
    try:
        fail_stale_runs()
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("checking for abandoned runs failed")
    expire = _expire_overdue()
    from marketplace.allocations.notify import overdue_sweep  # allocations imports runs

    with overdue_sweep():  # one notice per officer for the whole sweep
        count = expire(utcnow())
    db.session.commit()
    if count:
        log.info("expired %d allocation(s) past their respond-by time", count)
