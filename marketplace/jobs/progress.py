"""A running job's progress and heartbeat on its run row, and the detection of dead workers.

The pipeline reports ``(stage, percent)`` as it goes. :class:`Reporter` writes them, with a
heartbeat, from a thread of its own through a connection of its own, each write committed at
once: the pipeline's own transaction (which holds what it has computed so far) is never
committed early, and the pipeline never waits for a progress write. That matters because
the progress write may have to wait: the pipeline's transaction may hold the run row (or, on
SQLite, the whole database) until it commits. The thread also refreshes the heartbeat every
``interval`` seconds while the optimiser is busy and reports nothing.

Every value goes first into the queue's own store (:mod:`marketplace.jobs.live`), then to
the row: on SQLite the job's transaction holds the whole database's write lock from its
first write until it commits (for most of an approval), so the row's write then waits only
briefly (:data:`WRITE_WAIT_MS`) and fails; the run page reads the store while the run is at
work, and the stale rules count the store's heartbeat too.

A worker killed mid-run leaves its run ``running`` with a heartbeat that no longer moves;
:func:`fail_stale_runs` turns such runs into ``failed`` ("the worker stopped"). A worker
killed mid-approval leaves the run ``committing``: the same rule returns it to ``done`` ("the
approval was interrupted; nothing was allocated": its transaction died with it), so that it
can be approved again. An approval whose job no worker ever took up (the worker died before
it started, the queue was emptied) has no heartbeat at all; once it has waited longer than
:data:`APPROVAL_LOST_IN_QUEUE` it goes back to ``done`` too ("the approval did not run"), and
a job turning up later finds nothing to take. Workers call
it when they start and every minute, and the run page calls it for the run it shows. Every
write is conditional on the run still running, so a late progress write cannot undo ``done``
or ``failed``, and a stale check cannot undo a run that finished meanwhile.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from marketplace.common.models import utcnow
from marketplace.extensions import db
from marketplace.jobs import live
from marketplace.runs.models import MatchingRun, RunStage, RunStatus

log = logging.getLogger(__name__)

#: Seconds between heartbeats (app config ``JOBS_HEARTBEAT_SECONDS`` or the environment's
#: ``NUANXIN_HEARTBEAT_SECONDS``).
DEFAULT_HEARTBEAT_SECONDS = 5.0
#: A run whose heartbeat is older than this many intervals has lost its worker. Generous,
#: because a heartbeat can be held up while the pipeline's transaction holds the run row.
STALE_INTERVALS = 6
#: Fewest seconds between two progress writes, however often the pipeline reports.
MIN_WRITE_GAP = 0.5
#: How long a progress write waits for a lock before giving up until the next (milliseconds).
WRITE_WAIT_MS = 300
#: An approval no worker has taken up after this long is taken to be lost from the queue.
#: Longer than whatever may sensibly be ahead of it with one worker: a run (time limit at most
#: 600 s, plus building and storing, about 2 minutes at 53k lines) or another approval.
APPROVAL_LOST_IN_QUEUE = timedelta(minutes=15)


def N_(message: str) -> str:  # noqa: N802  (Babel's marker for strings translated later)
    return message


#: The failure reason for a run whose worker stopped (an English msgid, translated on display).
WORKER_STOPPED = N_("The worker stopped before the run finished (it was killed or its machine "
                    "went down). Start the run again.")
#: Why a run is back to waiting for a decision after its approval job's worker stopped.
APPROVAL_INTERRUPTED = N_("The approval was interrupted (its worker stopped); nothing was "
                          "allocated. You may approve the run again.")
#: Why a run is back to waiting for a decision when no worker ever took its approval up.
APPROVAL_NOT_STARTED = N_("The approval did not run (no worker took it up in time); nothing "
                          "was allocated. Approve again.")


def heartbeat_seconds() -> float:
    """The heartbeat interval of the current app."""
    value = current_app.config.get("JOBS_HEARTBEAT_SECONDS") or os.environ.get(
        "NUANXIN_HEARTBEAT_SECONDS") or DEFAULT_HEARTBEAT_SECONDS
    return float(value)


def stale_after() -> timedelta:
    """How old a heartbeat may be before its run counts as abandoned."""
    return timedelta(seconds=heartbeat_seconds() * STALE_INTERVALS)


class Reporter:
    """Writes one run's stage, progress and heartbeat from a background thread.

    ``report`` is the callback handed to the pipeline: it only records the latest values and
    wakes the thread. ``stop`` ends the thread without waiting for it (its write may be
    waiting for the caller's own transaction); ``join`` after the caller has committed.
    """

    def __init__(self, engine: Engine, run_id: int, interval: float,
                 status: RunStatus = RunStatus.running):
        self.engine = engine
        self.run_id = run_id
        self.interval = interval
        self.status = status  # writes only while the run is in this status
        self._lock = threading.Lock()
        self._stage: RunStage | None = None
        self._percent = 0
        self._wake = threading.Event()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"run-{run_id}-progress",
                                         daemon=True)

    def start(self) -> Reporter:
        live.clear(self.run_id)  # nothing of an earlier job of the same run
        self._thread.start()
        return self

    def report(self, stage: RunStage, percent: int) -> None:
        """Record the pipeline's stage and overall percentage (0–100, never going back)."""
        with self._lock:
            self._stage = RunStage(stage)
            self._percent = max(self._percent, min(100, max(0, int(percent))))
        self._wake.set()

    @property
    def stage(self) -> RunStage | None:
        """The last stage reported."""
        with self._lock:
            return self._stage

    def stop(self) -> None:
        self._stopped.set()
        self._wake.set()

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stopped.is_set():
            self._wake.wait(self.interval)
            self._wake.clear()
            if self._stopped.is_set():
                return
            self.write()
            self._stopped.wait(MIN_WRITE_GAP)

    def write(self) -> bool:
        """Write the latest values and a heartbeat now; False when the write failed (it is
        tried again at the next report or heartbeat)."""
        with self._lock:
            values = {"heartbeat_at": utcnow(), "progress": self._percent}
            if self._stage is not None:
                values["stage"] = self._stage
        # First where no transaction of the site can hold it up (the job's own may hold the
        # whole SQLite database): the run page reads it while the run is at work.
        live.put(self.run_id, self.status, values.get("stage"), values["progress"],
                 values["heartbeat_at"])
        try:
            with self.engine.connect() as conn, _short_wait(conn):
                conn.execute(update(MatchingRun)
                             .where(MatchingRun.id == self.run_id,
                                    MatchingRun.status == self.status)
                             .values(**values))
                conn.commit()
        except DBAPIError as exc:  # e.g. SQLite busy while the pipeline writes
            log.info("run %s: progress not written (%s)", self.run_id, exc.orig)
            return False
        return True


@contextmanager
def _short_wait(conn: Connection) -> Iterator[None]:
    """Wait at most :data:`WRITE_WAIT_MS` for a lock: on SQLite the database's write lock
    (the job's own transaction may hold it until it commits; the live store has the values
    meanwhile), restoring the connection's own wait after; on PostgreSQL the run row (the
    job's transaction takes it at its very end), for this transaction only."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{WRITE_WAIT_MS}ms'")
        yield
        return
    if conn.dialect.name != "sqlite":
        yield
        return
    before = conn.exec_driver_sql("PRAGMA busy_timeout").scalar()
    conn.exec_driver_sql(f"PRAGMA busy_timeout = {WRITE_WAIT_MS}")
    try:
        yield
    finally:
        conn.rollback()  # a failed write leaves its transaction open
        conn.exec_driver_sql(f"PRAGMA busy_timeout = {int(before or 0)}")


def _stale_condition(now: datetime, status: RunStatus = RunStatus.running):
    """A run in ``status`` whose worker's heartbeat is stale (an approval not yet claimed by
    a worker has none: see :func:`_lost_condition`)."""
    cutoff = now - stale_after()
    return (MatchingRun.status == status) & (MatchingRun.heartbeat_at < cutoff)


def _lost_condition(now: datetime):
    """An approval no worker has taken up (no heartbeat) since it was requested (the request
    is the run row's last change until a worker claims it) more than
    :data:`APPROVAL_LOST_IN_QUEUE` ago."""
    return ((MatchingRun.status == RunStatus.committing) & MatchingRun.heartbeat_at.is_(None)
            & (MatchingRun.updated_at < now - APPROVAL_LOST_IN_QUEUE))


def _abandoned(status: RunStatus, now: datetime, error: str = APPROVAL_INTERRUPTED) -> dict:
    """What a run whose worker died becomes: a run fails; an approval is undone."""
    if status == RunStatus.committing:
        return {"status": RunStatus.done, "stage": None, "progress": 100, "error": error}
    return {"status": RunStatus.failed, "error": WORKER_STOPPED, "finished_at": now}


def _alive_in_store(run: MatchingRun, now: datetime) -> bool:
    """Whether the live store has a heartbeat of ``run``'s worker newer than the stale limit
    (on SQLite the row cannot take one while the job's transaction holds the database)."""
    if run.heartbeat_at is None:  # not taken up by a worker: nothing in the store
        return False
    seen = live.alive_since(run)
    return seen is not None and seen >= now - stale_after()


def _rules(now: datetime) -> list[tuple[RunStatus, str, object, dict]]:
    """(status, what happened, condition, new values) for every kind of abandoned run."""
    return [
        (RunStatus.running, "lost their worker while running",
         _stale_condition(now, RunStatus.running), _abandoned(RunStatus.running, now)),
        (RunStatus.committing, "lost their worker while committing",
         _stale_condition(now, RunStatus.committing), _abandoned(RunStatus.committing, now)),
        (RunStatus.committing, "had an approval no worker took up", _lost_condition(now),
         _abandoned(RunStatus.committing, now, APPROVAL_NOT_STARTED)),
    ]


def fail_stale_runs(now: datetime | None = None) -> int:
    """Mark every running run whose heartbeat is stale as failed, and return to done every
    run whose approval's heartbeat is stale or whose approval no worker took up in time;
    returns how many (flushes only: the caller commits)."""
    now = now or utcnow()
    total = 0
    for status, what, condition, values in _rules(now):
        candidates = list(db.session.scalars(select(MatchingRun).where(condition)))
        ids = [r.id for r in candidates if not _alive_in_store(r, now)]
        if not ids:
            continue
        result = db.session.execute(
            update(MatchingRun).where(condition, MatchingRun.id.in_(ids))
            .values(**values).execution_options(synchronize_session=False))
        if status == RunStatus.committing and result.rowcount:
            for run in candidates:
                if run.id in ids:
                    _tell_approver(run, values["error"])
        if result.rowcount:
            log.warning("%d matching run(s) %s", result.rowcount, what)
        total += result.rowcount
    return total


def fail_if_stale(run: MatchingRun, now: datetime | None = None) -> bool:
    """For a page showing ``run``: when its heartbeat is stale, mark it failed (a run) or
    back to done (an approval), and return an approval no worker took up in time to done;
    flushes only and returns True when it changed the run. Costs nothing for a run that is
    not running or committing. On PostgreSQL a row that a live worker's transaction holds
    is skipped rather than waited for."""
    now = now or utcnow()
    status = run.status
    if status not in (RunStatus.running, RunStatus.committing):
        return False
    if run.heartbeat_at is None:
        if status != RunStatus.committing or run.updated_at is None or (
                run.updated_at >= now - APPROVAL_LOST_IN_QUEUE):
            return False
        condition, values = _lost_condition(now), _abandoned(status, now, APPROVAL_NOT_STARTED)
    elif run.heartbeat_at >= now - stale_after() or _alive_in_store(run, now):
        return False
    else:
        condition, values = _stale_condition(now, status), _abandoned(status, now)
    locked = db.session.scalar(
        select(MatchingRun.id).where(MatchingRun.id == run.id, condition)
        .with_for_update(skip_locked=True))
    if locked is None:
        return False
    db.session.execute(
        update(MatchingRun).where(MatchingRun.id == run.id, condition)
        .values(**values).execution_options(synchronize_session=False))
    approver = (run.summary or {}).get("commit_request", {}).get("by")
    db.session.refresh(run)
    if status == RunStatus.committing and run.status != status:
        _tell_approver(run, values["error"], approver)
    return run.status != status


def _tell_approver(run: MatchingRun, error: str, approver: int | None = None) -> None:
    """The officer who approved ``run`` hears that the approval came to nothing (the rules
    above returned it to done; flushes only)."""
    from marketplace.accounts.models import User  # notifications import accounts
    from marketplace.notifications.models import NotificationKind
    from marketplace.notifications.services import notify

    approver = approver or (run.summary or {}).get("commit_request", {}).get("by")
    if approver and db.session.get(User, approver) is not None:
        notify([approver], NotificationKind.run_finished, run,
               {"status": "approval_failed", "error": error, "region_code": run.region_code})
