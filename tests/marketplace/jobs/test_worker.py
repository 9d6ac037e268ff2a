"""A real ``flask worker`` process: it runs a queued run, and killed mid-run it leaves no
trace but a run that the next worker marks failed; it commits a run's approval, and killed
mid-approval it allocates nothing and the next worker returns the run to done.

The queue is ``NUANXIN_QUEUE_URL`` when set (``.ci/run`` runs these tests once more against a
real Redis server), else a temporary SQLite file. The database is the test database, so the
worker process and the test see the same rows.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from marketplace.allocations.models import Allocation
from marketplace.extensions import db
from marketplace.jobs import queue
from marketplace.jobs.progress import STALE_INTERVALS, WORKER_STOPPED
from marketplace.runs.models import MatchingRun, RunAssignment, RunDocument, RunStatus
from marketplace.runs.services import Policy, start_run
from tests.marketplace.allocations.factories import user
from tests.marketplace.jobs.queues import real_queue
from tests.marketplace.runs.run_factories import set_demo_pool_aside
from tests.marketplace.runs.test_pipeline import small_pool

pytestmark = pytest.mark.jobs

ROOT = Path(__file__).resolve().parents[3]
HEARTBEAT = 0.5  # the workers' heartbeat here: stale after STALE_INTERVALS × 0.5 s


@pytest.fixture
def queue_url(app, tmp_path) -> Iterator[str]:
    """The shared queue of the test and its workers, empty at the start and at the end."""
    url = os.environ.get("NUANXIN_QUEUE_URL") or f"sqlite:///{tmp_path / 'jobs.db'}"
    with real_queue(app, url):
        yield url


class Workers:
    """Starts ``flask worker`` processes; kills any left at the end."""

    def __init__(self, app, url: str, logs: Path):
        self.env = {**os.environ, "NUANXIN_ENV": "testing", "SECRET_KEY": "test-secret",
                    "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
                    "NUANXIN_QUEUE_URL": url, "NUANXIN_HEARTBEAT_SECONDS": str(HEARTBEAT)}
        self.logs = logs
        self.procs: list[subprocess.Popen] = []

    def start(self) -> subprocess.Popen:
        log = open(self.logs / f"worker-{len(self.procs)}.log", "wb")  # noqa: SIM115
        proc = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "app", "worker", "--no-periodic"],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        self.procs.append(proc)
        return proc

    def log(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in sorted(self.logs.glob("*.log")))

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)  # Huey's consumer stops on SIGINT
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


@pytest.fixture
def workers(app, queue_url, tmp_path) -> Iterator[Workers]:
    w = Workers(app, queue_url, tmp_path)
    yield w
    w.stop_all()


def _status(app, run_id: int) -> MatchingRun:
    with app.app_context():
        run = db.session.get(MatchingRun, run_id)
        db.session.expunge(run)
        return run


def _wait_for(app, run_id: int, statuses, workers: Workers, timeout: float = 90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = _status(app, run_id)
        if run.status in statuses:
            return run
        time.sleep(0.01)
    pytest.fail(f"run {run_id} still {run.status} after {timeout}s; workers:\n{workers.log()}")


def _start(app, copies: int = 1) -> int:
    with app.app_context():
        set_demo_pool_aside()
        for _ in range(copies):
            small_pool()
        run = start_run(user("oversight_xx"), "433100", policy=Policy(time_limit_s=10))
        db.session.commit()  # enqueued into the shared queue now
        return run.id


def _counts(app, run_id: int) -> tuple[int, int, int]:
    with app.app_context():
        return (
            db.session.scalar(select(func.count(RunAssignment.id))
                              .where(RunAssignment.run_id == run_id)),
            db.session.scalar(select(func.count(RunDocument.id))
                              .where(RunDocument.run_id == run_id)),
            db.session.scalar(select(func.count(Allocation.id))))


def test_a_worker_process_runs_a_queued_run(app, demo, workers):
    run_id = _start(app)
    assert queue.huey.pending_count() == 1
    workers.start()
    run = _wait_for(app, run_id, {RunStatus.done, RunStatus.failed}, workers)
    assert run.status == RunStatus.done, f"{run.error}\n{workers.log()}"
    assert run.progress == 100 and run.started_at is not None
    assignments, documents, allocations = _counts(app, run_id)
    assert assignments > 0 and documents == 3 and allocations == 0


class Hold:
    """Keeps a running run from finishing, so that the worker can be killed in the middle.

    PostgreSQL: an exclusive lock on ``run_documents``, taken before the run starts: the
    worker claims the run and writes its proposed assignments, then waits to replace the
    run's documents. SQLite: a read transaction (a shared lock) taken once the run is seen
    running: the worker writes, then cannot commit.
    """

    #: The table locked on PostgreSQL, and the status the run must be in to be held.
    table = "run_documents"
    status = RunStatus.running

    def __init__(self, app):
        self.url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
        self.conn = None

    @property
    def postgres(self) -> bool:
        return self.url.get_backend_name() == "postgresql"

    def before_start(self) -> None:
        if self.postgres:
            self.engine = create_engine(self.url)
            self.conn = self.engine.connect()
            self.conn.execute(text(f"LOCK TABLE {self.table} IN ACCESS EXCLUSIVE MODE"))

    def once_running(self, run_id: int) -> bool:
        """Hold the database; False when the run finished before it could be held."""
        if self.postgres:
            return True
        self.conn = sqlite3.connect(self.url.database, isolation_level=None)
        self.conn.execute("BEGIN")
        status = self.conn.execute("SELECT status FROM matching_runs WHERE id = ?",
                                   (run_id,)).fetchone()[0]
        if status != self.status:
            self.release()
            return False
        return True

    def release(self) -> None:
        if self.conn is not None:
            if self.postgres:
                self.conn.rollback()
                self.conn.close()
                self.engine.dispose()
            else:
                self.conn.rollback()
                self.conn.close()
            self.conn = None


def test_a_worker_killed_mid_run_commits_nothing_and_the_run_ends_failed(app, demo, workers):
    hold = Hold(app)
    try:
        for _attempt in range(3):  # SQLite: a run that finished before it was held is retried
            hold.before_start()
            run_id = _start(app, copies=10)
            worker = workers.start()
            _wait_for(app, run_id, {RunStatus.running, RunStatus.done, RunStatus.failed},
                      workers)
            if hold.once_running(run_id):
                break
            workers.stop_all()
            with app.app_context():
                db.session.execute(text("DELETE FROM run_assignments"))
                db.session.execute(text("DELETE FROM run_documents"))
                db.session.execute(text("DELETE FROM matching_runs"))
                db.session.commit()
        else:
            pytest.fail("the runs finished before they could be held")
        time.sleep(1.5)  # the worker goes on until it waits for the held database
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        hold.release()

    run = _status(app, run_id)
    assert run.status == RunStatus.running  # nobody finished it...
    assert _counts(app, run_id) == (0, 0, 0)  # ...and nothing it wrote was committed
    assert run.summary == {} and run.lines_count == 0

    # The next worker to start finds the heartbeat stale and marks the run failed.
    while (time.time() - run.heartbeat_at.timestamp()) < HEARTBEAT * STALE_INTERVALS + 0.5:
        time.sleep(0.2)
    workers.start()
    run = _wait_for(app, run_id, {RunStatus.failed, RunStatus.done}, workers, timeout=60)
    assert run.status == RunStatus.failed and run.error == WORKER_STOPPED
    assert _counts(app, run_id) == (0, 0, 0)


def _free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("stop", ["ctrl-c", "kill"])
def test_flask_serve_runs_the_site_and_a_worker_in_one_command(app, demo, workers, tmp_path,
                                                               stop):
    """The README's run command: the web server answers, the worker beside it runs a run,
    and one Ctrl+C (SIGINT to the process group) or a kill (SIGTERM to the server) stops
    both."""
    import re
    import urllib.request

    port = _free_port()
    log_path = tmp_path / "serve.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "app", "serve", "--port", str(port)],
            cwd=ROOT, env=workers.env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True)  # its own process group, like a terminal's job
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=5) as r:
                    assert r.status == 200
                    break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, \
                    log_path.read_text()
                time.sleep(0.2)
        run_id = _start(app)
        run = _wait_for(app, run_id, {RunStatus.done, RunStatus.failed}, workers)
        assert run.status == RunStatus.done, log_path.read_text()
        worker_pid = int(re.search(r"job worker started \(pid (\d+)\)",
                                   log_path.read_text()).group(1))
        # The worker yields the CPU to the web server (nice 10 on top of ours).
        mine = os.getpriority(os.PRIO_PROCESS, 0)
        assert os.getpriority(os.PRIO_PROCESS, worker_pid) == min(19, mine + 10)
    finally:
        if stop == "ctrl-c":
            os.killpg(proc.pid, signal.SIGINT)
        else:
            proc.terminate()
        proc.wait(timeout=30)
    with pytest.raises(ProcessLookupError):
        os.kill(worker_pid, 0)


# --- approval (commit) as a job in a real worker ----------------------------------------------

def _request_approval(app, copies: int) -> int:
    """A done run over ``copies`` small pools, approved in all: its job goes to the shared
    queue when the request's transaction commits."""
    from marketplace.runs.commit import request_commit
    from tests.marketplace.runs.run_factories import finished_run

    with app.app_context():
        set_demo_pool_aside()
        for _ in range(copies):
            small_pool()
        run = finished_run()
        request_commit(user("oversight_xx"), run, locale="en")
        db.session.commit()
        return run.id


