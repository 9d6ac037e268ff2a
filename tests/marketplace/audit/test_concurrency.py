"""Two real database sessions commit events at once: the chain stays one line.

Runs on PostgreSQL only (SQLite has one writer at a time anyway); CI sets DATABASE_URL.
"""

from __future__ import annotations

import os
import threading
import time

import pytest
from sqlalchemy import select

from marketplace.audit import services
from marketplace.audit.models import AuditEvent
from marketplace.audit.services import record_event
from marketplace.audit.verify import verify
from marketplace.extensions import db

pytestmark = pytest.mark.postgres
ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith("postgresql")
ROUNDS, EVENTS = 4, 50


@pytest.mark.skipif(not ON_POSTGRES, reason="needs PostgreSQL (DATABASE_URL)")
def test_two_sessions_committing_events_at_once(app, monkeypatch):
    real_head = services.chain_head

    def slow_head(session=None):  # widen the window between reading the head and writing
        head = real_head(session)
        time.sleep(0.05)
        return head

    monkeypatch.setattr(services, "chain_head", slow_head)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def writer(name: str) -> None:
        with app.app_context():  # its own session and connection
            try:
                for round_ in range(ROUNDS):
                    for i in range(EVENTS):
                        record_event(None, f"{name}.event", object_type="t",
                                     object_id=f"{round_}-{i}", region_code="433101")
                    barrier.wait(timeout=30)  # both transactions open, both commit now
                    db.session.commit()
            except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
                errors.append(exc)
                barrier.abort()
            finally:
                db.session.remove()

    threads = [threading.Thread(target=writer, args=(n,)) for n in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    with app.app_context():
        rows = db.session.execute(select(AuditEvent.seq, AuditEvent.action)
                                  .order_by(AuditEvent.seq)).all()
        total = 2 * ROUNDS * EVENTS
        assert [r.seq for r in rows] == list(range(1, total + 1))
        # each transaction's events are contiguous: the lock is per commit
        runs = sum(1 for prev, cur in zip(rows, rows[1:], strict=False)
                   if prev.action != cur.action)
        assert runs <= 2 * ROUNDS - 1
        report = verify()
        assert report.ok and report.checked == total
