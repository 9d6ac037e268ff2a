"""Point the test app at a real queue for a while (jobs otherwise run at once in tests)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask

from marketplace.jobs import queue


@contextmanager
def real_queue(app: Flask, url: str) -> Iterator[None]:
    """Jobs of ``app`` go to the queue at ``url`` (emptied before and after) instead of
    running at once."""
    saved = {key: app.config.get(key) for key in ("NUANXIN_QUEUE_URL", "JOBS_IMMEDIATE")}
    app.config.update(NUANXIN_QUEUE_URL=url, JOBS_IMMEDIATE=False)
    queue.use(app)
    queue.huey.flush()
    try:
        yield
    finally:
        queue.huey.flush()
        for key, value in saved.items():
            if value is None:
                app.config.pop(key, None)
            else:
                app.config[key] = value
        queue.use(app)
