"""Background jobs of the balance summaries: every 10 minutes, and on demand.

The worker imports this module through ``marketplace.jobs.tasks`` (which registers it), so the
periodic task runs in every ``flask worker`` with periodic tasks on.
"""

from __future__ import annotations

import logging

from huey import crontab

from marketplace.balance.refresh import refresh
from marketplace.jobs.queue import app_periodic_task, app_task

log = logging.getLogger(__name__)


def _refresh() -> None:
    report = refresh()
    log.info("balance summaries: generation %d, %d cells, %d region-months in %.1f s",
             report.generation, report.cells, report.region_months, report.seconds)


@app_periodic_task(crontab(minute="*/10"))
def refresh_balance_task() -> None:
    """Every 10 minutes: rebuild the balance summaries."""
    _refresh()


@app_task()
def refresh_balance_now() -> None:
    """Rebuild the balance summaries now (an officer's "refresh now"; enqueue it after commit
    with ``marketplace.jobs.queue.enqueue(refresh_balance_now.s())``)."""
    _refresh()
