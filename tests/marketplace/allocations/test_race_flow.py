"""Two real database sessions at once: the same delivery form twice, two deliveries for the
last units, two deliveries for the last yuan of a contract budget, two caseworkers confirming
a need's last two deliveries.

Runs on PostgreSQL only (``with_for_update`` is a no-op on SQLite); CI sets DATABASE_URL.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from decimal import Decimal

import pytest
from sqlalchemy import func, select, update

from marketplace.allocations import confirm as confirm_module
from marketplace.allocations import flow as flow_module
from marketplace.allocations import services as services_module
from marketplace.allocations.confirm import confirm_delivery
from marketplace.allocations.flow import DeliveryInput, record_delivery
from marketplace.allocations.models import Allocation, Delivery
from marketplace.allocations.services import AllocationError, pledge
from marketplace.contracts.models import Contract
from marketplace.contracts.services import budget_use, contract_offers
from marketplace.extensions import db
from marketplace.needs.models import Need, NeedLine, NeedStatus
from marketplace.needs.services import refresh_match_status
from tests.marketplace.allocations.factories import (
    TODAY,
    active_contract,
    make_line,
    offer,
    service_data,
    user,
)

pytestmark = [pytest.mark.postgres,
              pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgresql"),
                                 reason="needs PostgreSQL (DATABASE_URL)")]


def _race(app, actions: list[Callable[[], object]]) -> list[str]:
    """Run each action in its own thread, app context and connection; commit or roll back."""
    barrier = threading.Barrier(len(actions))
    outcomes: list[str] = []

    def run(action) -> None:
        with app.app_context():
            barrier.wait()
            try:
                action()
                db.session.commit()
                outcomes.append("ok")
            except AllocationError as exc:
                db.session.rollback()
                outcomes.append(str(exc))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(a,)) for a in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


def _slow(monkeypatch, module, name: str) -> None:
    """Widen the window between reading and writing, so that without row locks both
    sessions would read the same state."""
    real = getattr(module, name)

    def slow(*args, **kwargs):
        result = real(*args, **kwargs)
        time.sleep(0.3)
        return result

    monkeypatch.setattr(module, name, slow)


def _pledged(app, quantity="5") -> int:
    with app.app_context():
        allocation = pledge(user("provider_staff"), offer("provider_staff", service_data()),
                            make_line(quantity=quantity), Decimal(quantity))
        db.session.commit()
        return allocation.id


def _deliver(allocation_id: int, quantity: str, key: str):
    def action():
        allocation = db.session.get(Allocation, allocation_id)
        record_delivery(user("provider_staff"), allocation,
                        DeliveryInput(TODAY, Decimal(quantity), form_key=key))
    return action


def _deliveries(app) -> list[Decimal]:
    with app.app_context():
        return list(db.session.scalars(select(Delivery.quantity)))


def test_the_same_form_sent_twice_at_once_records_once(app, demo, monkeypatch):
    allocation_id = _pledged(app)
    _slow(monkeypatch, flow_module, "delivered_by_allocation")
    outcomes = _race(app, [_deliver(allocation_id, "2", "same-key")] * 2)
    assert outcomes == ["ok", "ok"]
    assert _deliveries(app) == [Decimal("2")]


def test_two_deliveries_for_the_last_units(app, demo, monkeypatch):
    allocation_id = _pledged(app)
    _slow(monkeypatch, flow_module, "delivered_by_allocation")
    outcomes = _race(app, [_deliver(allocation_id, "3", "a"), _deliver(allocation_id, "3", "b")])
    assert len(outcomes) == 2 and outcomes.count("ok") == 1
    refused = next(o for o in outcomes if o != "ok")
    assert "2.00" in refused and "3.00" in refused, outcomes  # left, delivered (any language)
    assert _deliveries(app) == [Decimal("3")]


def test_two_deliveries_for_the_last_yuan_of_a_contract_budget(app, demo, monkeypatch):
    with app.app_context():
        contract = active_contract()  # home care at 50 CNY an hour
        home = contract_offers(contract)[0]
        actor = user("volunteer_staff")
        ids = [pledge(actor, home, make_line(quantity="2"), Decimal("2")).id for _ in range(2)]
        # Only a budget lowered behind the site's back can be short (pledges keep committed
        # within it): 150 CNY leave room for one 2-hour visit (100 CNY), not two.
        db.session.execute(update(Contract).where(Contract.id == contract.id)
                           .values(budget=Decimal("150")))
        db.session.commit()
        contract_id = contract.id
    _slow(monkeypatch, services_module, "contract_figures")

    def deliver(allocation_id):
        def action():
            record_delivery(user("volunteer_staff"), db.session.get(Allocation, allocation_id),
                            DeliveryInput(TODAY, Decimal("2")))
        return action

    outcomes = _race(app, [deliver(i) for i in ids])
    assert sorted(outcomes, key=lambda o: o != "ok")[0] == "ok" and outcomes.count("ok") == 1
    refused = next(o for o in outcomes if o != "ok")
    assert "50.00" in refused and "100.00" in refused, outcomes  # left, cost (any language)
    assert _deliveries(app) == [Decimal("2")]
    with app.app_context():
        assert budget_use([db.session.get(Contract, contract_id)])[contract_id].delivered \
            == Decimal("100")


def test_two_caseworkers_confirm_the_last_two_deliveries(app, demo, monkeypatch):
    with app.app_context():
        first = make_line(quantity="2")
        second = NeedLine(need_id=first.need_id, kind=first.kind, category="care",
                          quantity=Decimal("2"), unit="", service_type_id=first.service_type_id)
        db.session.add(second)
        db.session.flush()
        made = offer("provider_staff", service_data())
        actor = user("provider_staff")
        delivery_ids = []
        for line in (first, second):
            allocation = pledge(actor, made, line, Decimal("2"))
            delivery_ids.append(record_delivery(actor, allocation, DeliveryInput(
                TODAY, Decimal("2"))).delivery.id)
        refresh_match_status(actor, db.session.get(Need, first.need_id))
        need_id = first.need_id
        db.session.commit()
    _slow(monkeypatch, confirm_module, "_confirm_allocation")

    def confirmer(delivery_id):
        def action():
            confirm_delivery(user("caseworker_jishou"), db.session.get(Delivery, delivery_id),
                             True)
        return action

    assert _race(app, [confirmer(i) for i in delivery_ids]) == ["ok", "ok"]
    with app.app_context():
        assert db.session.get(Need, need_id).status == NeedStatus.fulfilled
        assert db.session.scalar(select(func.count(Delivery.id)).where(
            Delivery.status == "confirmed")) == 2
