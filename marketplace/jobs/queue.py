"""The job queue: one Huey instance, its storage chosen by ``NUANXIN_QUEUE_URL``.

* No URL: Huey's SQLite storage in ``instance/jobs.db``. It needs no server, so the demo's
  ``flask worker`` beside the web server is all it takes.
* ``redis://host:port/db``: Redis storage. Workers on other machines run the same code with
  the same ``NUANXIN_QUEUE_URL`` and ``DATABASE_URL`` and ``flask worker``.
* ``sqlite:///path/to/jobs.db``: SQLite storage at that path (tests use a temporary one).

The URL comes from the app config or the environment. Under ``NUANXIN_ENV=testing`` tasks run
at once in the calling process instead (Huey's immediate mode), so unit tests need no worker;
the app config's ``JOBS_IMMEDIATE`` overrides that either way. The worker command always
consumes the real queue. The queue is one object per process, while a process (a test run)
may hold several apps: it is set from the enqueuing app's config at every enqueue.

Tasks always run inside a Flask app context of their own, so they have a database session of
their own even when immediate mode runs them inside a web request.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, current_app, has_app_context
from huey import Huey
from huey.api import TaskWrapper
from huey.storage import RedisStorage, SqliteStorage
from sqlalchemy import event
from sqlalchemy.orm import Session

#: The queue's name (a key prefix in Redis, a column value in SQLite).
QUEUE_NAME = "nuanxin"

DEFAULT_DB = Path(__file__).resolve().parents[2] / "instance" / "jobs.db"

#: Where a session keeps the tasks to enqueue once it commits.
PENDING = "nuanxin.jobs.pending"


class QueueConfigError(RuntimeError):
    """``NUANXIN_QUEUE_URL`` names a storage this app cannot use."""


def storage_for(url: str | None) -> Any:
    """The Huey storage for ``url`` (see the module docstring)."""
    if not url:
        DEFAULT_DB.parent.mkdir(parents=True, exist_ok=True)
        return SqliteStorage(QUEUE_NAME, filename=str(DEFAULT_DB))
    scheme = urlsplit(url).scheme
    if scheme in {"redis", "rediss", "unix"}:
        return RedisStorage(QUEUE_NAME, url=url)
    if scheme == "sqlite":
        path = url.removeprefix("sqlite:///")
        if not path or path == url:
            raise QueueConfigError(f"NUANXIN_QUEUE_URL: no file in {url!r}")
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        return SqliteStorage(QUEUE_NAME, filename=path)
    raise QueueConfigError(
        f"NUANXIN_QUEUE_URL must start with redis:// or sqlite:///, got {url!r}")


class NuanxinHuey(Huey):
    """Huey whose storage comes from :attr:`url` (see :func:`storage_for`)."""

    url: str | None = None

    def get_storage(self, **kwargs: Any) -> Any:
        return storage_for(self.url)


#: The one queue. Its storage is set by :func:`configure` (at app start-up); until then it is
#: in memory, so importing this module touches no file and no server. No results are kept:
#: a task's outcome is written where the site reads it (a run's row).
huey = NuanxinHuey(QUEUE_NAME, immediate=True, results=False)

_app: Flask | None = None
_worker = False


def configure(url: str | None, immediate: bool) -> None:
    """Point the queue at ``url`` (None: the default SQLite file), or run tasks at once."""
    changed = url != huey.url
    huey.url = url
    if immediate:
        huey.immediate = True  # Huey swaps in its in-memory storage
    elif huey.immediate:
        huey.immediate = False  # Huey builds the storage through get_storage()
    elif changed:
        huey.storage = huey.create_storage()


def queue_url(app: Flask) -> str | None:
    return app.config.get("NUANXIN_QUEUE_URL") or os.environ.get("NUANXIN_QUEUE_URL") or None


def settings(app: Flask) -> tuple[str | None, bool]:
    """``(queue url, immediate)`` for ``app``: a worker process always uses the real queue."""
    if _worker:
        return queue_url(app), False
    immediate = app.config.get("JOBS_IMMEDIATE", app.config.get("NUANXIN_ENV") == "testing")
    return queue_url(app), bool(immediate)


def use(app: Flask) -> None:
    """Set the queue as ``app`` wants it. The queue is one object per process while a process
    (a test run) may hold several apps, so this runs again before every enqueue."""
    configure(*settings(app))


def init_app(app: Flask) -> None:
    """Remember ``app`` for tasks run by a worker, and set the queue from its config."""
    global _app
    _app = app
    use(app)


def init_worker(app: Flask) -> None:
    """Make this process a worker of ``app``: the real queue, whatever the app's settings."""
    global _worker
    _worker = True
    init_app(app)


def enqueue(task: Any) -> None:
    """Enqueue ``task`` on the queue of the current app (run it now in immediate mode)."""
    if has_app_context():
        use(current_app)
    huey.enqueue(task)


def task_app() -> Flask:
    """The app tasks run in: the current one, else the one :func:`init_app` saw."""
    if has_app_context():
        return current_app._get_current_object()  # type: ignore[attr-defined]
    if _app is None:
        raise RuntimeError("marketplace.jobs: no app; create_app() must run before a task")
    return _app


def _in_app(fn: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        # A new app context means a new database session (Flask-SQLAlchemy scopes sessions by
        # app context), even when immediate mode runs the task inside a request.
        with task_app().app_context():
            return fn(*args, **kwargs)

    return run


def app_task(**options: Any) -> Callable[[Callable[..., Any]], TaskWrapper]:
    """``huey.task`` for a function that needs the Flask app (and its database)."""
    return lambda fn: huey.task(**options)(_in_app(fn))


def app_periodic_task(schedule: Callable[[Any], bool], **options: Any
                      ) -> Callable[[Callable[..., Any]], TaskWrapper]:
    """``huey.periodic_task`` (run by workers started with periodic tasks on) in the app."""
    return lambda fn: huey.periodic_task(schedule, **options)(_in_app(fn))


def enqueue_after_commit(session: Session, task: Any) -> None:
    """Enqueue ``task`` (from ``some_task.s(...)``) once ``session`` commits; drop it if the
    session rolls back. A worker must never see a row its transaction has not committed."""
    if not session.in_transaction():
        session.begin()  # so that a rollback, too, is an event that drops it
    session.info.setdefault(PENDING, []).append(task)


@event.listens_for(Session, "after_commit")
def _enqueue_pending(session: Session) -> None:
    for task in session.info.pop(PENDING, []):
        enqueue(task)


@event.listens_for(Session, "after_soft_rollback")
def _drop_pending(session: Session, previous_transaction: Any) -> None:
    if not previous_transaction.nested:  # a savepoint's rollback keeps the outer work
        session.info.pop(PENDING, None)
