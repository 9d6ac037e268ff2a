"""Two real database sessions race for the last budget of a contract: only one wins.

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
from marketplace.allocations.services import AllocationError, pledge
from marketplace.contracts.services import budget_use, contract_offers
from marketplace.extensions import db
from marketplace.needs.models import NeedLine
from marketplace.offers.models import Offer
from tests.marketplace.allocations.factories import active_contract, make_line, user

pytestmark = pytest.mark.postgres
ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith("postgresql")


@pytest.mark.skipif(not ON_POSTGRES, reason="needs PostgreSQL (DATABASE_URL)")
def test_two_sessions_racing_for_the_last_budget(app, demo, monkeypatch):
    with app.app_context():
        contract = active_contract()  # home care: 100 h × 50 CNY, budget 10 000 = Σ lines
        home = contract_offers(contract)[0]
        # Everything but the last 10 hours (500 CNY of the line) is already pledged.
        pledge(user("volunteer_staff"), home, make_line(quantity="90"), Decimal("90"))
        lines = [make_line(quantity="10").id, make_line(quantity="10").id]
        ids = (contract.id, home.id)
        db.session.commit()

    # Widen the window between reading what remains and writing the allocation, so that
    # without row locks both sessions would read "10 left" and both would insert.
    real = allocation_services.covered_by_line

    def slow_covered(line_ids):
        result = real(line_ids)
        time.sleep(0.3)
        return result

    monkeypatch.setattr(allocation_services, "covered_by_line", slow_covered)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def racer(line_id: int) -> None:
        with app.app_context():  # its own session and connection
            offer = db.session.get(Offer, ids[1])
            line = db.session.get(NeedLine, line_id)
            actor = user("volunteer_staff")
            barrier.wait()
            try:
                pledge(actor, offer, line, Decimal("10"))
                db.session.commit()
                outcomes.append("ok")
            except AllocationError:
                db.session.rollback()
                outcomes.append("refused")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=racer, args=(line_id,)) for line_id in lines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["ok", "refused"]
    with app.app_context():
        contract = db.session.get(type(contract), ids[0])
        use = budget_use([contract])[contract.id]
        home_committed = db.session.scalar(
            select(func.sum(Allocation.quantity)).where(Allocation.offer_id == ids[1]))
        assert home_committed == Decimal("100")
        assert use.committed <= use.budget
