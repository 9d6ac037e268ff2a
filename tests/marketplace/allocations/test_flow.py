"""Acceptance (accept, decline, expiry) and deliveries, at the service level."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select, update

from marketplace.accounts.models import User
from marketplace.allocations.flow import (
    DeliveryInput,
    accept,
    close_short,
    decline,
    delivered_by_allocation,
    expire_overdue,
    is_overdue,
    record_delivery,
)
from marketplace.allocations.models import AllocationStatus, Delivery, Payment
from marketplace.allocations.services import (
    AllocationError,
    covered_by_line,
    pledge,
    remaining_capacity,
)
from marketplace.audit.services import events_for
from marketplace.catalog.vocab import LineKind
from marketplace.contracts.models import Contract
from marketplace.contracts.services import budget_use, contract_offers
from marketplace.extensions import db
from marketplace.needs.models import LineStatus, NeedStatus
from marketplace.notifications.models import Notification, NotificationKind
from marketplace.runs.models import MatchingRun
from tests.marketplace.allocations.factories import (
    TODAY,
    active_contract,
    en,
    funds_data,
    make_line,
    offer,
    proposed,
    service_data,
    user,
)


def _notified(kind: NotificationKind) -> set[str]:
    return set(db.session.scalars(
        select(User.username).join(Notification, Notification.user_id == User.id)
        .where(Notification.kind == kind)))


def _setup(quantity="4", hours=24.0):
    made = offer("provider_staff", service_data())
    line = make_line(quantity=quantity)
    return proposed(made, line, quantity, hours=hours), line


def test_accept_once_in_time_audited(app, demo):
    with en(app):
        allocation, _line = _setup()
        accept(user("provider_staff"), allocation)
        assert allocation.status == AllocationStatus.accepted and allocation.responded_at
        assert [e.action for e in events_for("allocations", allocation.id)] == [
            "allocation.accept"]
        with pytest.raises(AllocationError, match="already accepted"):
            accept(user("provider_staff"), allocation)


def test_another_organisation_cannot_answer(app, demo):
    with en(app):
        allocation, _line = _setup()
        with pytest.raises(AllocationError, match="Only staff of the allocated organisation"):
            accept(user("volunteer_staff"), allocation)
        with pytest.raises(AllocationError, match="Only staff of the allocated organisation"):
            decline(user("volunteer_staff"), allocation, "busy")
        assert allocation.status == AllocationStatus.proposed


def test_past_the_deadline_nothing_can_be_answered(app, demo):
    with en(app):
        allocation, _line = _setup(hours=-1)
        assert is_overdue(allocation)
        with pytest.raises(AllocationError, match="can no longer be accepted"):
            accept(user("provider_staff"), allocation)
        with pytest.raises(AllocationError, match="can no longer be accepted"):
            decline(user("provider_staff"), allocation, "too late anyway")
        assert allocation.status == AllocationStatus.proposed


def test_a_pledge_needs_no_acceptance(app, demo):
    with en(app):
        made = offer("provider_staff", service_data())
        allocation = pledge(user("provider_staff"), made, make_line(quantity="3"), Decimal("3"))
        with pytest.raises(AllocationError, match="your own pledge"):
            accept(user("provider_staff"), allocation)


def test_decline_needs_a_reason_and_puts_the_line_back(app, demo):
    with en(app):
        allocation, line = _setup()
        assert line.need.status == NeedStatus.matched and line.status == LineStatus.covered
        with pytest.raises(AllocationError, match="Give the reason"):
            decline(user("provider_staff"), allocation, "   ")
        assert allocation.status == AllocationStatus.proposed
        decline(user("provider_staff"), allocation, "No care worker free that week")
        assert allocation.status == AllocationStatus.declined
        assert allocation.decline_reason == "No care worker free that week"
        assert covered_by_line([line.id])[line.id] == 0
        assert line.status == LineStatus.open and line.need.status == NeedStatus.published
        with pytest.raises(AllocationError, match="already declined"):
            accept(user("provider_staff"), allocation)


def test_expire_overdue_frees_and_notifies(app, demo):
    with en(app):
        late, late_line = _setup(hours=-2)
        run = MatchingRun(region_code="433100", created_by_id=user("oversight_xx").id)
        db.session.add(run)
        db.session.flush()
        made = offer("provider_staff", service_data())
        late_run = proposed(made, make_line(quantity="2"), "2", hours=-1, run_id=run.id)
        on_time, _ = _setup(hours=5)
        assert expire_overdue(datetime.now(UTC)) == 2
        assert (late.status, late_run.status, on_time.status) == (
            AllocationStatus.expired, AllocationStatus.expired, AllocationStatus.proposed)
        assert late_line.status == LineStatus.open
        assert late_line.need.status == NeedStatus.published
        assert [e.action for e in events_for("allocations", late.id)] == ["allocation.expire"]
        # Without a run: the reviewers of the need's area; with one: its creator.
        assert _notified(NotificationKind.acceptance_overdue) == {
            "reviewer_jishou", "reviewer_qianzhou", "oversight_xx"}
        assert expire_overdue(datetime.now(UTC)) == 0
        # Later on, the deadline of the third passes too.
        assert expire_overdue(datetime.now(UTC) + timedelta(hours=6)) == 1


def test_expiry_works_in_batches_longest_overdue_first(app, demo):
    with en(app):
        made = offer("provider_staff", service_data())
        older, newer, newest = (proposed(made, make_line(quantity="1"), "1", hours=h)
                                for h in (-3, -2, -1))
        assert expire_overdue(datetime.now(UTC), limit=2) == 2
        assert (older.status, newer.status, newest.status) == (
            AllocationStatus.expired, AllocationStatus.expired, AllocationStatus.proposed)
        assert expire_overdue(datetime.now(UTC), limit=2) == 1
        assert newest.status == AllocationStatus.expired


def _accepted(quantity="10"):
    allocation, line = _setup(quantity)
    accept(user("provider_staff"), allocation)
    return allocation, line


def test_deliveries_up_to_the_allocated_quantity(app, demo):
    with en(app):
        allocation, _line = _accepted("10")
        actor = user("provider_staff")
        first = record_delivery(actor, allocation, DeliveryInput(TODAY, Decimal("4"), "visit 1"))
        assert first.new and allocation.status == AllocationStatus.accepted
        with pytest.raises(AllocationError, match=r"Only 6\.00 remain to deliver"):
            record_delivery(actor, allocation, DeliveryInput(TODAY, Decimal("7")))
        record_delivery(actor, allocation, DeliveryInput(TODAY - timedelta(days=1),
                                                         Decimal("6")))
        assert allocation.status == AllocationStatus.delivered
        assert delivered_by_allocation([allocation.id])[allocation.id] == Decimal("10")
        assert _notified(NotificationKind.delivery_to_confirm) == {"caseworker_jishou"}
        with pytest.raises(AllocationError, match="not open for deliveries"):
            record_delivery(actor, allocation, DeliveryInput(TODAY, Decimal("1")))


@pytest.mark.parametrize("data, message", [
    (DeliveryInput(TODAY + timedelta(days=1), Decimal("1")), "cannot be in the future"),
    (DeliveryInput(TODAY, Decimal("0")), "greater than zero"),
    (DeliveryInput(TODAY, Decimal("-2")), "greater than zero"),
    (DeliveryInput(TODAY, Decimal("NaN")), "greater than zero"),
])
def test_bad_deliveries_are_refused(app, demo, data, message):
    with en(app):
        allocation, _line = _accepted()
        with pytest.raises(AllocationError, match=message):
            record_delivery(user("provider_staff"), allocation, data)
        assert db.session.scalar(select(func.count(Delivery.id))) == 0


def test_deliveries_need_acceptance_and_the_right_organisation(app, demo):
    with en(app):
        allocation, _line = _setup()
        with pytest.raises(AllocationError, match="Accept the allocation"):
            record_delivery(user("provider_staff"), allocation,
                            DeliveryInput(TODAY, Decimal("1")))
        with pytest.raises(AllocationError, match="Only staff of the allocated"):
            record_delivery(user("volunteer_staff"), allocation,
                            DeliveryInput(TODAY, Decimal("1")))


def test_the_same_form_records_once(app, demo):
    with en(app):
        allocation, _line = _accepted()
        actor = user("provider_staff")
        data = DeliveryInput(TODAY, Decimal("3"), form_key="k" * 32)
        first = record_delivery(actor, allocation, data)
        again = record_delivery(actor, allocation, data)
        assert first.new and not again.new and again.delivery.id == first.delivery.id
        assert db.session.scalar(select(func.count(Delivery.id))) == 1


def test_a_pledge_is_delivered_directly(app, demo):
    with en(app):
        made = offer("provider_staff", service_data())
        allocation = pledge(user("provider_staff"), made, make_line(quantity="3"), Decimal("3"))
        record_delivery(user("provider_staff"), allocation, DeliveryInput(TODAY, Decimal("3")))
        assert allocation.status == AllocationStatus.delivered


def test_contract_services_consume_the_budget_visit_by_visit(app, demo):
    with en(app):
        contract = active_contract()  # home care at 50 CNY an hour
        home = contract_offers(contract)[0]
        actor = user("volunteer_staff")
        allocation = pledge(actor, home, make_line(quantity="6"), Decimal("6"))
        assert budget_use([contract])[contract.id].committed == Decimal("300")
        first = record_delivery(actor, allocation, DeliveryInput(TODAY, Decimal("2"), "2 h"))
        use = budget_use([contract])[contract.id]
        # The visit consumed 2 × 50 at once; committed is unchanged (consumed is part of it).
        assert (use.delivered, use.committed, use.remaining) == (
            Decimal("100"), Decimal("300"), Decimal("9700"))
        assert allocation.status == AllocationStatus.pledged
        second = record_delivery(actor, allocation,
                                 DeliveryInput(TODAY, Decimal("4"), "4 h"))
        assert allocation.status == AllocationStatus.delivered
        use = budget_use([contract])[contract.id]
        assert (use.delivered, use.committed) == (Decimal("300"), Decimal("300"))
        consumed = [e.after for e in events_for("contracts", contract.id)
                    if e.action == "contract.consume"]
        assert sorted((c["delivery_id"], c["cost"]) for c in consumed) == [
            (first.delivery.id, "100.00"), (second.delivery.id, "200.00")]


def test_a_delivery_beyond_the_contract_budget_is_refused_with_nothing_written(app, demo):
    with en(app):
        contract = active_contract()  # home care at 50 CNY an hour
        home = contract_offers(contract)[0]
        actor = user("volunteer_staff")
        allocation = pledge(actor, home, make_line(quantity="6"), Decimal("6"))
        record_delivery(actor, allocation, DeliveryInput(TODAY, Decimal("2")))
        # Pledges and runs keep committed within the budget, so only a budget lowered behind
        # the site's back reaches this guard: 150 CNY, of which 100 are consumed.
        db.session.execute(update(Contract).where(Contract.id == contract.id)
                           .values(budget=Decimal("150")))
        db.session.commit()
        with pytest.raises(AllocationError, match="exceed the contract budget: 50.00 CNY "
                                                  "remain, it costs 100.00 CNY"):
            record_delivery(actor, allocation, DeliveryInput(TODAY, Decimal("2")))
        db.session.rollback()
        assert db.session.scalar(select(func.count(Delivery.id))) == 1
        assert budget_use([contract])[contract.id].delivered == Decimal("100")
        record_delivery(actor, allocation, DeliveryInput(TODAY, Decimal("1")))  # 50: fits
        assert budget_use([contract])[contract.id].delivered == Decimal("150")


def test_funds_deliveries_are_payments(app, demo):
    with en(app):
        made = offer("charity_staff", funds_data(capacity=Decimal("1000")))
        line = make_line(kind=LineKind.funds, category="care", quantity="500")
        allocation = pledge(user("charity_staff"), made, line, Decimal("500"))
        actor = user("charity_staff")
        with pytest.raises(AllocationError, match="how the money was paid"):
            record_delivery(actor, allocation, DeliveryInput(TODAY, Decimal("500")))
        done = record_delivery(actor, allocation, DeliveryInput(
            TODAY, Decimal("500"), channel="bank_transfer", reference="TX-991"))
        payment = db.session.scalar(select(Payment))
        assert (payment.delivery_id, payment.amount, payment.channel, payment.reference,
                payment.paid_on) == (done.delivery.id, Decimal("500"), "bank_transfer",
                                     "TX-991", TODAY)
        assert payment.region_code == line.need.region_code


def test_close_short_returns_the_rest(app, demo):
    with en(app):
        made = offer("provider_staff", service_data(capacity=Decimal("40")))
        line = make_line(quantity="10")
        actor = user("provider_staff")
        allocation = pledge(actor, made, line, Decimal("10"))
        with pytest.raises(AllocationError, match="Nothing was delivered yet"):
            close_short(actor, allocation)
        record_delivery(actor, allocation, DeliveryInput(TODAY, Decimal("6")))
        with pytest.raises(AllocationError, match="Only staff of the allocated"):
            close_short(user("volunteer_staff"), allocation)
        close_short(actor, allocation)
        assert (allocation.status, allocation.quantity) == (AllocationStatus.delivered,
                                                            Decimal("6"))
        assert remaining_capacity(made) == Decimal("34")
        assert line.status == LineStatus.open
        assert line.need.status == NeedStatus.partially_matched
        with pytest.raises(AllocationError, match="not open for deliveries"):
            close_short(actor, allocation)


def test_close_short_on_a_contract_returns_budget(app, demo):
    with en(app):
        contract = active_contract()  # home care at 50 CNY an hour
        home = contract_offers(contract)[0]
        actor = user("volunteer_staff")
        allocation = pledge(actor, home, make_line(quantity="6"), Decimal("6"))
        record_delivery(actor, allocation, DeliveryInput(TODAY, Decimal("2")))
        close_short(actor, allocation)
        use = budget_use([contract])[contract.id]
        assert (use.committed, use.delivered) == (Decimal("100"), Decimal("100"))


def test_close_short_after_every_delivery_was_confirmed(app, demo):
    from marketplace.allocations.confirm import confirm_delivery
    with en(app):
        made = offer("provider_staff", service_data())
        actor = user("provider_staff")
        allocation = pledge(actor, made, make_line(quantity="5"), Decimal("5"))
        done = record_delivery(actor, allocation, DeliveryInput(TODAY, Decimal("2")))
        confirm_delivery(user("caseworker_jishou"), done.delivery, True)
        assert allocation.status == AllocationStatus.pledged
        close_short(actor, allocation)
        assert allocation.status == AllocationStatus.confirmed


def test_notifications_carry_quantity_and_unit(app, demo):
    with en(app):
        allocation, _line = _accepted("3")
        record_delivery(user("provider_staff"), allocation, DeliveryInput(TODAY, Decimal("3")))
        note = db.session.scalar(select(Notification).where(
            Notification.kind == NotificationKind.delivery_to_confirm))
        assert (note.params["quantity"], note.params["unit"]) == ("3.00",
                                                                  allocation.offer.unit)
        assert note.object_type == "deliveries"
