"""``flask balance refresh`` and the background jobs."""

from __future__ import annotations

from marketplace.balance import queries, tasks
from marketplace.extensions import db
from marketplace.jobs import tasks as job_tasks
from tests.marketplace.balance.fixture import HUNAN, build_balance_fixture


def test_flask_balance_refresh(app, demo):
    with app.app_context():
        build_balance_fixture()
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["balance", "refresh"])
    assert result.exit_code == 0, result.output
    assert "generation 1" in result.output and "cells" in result.output
    with app.app_context():
        assert queries.state().generation == 1


def test_the_jobs_refresh(app, demo):
    with app.app_context():
        build_balance_fixture()
        db.session.commit()
    # Inside this test's app: a task outside any app context uses the last app made, which
    # an earlier test may have made (with another database).
    with app.app_context():
        tasks.refresh_balance_now.call_local()
        tasks.refresh_balance_task.call_local()
    with app.app_context():
        assert queries.state().generation == 2
        assert queries.overview(HUNAN, queries.Period(2026, 1, 3)).needs_published == 4


def test_the_worker_registers_the_periodic_refresh():
    assert job_tasks.balance_tasks.refresh_balance_task is tasks.refresh_balance_task
    assert tasks.refresh_balance_task.task_class.__name__.endswith("refresh_balance_task")
