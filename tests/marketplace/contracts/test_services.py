"""Contract rules: budget arithmetic, overlaps, status transitions, generated offers, budget use."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from marketplace.allocations.flow import DeliveryInput, close_short, record_delivery
from marketplace.allocations.models import AllocationStatus
from marketplace.allocations.services import (
    AllocationError,
    pledge,
    record_contract_consumption,
)
from marketplace.audit.services import events_for
from marketplace.contracts.models import Contract, ContractStatus, TargetMetric
from marketplace.contracts.services import (
    ContractError,
    ContractFilters,
    LineData,
    budget_use,
    contract_offers,
    contract_totals,
    create_contract,
    transition,
    update_contract,
)
from marketplace.extensions import db
from marketplace.offers.models import OfferStatus
from marketplace.offers.services import row_for
from tests.marketplace.allocations.factories import (
    TODAY,
    active_contract,
    contract_data,
    en,
    make_line,
    service_id,
    user,
)


def _count() -> int:
    return db.session.scalar(select(func.count(Contract.id)))


def test_lines_must_add_up_within_the_budget(app, demo):
    with en(app):
        before = _count()
        # 50 × 100 + 100 × 50 = 10 000 > 9 999.99
        with pytest.raises(ContractError,
                           match="add up to 10000.00 CNY, more than the budget of 9999.99"):
            create_contract(user("oversight_xx"), contract_data(budget=Decimal("9999.99")))
        assert _count() == before
        made = create_contract(user("oversight_xx"), contract_data(budget=Decimal("10000")))
        assert made.lines_total == Decimal("10000") and made.status == ContractStatus.draft


@pytest.mark.parametrize("change, message", [
    ({"budget": Decimal("0")}, "budget must be greater than zero"),
    ({"period_end": TODAY - timedelta(days=30)}, "cannot end before it starts"),
    ({"lines": []}, "at least one service line"),
    ({"lines": [LineData("home_care", Decimal("-1"), Decimal("3"))]}, "greater than zero"),
    ({"lines": [LineData("home_care", Decimal("10"), Decimal("0"))]}, "greater than zero"),
    ({"title": " "}, "title"),
    ({"region_code": "430100"}, "your own region"),  # 长沙 is outside 湘西州
    ({"targets": {TargetMetric.satisfaction_rate: Decimal("120")}}, "at most 100"),
])
def test_bad_contract_input_is_refused(app, demo, change, message):
    with en(app):
        if change.get("lines"):  # service codes → ids of this database
            change = {"lines": [LineData(service_id(line.service_type_id), line.unit_price,
                                         line.quantity) for line in change["lines"]]}
        before = _count()
        with pytest.raises(ContractError, match=message):
            create_contract(user("oversight_xx"), contract_data(**change))
        assert _count() == before


def test_duplicate_service_lines_are_refused(app, demo):
    with en(app):
        home = service_id("home_care")
        lines = [LineData(home, Decimal("1"), Decimal("1")), LineData(home, Decimal("1"),
                                                                       Decimal("1"))]
        with pytest.raises(ContractError, match="only once"):
            create_contract(user("oversight_xx"), contract_data(lines=lines))


def test_only_oversight_officers_manage_contracts(app, demo):
    with en(app):
        for name in ("caseworker_jishou", "reviewer_jishou", "provider_staff"):
            with pytest.raises(ContractError, match="Only oversight officers"):
                create_contract(user(name), contract_data())


def test_overlapping_contracts_need_a_written_reason(app, demo):
    with en(app):
        officer = user("oversight_xx")
        create_contract(officer, contract_data(title="第一期"))
        with pytest.raises(ContractError, match="overlapping period.*第一期.*written reason"):
            create_contract(officer, contract_data(title="第二期"))
        second = create_contract(officer, contract_data(title="第二期",
                                                        overlap_reason="扩大服务覆盖到新增乡镇"))
        assert second.overlap_reason == "扩大服务覆盖到新增乡镇"
        # Not overlapping in period, or another service type: no reason needed.
        create_contract(officer, contract_data(
            title="明年", period_start=TODAY + timedelta(days=400),
            period_end=TODAY + timedelta(days=700)))
        create_contract(officer, contract_data(
            title="另一服务", lines=[LineData(service_id("tutoring"), Decimal("60"),
                                              Decimal("10"))]))


def test_status_transitions_and_history(app, demo):
    with en(app):
        officer = user("oversight_xx")
        contract = create_contract(officer, contract_data())
        with pytest.raises(ContractError, match="cannot become active"):
            transition(officer, contract, ContractStatus.active)
        transition(officer, contract, ContractStatus.signed, "签订")
        with pytest.raises(ContractError, match="Only draft contracts can be changed"):
            update_contract(officer, contract, contract_data(title="改名"))
        transition(officer, contract, ContractStatus.active)
        with pytest.raises(ContractError, match="reason for terminating"):
            transition(officer, contract, ContractStatus.terminated)
        transition(officer, contract, ContractStatus.ended)
        with pytest.raises(ContractError, match="cannot become"):
            transition(officer, contract, ContractStatus.active)
        steps = [(h.from_status, h.to_status) for h in contract.history]
        assert steps == [(None, "draft"), ("draft", "signed"), ("signed", "active"),
                         ("active", "ended")]
        actions = [e.action for e in events_for("contracts", contract.id)]
        assert actions == ["contract.create", "contract.sign", "contract.activate",
                           "contract.end"]


def test_officers_of_another_region_cannot_move_a_contract(app, demo):
    with en(app):
        contract = create_contract(user("oversight_xx"), contract_data())
        with pytest.raises(ContractError, match="Only oversight officers"):
            transition(user("reviewer_jishou"), contract, ContractStatus.signed)
        assert contract.status == ContractStatus.draft


def test_drafts_can_be_changed(app, demo):
    with en(app):
        officer = user("oversight_xx")
        contract = create_contract(officer, contract_data())
        update_contract(officer, contract, contract_data(
            title="改", budget=Decimal("5000"),
            lines=[LineData(service_id("home_care"), Decimal("50"), Decimal("100"))],
            targets={TargetMetric.hours_delivered: Decimal("100")}))
        assert contract.title == "改" and len(contract.lines) == 1
        assert [t.metric for t in contract.targets] == [TargetMetric.hours_delivered]


def test_an_active_contract_becomes_service_offers(app, demo):
    with en(app):
        contract = active_contract()
        offers = contract_offers(contract)
        assert [(o.service_type_id, o.capacity, o.unit_price, o.regions, o.status)
                for o in offers] == [
            (line.service_type_id, line.quantity, line.unit_price, ["433100"], OfferStatus.open)
            for line in contract.lines]
        assert all(o.organization_id == contract.provider_id for o in offers)
        assert all(o.valid_until == contract.period_end for o in offers)
        transition(user("oversight_xx"), contract, ContractStatus.terminated, "服务质量不达标")
        assert all(o.status == OfferStatus.withdrawn for o in contract_offers(contract))


def test_budget_committed_delivered_remaining_and_warning(app, demo):
    with en(app):
        contract = active_contract()  # budget 10 000: home care 50/h × 100, counselling 100 × 50
        home, counselling = contract_offers(contract)
        actor = user("volunteer_staff")
        first = pledge(actor, home, make_line(quantity="60"), Decimal("60"))  # 3 000
        pledge(actor, counselling, make_line(category="psychological", quantity="40",
                                             service_type_id=counselling.service_type_id),
               Decimal("40"))  # 4 000
        use = budget_use([contract])[contract.id]
        assert (use.committed, use.delivered, use.remaining) == (
            Decimal("7000"), Decimal("0"), Decimal("3000"))
        assert use.percent == 70 and not use.warn
        # Two visits, 20 + 30 hours: each consumes 50 CNY an hour at once; still committed.
        record_delivery(actor, first, DeliveryInput(TODAY, Decimal("20")))
        record_delivery(actor, first, DeliveryInput(TODAY, Decimal("30")))
        use = budget_use([contract])[contract.id]
        assert (use.committed, use.delivered) == (Decimal("7000"), Decimal("2500"))
        # Finishing at the 50 hours delivered: the other 10 hours (500 CNY) return.
        close_short(actor, first)
        assert first.status == AllocationStatus.delivered and first.quantity == Decimal("50")
        use = budget_use([contract])[contract.id]
        assert (use.committed, use.delivered) == (Decimal("6500"), Decimal("2500"))
        assert row_for(home).remaining == Decimal("50")
        pledge(actor, home, make_line(quantity="50"), Decimal("50"))  # 2 500 more
        use = budget_use([contract])[contract.id]
        assert use.committed == Decimal("9000") and use.warn  # 90 %: warn before overspending
        with pytest.raises(AllocationError, match="not open for deliveries"):
            record_delivery(actor, first, DeliveryInput(TODAY, Decimal("1")))  # finished
        assert budget_use([contract])[contract.id].delivered == Decimal("2500")


def test_consumed_budget_is_not_counted_twice(app, demo):
    """Pledges, runs (problem and commit) all read remaining = budget − committed; a visit's
    consumption is a part of committed, so the whole budget can still be allocated."""
    with en(app):
        contract = active_contract()  # budget 10 000: home care 50/h × 100, counselling 100 × 50
        home, counselling = contract_offers(contract)
        actor = user("volunteer_staff")
        first = pledge(actor, home, make_line(quantity="60"), Decimal("60"))  # 3 000
        record_delivery(actor, first, DeliveryInput(TODAY, Decimal("20")))  # 1 000 consumed
        use = budget_use([contract])[contract.id]
        assert (use.committed, use.delivered, use.remaining) == (
            Decimal("3000"), Decimal("1000"), Decimal("7000"))
        pledge(actor, counselling, make_line(category="psychological", quantity="50",
                                             service_type_id=counselling.service_type_id),
               Decimal("50"))  # 5 000
        pledge(actor, home, make_line(quantity="40"), Decimal("40"))  # the last 2 000
        use = budget_use([contract])[contract.id]
        assert (use.committed, use.delivered, use.remaining) == (
            Decimal("10000"), Decimal("1000"), Decimal("0"))


def test_consumption_only_for_contract_allocations(app, demo):
    from tests.marketplace.allocations.factories import offer, service_data
    with en(app):
        own = offer("provider_staff", service_data())
        actor = user("provider_staff")
        allocation = pledge(actor, own, make_line(quantity="5"), Decimal("5"))
        recorded = record_delivery(actor, allocation, DeliveryInput(TODAY, Decimal("5")))
        with pytest.raises(AllocationError, match="not paid from a contract"):
            record_contract_consumption(None, recorded.delivery)


def test_totals_over_filtered_contracts(app, demo):
    with en(app):
        officer = user("oversight_xx")
        active_contract(budget=Decimal("20000"))
        create_contract(officer, contract_data(title="草稿", overlap_reason="试点",
                                               budget=Decimal("15000")))
        demo_budget = Decimal("300000")  # the demo contract seeded for 湘西州
        everything = contract_totals(officer, ContractFilters())
        assert everything.count == 3 and everything.budget == Decimal("35000") + demo_budget
        drafts = contract_totals(officer, ContractFilters(status=ContractStatus.draft))
        assert (drafts.count, drafts.budget, drafts.committed) == (1, Decimal("15000"), 0)
        later = contract_totals(officer, ContractFilters(period_from=TODAY + timedelta(days=500)))
        assert later.count == 0
        # The province sees 湘西州's contracts; 长沙's caseworker role is not an officer, and
        # an officer elsewhere sees none.
        assert contract_totals(user("oversight_hn"), ContractFilters()).count == 3
