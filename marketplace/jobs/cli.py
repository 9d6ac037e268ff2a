"""``flask worker``: the process that runs the background jobs."""

from __future__ import annotations

import logging

import click
from flask import current_app
from flask.cli import with_appcontext

from marketplace.extensions import db
from marketplace.jobs import queue
from marketplace.jobs.progress import fail_stale_runs


@click.command("worker")
@click.option("--threads", "-w", default=1, show_default=True,
              help="Jobs run at the same time by this process.")
@click.option("--periodic/--no-periodic", default=True, show_default=True,
              help="Also run the every-minute housekeeping (one worker per site is enough).")
@click.option("--quiet", "-q", is_flag=True, help="Log warnings and errors only.")
@with_appcontext
def worker_command(threads: int, periodic: bool, quiet: bool) -> None:
    """Run background jobs (matching runs, expiry of overdue allocations).

    The queue is the SQLite file instance/jobs.db, or the Redis server in NUANXIN_QUEUE_URL
    (redis://host:6379/0): start workers on as many machines as you like with the same
    NUANXIN_QUEUE_URL and DATABASE_URL.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    logging.basicConfig(level=logging.WARNING if quiet else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # A worker always consumes the real queue, even where the app would run jobs at once.
    queue.init_app(app)
    queue.configure(queue.queue_url(app), immediate=False)
    # Runs left running by a worker that died while none was watching.
    if fail_stale_runs():
        db.session.commit()
    db.session.remove()
    target = queue.queue_url(app) or str(queue.DEFAULT_DB)
    click.echo(f"nuanxin worker: {threads} thread(s), queue {_safe(target)}, "
               f"periodic tasks {'on' if periodic else 'off'}")
    consumer = queue.huey.create_consumer(workers=threads, periodic=periodic,
                                          worker_type="thread", check_worker_health=True)
    consumer.run()


def _safe(url: str) -> str:
    """``url`` without a password."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.rsplit('@', 1)[1]}"
    return url
