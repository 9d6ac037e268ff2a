"""Two officers commit overlapping runs at the same moment, in two real database sessions:
nothing is allocated twice.

Runs on PostgreSQL only (``with_for_update`` is a no-op on SQLite); CI sets DATABASE_URL.
"""

from __future__ import annotations

import os
import threading
import time
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from marketplace.allocations import services as allocation_services
from marketplace.allocations.models import Allocation
from marketplace.extensions import db
from marketplace.runs.commit import commit_run
from marketplace.runs.models import MatchingRun
from tests.marketplace.allocations.factories import make_line, offer, service_data, user
from tests.marketplace.runs.run_factories import finished_run, set_demo_pool_aside

pytestmark = pytest.mark.postgres
ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith("postgresql")


@pytest.mark.skipif(not ON_POSTGRES, reason="needs PostgreSQL (DATABASE_URL)")
def test_two_sessions_committing_overlapping_runs(app, demo, monkeypatch):
    with app.app_context():
        set_demo_pool_aside()
        lines = [make_line(quantity="20").id, make_line(quantity="20").id]
        service = offer("provider_staff", service_data())  # 40 h: exactly both lines
        # Two runs over the same pool, before either is approved: both propose all 40 h.
        runs = [finished_run("433100").id, finished_run("433101").id]
        offer_id = service.id
        db.session.commit()

    # Widen the window between reading what is left and writing the allocations, so that
    # without row locks both sessions would read "40 h left" and both would allocate.
    real = allocation_services.committed_by_offer

    def slow_committed(offer_ids):
        result = real(offer_ids)
        time.sleep(0.5)
        return result

    monkeypatch.setattr(allocation_services, "committed_by_offer", slow_committed)
    barrier = threading.Barrier(2)
    outcomes: dict[int, tuple[int, int]] = {}
    errors: list[BaseException] = []

    def officer(run_id: int, username: str) -> None:
        with app.app_context():  # its own session and connection
            try:
                run = db.session.get(MatchingRun, run_id)
                actor = user(username)
                barrier.wait()
                report = commit_run(actor, run)
                db.session.commit()
                outcomes[run_id] = (report.committed, len(report.left_out))
            except BaseException as exc:  # reported below, in the main thread
                db.session.rollback()
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=officer, args=(runs[0], "oversight_xx")),
               threading.Thread(target=officer, args=(runs[1], "reviewer_jishou"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    # one run got both lines, the other found nothing left and said so
    assert sorted(outcomes.values()) == [(0, 2), (2, 0)]
    with app.app_context():
        total = db.session.scalar(select(func.sum(Allocation.quantity)).where(
            Allocation.offer_id == offer_id))
        assert total == Decimal("40")
        per_line = dict(db.session.execute(
            select(Allocation.need_line_id, func.sum(Allocation.quantity))
            .group_by(Allocation.need_line_id)).all())
        assert per_line == {lines[0]: Decimal("20"), lines[1]: Decimal("20")}