def _approval_counts(app, run_id: int) -> tuple[int, set[str]]:
    with app.app_context():
        return (db.session.scalar(select(func.count(Allocation.id))
                                  .where(Allocation.run_id == run_id)),
                set(db.session.scalars(select(RunAssignment.decision)
                                       .where(RunAssignment.run_id == run_id))))


def test_a_worker_process_commits_an_approval(app, demo, workers):
    run_id = _request_approval(app, copies=1)
    assert queue.huey.pending_count() == 1
    workers.start()
    run = _wait_for(app, run_id, {RunStatus.committed, RunStatus.done}, workers)
    assert run.status == RunStatus.committed, f"{run.error}\n{workers.log()}"
    allocations, decisions = _approval_counts(app, run_id)
    assert allocations == run.summary["commit"]["committed"] > 0
    assert "proposed" not in decisions


class HoldCommit(Hold):
    """Keeps an approval job from finishing. PostgreSQL: an exclusive lock on
    ``allocations``, taken before the job starts: the worker claims the approval, then waits
    to read what is allocated. SQLite: a read transaction taken once the approval is seen
    claimed: the worker writes the allocations, then cannot commit."""

    table = "allocations"
    status = RunStatus.committing


def _wait_claimed(app, run_id: int, workers: Workers, timeout: float = 60) -> MatchingRun:
    """Until a worker has taken the approval (heartbeat set) or it ended."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = _status(app, run_id)
        if run.status != RunStatus.committing or run.heartbeat_at is not None:
            return run
        time.sleep(0.005)
    pytest.fail(f"approval of run {run_id} not taken after {timeout}s:\n{workers.log()}")


def test_a_worker_killed_mid_approval_allocates_nothing_and_the_run_is_done_again(
        app, demo, workers):
    from marketplace.jobs.progress import APPROVAL_INTERRUPTED

    hold = HoldCommit(app)
    try:
        for _attempt in range(3):  # SQLite: an approval that ended before it was held: again
            run_id = _request_approval(app, copies=10)
            hold.before_start()  # after the run: its pipeline reads allocations too
            worker = workers.start()
            _wait_claimed(app, run_id, workers)
            if hold.once_running(run_id):
                break
            workers.stop_all()
        else:
            pytest.fail("the approvals finished before they could be held")
        time.sleep(1.5)  # the worker goes on until it waits for the held database
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        hold.release()

    run = _status(app, run_id)
    assert run.status == RunStatus.committing  # nobody finished it...
    assert _approval_counts(app, run_id) == (0, {"proposed"})  # ...and nothing was kept
    assert "commit" not in run.summary and run.committed_at is None

    # The next worker to start finds the heartbeat stale and returns the run to done.
    while (time.time() - run.heartbeat_at.timestamp()) < HEARTBEAT * STALE_INTERVALS + 0.5:
        time.sleep(0.2)
    workers.start()
    run = _wait_for(app, run_id, {RunStatus.done, RunStatus.committed}, workers, timeout=60)
    assert run.status == RunStatus.done and run.error == APPROVAL_INTERRUPTED
    assert _approval_counts(app, run_id) == (0, {"proposed"})
