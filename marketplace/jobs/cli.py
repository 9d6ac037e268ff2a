"""``flask worker``: the process that runs the background jobs; ``flask serve``: the
development web server with a worker beside it, the demo's one command."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys

import click
from flask import current_app
from flask.cli import ScriptInfo, with_appcontext
from sqlalchemy.exc import DBAPIError
from werkzeug.serving import run_simple

from marketplace.extensions import db
from marketplace.jobs import queue
from marketplace.jobs.progress import fail_stale_runs


@click.command("worker")
@click.option("--threads", "-w", default=1, show_default=True,
              help="Jobs run at the same time by this process.")
@click.option("--periodic/--no-periodic", default=True, show_default=True,
              help="Also run the every-minute housekeeping (one worker per site is enough).")
@click.option("--quiet", "-q", is_flag=True, help="Log warnings and errors only.")
@click.option("--nice", "niceness", default=0, show_default=True, type=click.IntRange(0, 19),
              help="Lower this process's CPU priority, so that web requests on the same "
                   "machine stay fast while the optimiser works.")
@with_appcontext
def worker_command(threads: int, periodic: bool, quiet: bool, niceness: int) -> None:
    """Run background jobs (matching runs, expiry of overdue allocations).

    The queue is the SQLite file instance/jobs.db, or the Redis server in NUANXIN_QUEUE_URL
    (redis://host:6379/0): start workers on as many machines as you like with the same
    NUANXIN_QUEUE_URL and DATABASE_URL.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    # Runs left running by a worker that died while none was watching.
    try:
        if fail_stale_runs():
            db.session.commit()
    except DBAPIError as exc:
        raise click.ClickException(
            f"cannot read the matching runs ({exc.orig}); is the database migrated "
            "(flask db upgrade heads, or flask seed-demo)?") from exc
    finally:
        db.session.remove()
    if niceness:
        os.nice(niceness)
    logging.basicConfig(level=logging.WARNING if quiet else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # A worker always consumes the real queue, even where the app would run jobs at once.
    queue.init_worker(app)
    target = queue.queue_url(app) or str(queue.DEFAULT_DB)
    click.echo(f"nuanxin worker: {threads} thread(s), queue {_safe(target)}, "
               f"periodic tasks {'on' if periodic else 'off'}")
    # An idle worker polls the queue at most a second apart (Huey's default backs off to 10 s,
    # which an officer would watch as "waiting for a worker"); Redis blocks instead of polling.
    consumer = queue.huey.create_consumer(workers=threads, periodic=periodic, max_delay=1.0,
                                          worker_type="thread", check_worker_health=True)
    consumer.run()


def _safe(url: str) -> str:
    """``url`` without a password."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.rsplit('@', 1)[1]}"
    return url


@click.command("serve")
@click.option("--host", "-h", default="127.0.0.1", show_default=True)
@click.option("--port", "-p", default=5000, show_default=True, type=int)
@click.option("--worker/--no-worker", default=True, show_default=True,
              help="Start a job worker beside the web server.")
@with_appcontext
def serve_command(host: str, port: int, worker: bool) -> None:
    """Serve the site with the development server and a job worker beside it.

    For a demo or development: one command, one Ctrl+C. In production run a WSGI server
    (gunicorn app:app) and `flask worker` processes separately.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    # Ctrl+C and a plain kill both end the server through the ``finally`` below, which stops
    # the worker too (also when started from a shell that ignores SIGINT in the background).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _exit)
    proc = None
    if worker:
        command = [sys.executable, "-m", "flask"]
        script = click.get_current_context().find_object(ScriptInfo)
        if script is not None and script.app_import_path:
            command += ["--app", script.app_import_path]
        # The same environment: the worker reads the same database and queue settings.
        # Niced: on a demo machine the web pages stay quick while the optimiser works.
        proc = subprocess.Popen(command + ["worker", "--nice", "10"])
        click.echo(f"nuanxin serve: job worker started (pid {proc.pid})")
    try:
        run_simple(host, port, app, threaded=True)
    finally:
        if proc is not None:
            _stop(proc)


def _exit(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def _stop(proc: subprocess.Popen) -> None:
    """Let the worker finish its current step (Huey stops on SIGINT), then make sure."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
