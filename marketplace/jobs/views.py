"""The jobs area has no pages: its blueprint carries the ``flask worker`` and ``flask serve``
commands and sets up the queue when the app registers it (blueprints are discovered, so no
central list names this area)."""

from __future__ import annotations

from flask import Blueprint

from marketplace.jobs import queue, tasks  # noqa: F401  (tasks registers the task functions)
from marketplace.jobs.cli import serve_command, worker_command

# cli_group=None: the command is `flask worker`, not `flask jobs worker`.
bp = Blueprint("jobs", __name__, cli_group=None)
bp.cli.add_command(worker_command)
bp.cli.add_command(serve_command)
bp.record_once(lambda state: queue.init_app(state.app))
