"""A running job's latest progress beside the database, in the job queue's own key/value store.

On SQLite a job's transaction holds the database's write lock from its first write until it
commits (an approval is one transaction, so for most of its length), and the progress the
:class:`~marketplace.jobs.progress.Reporter` writes to the run row through its own
connection cannot be saved meanwhile: the run page froze at 30–35 % during a long approval.
So the reporter also puts every progress value, with the time, into the queue's storage
(Huey's ``put``/``get``: a table of the queue's own SQLite file, or Redis), which no
transaction of the site ever holds, and the run page reads it while the run is running or
committing. That file is shared by the web processes and the workers just as the queue is.

The row stays the record: the store only adds a fresher value for a run still at work, and
is cleared when its job ends. A store that cannot be reached costs nothing but freshness.
On PostgreSQL the row's own progress works; the store is written and read all the same.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from flask import current_app, has_app_context

from marketplace.jobs import queue
from marketplace.runs.models import MatchingRun, RunStage, RunStatus

log = logging.getLogger(__name__)

#: Statuses in which a worker reports progress.
AT_WORK = (RunStatus.running, RunStatus.committing)


def _key(run_id: int) -> str:
    return f"progress:{int(run_id)}"


def _storage_ready() -> None:
    if has_app_context():
        queue.use(current_app)


def put(run_id: int, status: RunStatus, stage: RunStage | None, percent: int,
        at: datetime) -> bool:
    """Record ``run_id``'s latest progress (while in ``status``) at ``at``; False when the
    store could not be written."""
    try:
        queue.huey.put(_key(run_id), {"status": str(status), "stage": stage and str(stage),
                                      "percent": int(percent), "at": at.isoformat()})
    except Exception as exc:  # the store is a convenience: never stop a job for it
        log.info("run %s: live progress not stored (%s)", run_id, exc)
        return False
    return True


def peek(run: MatchingRun) -> dict[str, Any] | None:
    """The stored progress of ``run`` while it is at work in the status the value was written
    in (``stage``, ``percent``, ``at`` as a datetime), else None."""
    if run.status not in AT_WORK:
        return None
    _storage_ready()
    try:
        value = queue.huey.get(_key(run.id), peek=True)
    except Exception as exc:
        log.info("run %s: live progress not read (%s)", run.id, exc)
        return None
    if not isinstance(value, dict) or value.get("status") != str(run.status):
        return None
    try:
        stage = RunStage(value["stage"]) if value.get("stage") else None
        return {"stage": stage, "percent": int(value["percent"]),
                "at": datetime.fromisoformat(value["at"])}
    except (KeyError, ValueError, TypeError):
        return None


def clear(run_id: int) -> None:
    """Forget ``run_id``'s stored progress (its job starts or ends)."""
    try:
        queue.huey.get(_key(run_id), peek=False)
    except Exception as exc:
        log.info("run %s: live progress not cleared (%s)", run_id, exc)


def current(run: MatchingRun) -> tuple[RunStage | None, int]:
    """``(stage, percent)`` to show for ``run``: the stored value when it is further on than
    the row's (progress never goes back), else the row's."""
    stored = peek(run)
    if stored is not None and stored["percent"] >= (run.progress or 0):
        return stored["stage"] or run.stage, stored["percent"]
    return run.stage, run.progress


def alive_since(run: MatchingRun) -> datetime | None:
    """When ``run``'s worker last reported, from the row's heartbeat or the store, whichever
    is later (a heartbeat the row could not take is in the store)."""
    stored = peek(run)
    times = [t for t in (run.heartbeat_at, stored and stored["at"]) if t is not None]
    return max(times) if times else None
