"""The queue's storage choice, tasks in their own app context, enqueue-after-commit."""

from __future__ import annotations

import pytest
from huey.storage import RedisStorage, SqliteStorage

from marketplace import create_app
from marketplace.extensions import db
from marketplace.jobs import queue
from tests.marketplace.jobs.queues import real_queue


def test_storage_for_each_url(tmp_path):
    default = queue.storage_for(None)
    assert isinstance(default, SqliteStorage) and default.filename == str(queue.DEFAULT_DB)
    path = tmp_path / "q" / "jobs.db"
    sqlite = queue.storage_for(f"sqlite:///{path}")
    assert isinstance(sqlite, SqliteStorage) and sqlite.filename == str(path)
    redis = queue.storage_for("redis://127.0.0.1:6399/3")  # no connection until used
    assert isinstance(redis, RedisStorage)
    assert redis.pool.connection_kwargs["db"] == 3 and redis.pool.connection_kwargs["port"] == 6399


@pytest.mark.parametrize("url", ["amqp://broker", "sqlite:///", "postgresql://x/y"])
def test_unknown_queue_urls_are_refused(url):
    with pytest.raises(queue.QueueConfigError):
        queue.storage_for(url)


def test_the_test_app_runs_jobs_at_once(app):
    assert queue.settings(app)[1] is True
    queue.use(app)
    assert queue.huey.immediate


def test_configure_switches_between_a_real_queue_and_immediate(app, tmp_path):
    path = tmp_path / "jobs.db"
    try:
        queue.configure(f"sqlite:///{path}", immediate=False)
        assert not queue.huey.immediate
        assert queue.huey.storage.filename == str(path)
        other = tmp_path / "other.db"
        queue.configure(f"sqlite:///{other}", immediate=False)
        assert queue.huey.storage.filename == str(other)
    finally:
        queue.configure(None, immediate=True)
    assert queue.huey.immediate


seen_sessions: list = []


@queue.app_task()
def _session_probe() -> None:
    seen_sessions.append(db.session())


def test_a_task_gets_its_own_session_even_inside_a_request(app):
    seen_sessions.clear()
    with app.test_request_context():
        mine = db.session()
        _session_probe()  # immediate mode: runs here and now
    assert len(seen_sessions) == 1 and seen_sessions[0] is not mine


def test_enqueue_after_commit_and_not_after_rollback(app, tmp_path):
    with real_queue(app, f"sqlite:///{tmp_path / 'jobs.db'}"), app.app_context():
        queue.enqueue_after_commit(db.session(), _session_probe.s())
        assert queue.huey.pending_count() == 0
        db.session.commit()
        assert queue.huey.pending_count() == 1
        queue.enqueue_after_commit(db.session(), _session_probe.s())
        db.session.rollback()
        db.session.commit()
        assert queue.huey.pending_count() == 1


def test_each_app_keeps_its_own_queue_settings(app, tmp_path):
    """Another app in the same process (a production one, say) does not change where the
    test app's jobs go: the queue is set from the enqueuing app at every enqueue."""
    other = create_app({"NUANXIN_ENV": "development", "SECRET_KEY": "other",
                        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'other.db'}",
                        "NUANXIN_QUEUE_URL": f"sqlite:///{tmp_path / 'jobs.db'}"})
    assert not queue.huey.immediate  # the other app set it up for itself
    seen_sessions.clear()
    with app.app_context():
        queue.enqueue_after_commit(db.session(), _session_probe.s())
        db.session.commit()
    assert queue.huey.immediate and len(seen_sessions) == 1  # ran at once, as tests want
    with other.app_context():
        queue.enqueue(_session_probe.s())
    assert queue.huey.pending_count() == 1 and len(seen_sessions) == 1
    queue.huey.flush()
    queue.init_app(app)  # tasks outside any app context run in the test app again


def test_a_worker_on_an_unmigrated_database_says_what_to_do(app, tmp_path):
    empty = create_app({"NUANXIN_ENV": "testing", "SECRET_KEY": "x",
                        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'empty.db'}"})
    try:
        result = empty.test_cli_runner().invoke(args=["worker"])
    finally:
        queue.init_app(app)
        with empty.app_context():
            db.engine.dispose()
    assert result.exit_code == 1
    assert "is the database migrated" in result.output and "matching_runs" in result.output
    assert not queue._worker  # this process did not become a worker
