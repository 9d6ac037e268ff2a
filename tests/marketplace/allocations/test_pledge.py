"""Pledge rules: who, compatibility, capacity, need and budget; derived sums; cancelling."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from marketplace.accounts.models import OrgStatus
from marketplace.allocations.models import Allocation, AllocationSource, AllocationStatus
from marketplace.allocations.services import (
    AllocationError,
    cancel,
    committed_by_offer,
    covered_by_line,
    open_offers_for_line,
    pledge,
    remaining_capacity,
    usable_offers,
    waiting_for,
)
from marketplace.audit.services import events_for
from marketplace.catalog.vocab import LineKind
from marketplace.contracts.models import ContractStatus
from marketplace.contracts.services import contract_offers, create_contract, transition
from marketplace.extensions import db
from marketplace.needs.models import LineStatus
from marketplace.needs.services import refresh_match_status
from marketplace.offers.models import Offer
from marketplace.offers.services import publish_offer
from tests.marketplace.allocations.factories import (
    TODAY,
    active_contract,
    contract_data,
    en,
    funds_data,
    goods_data,
    goods_id,
    make_line,
    offer,
    service_data,
    service_id,
    user,
)


def _allocations() -> int:
    return db.session.scalar(select(func.count(Allocation.id)))


def test_a_pledge_is_recorded_with_its_scope_and_audited(app, demo):
    with en(app):
        made = offer("provider_staff", service_data())
        line = make_line(quantity="12", region_code="433101001")
        allocation = pledge(user("provider_staff"), made, line, Decimal("12"))
        assert (allocation.status, allocation.source) == (AllocationStatus.pledged,
                                                          AllocationSource.pledge)
        assert allocation.organization_id == made.organization_id
        assert allocation.region_code == "433101001"
        assert [e.action for e in events_for("allocations", allocation.id)] == [
            "allocation.pledge"]
        assert covered_by_line([line.id]) == {line.id: Decimal("12")}
        assert committed_by_offer([made.id, 999999]) == {made.id: Decimal("12"),
                                                         999999: Decimal("0")}
        assert waiting_for(made.organization_id) == [allocation]


@pytest.mark.parametrize("line_kw, message", [
    ({"kind": LineKind.goods, "category": "care", "goods_item_id": "quilt"}, "another kind"),
    ({"category": "medical"}, "another category"),
    ({"service_type_id": "tutoring"}, "another service"),
    ({"region_code": "430102001"}, "does not cover the region"),  # 长沙, offer serves 湘西州
    ({"requires": ("nurse",)}, "lack a required qualification"),
    ({"need_status": "draft"}, "not open for pledges"),
])
def test_incompatible_lines_are_refused(app, demo, line_kw, message):
    with en(app):
        if line_kw.get("service_type_id"):
            line_kw["service_type_id"] = service_id(line_kw["service_type_id"])
        if line_kw.get("goods_item_id"):
            line_kw["goods_item_id"] = goods_id(line_kw["goods_item_id"])
        made = offer("provider_staff", service_data())
        with pytest.raises(AllocationError, match=message):
            pledge(user("provider_staff"), made, make_line(**line_kw), Decimal("1"))
        assert _allocations() == 0


def test_funds_restrictions_categories_regions_and_groups(app, demo):
    with en(app):
        actor = user("charity_staff")
        made = offer("charity_staff", funds_data(categories=["medical"], regions=["433100"],
                                                 groups=["orphan", "disabled"]))

        def funds_line(**kw):
            kw.setdefault("category", "medical")
            kw.setdefault("groups", ("disabled",))
            return make_line(kind=LineKind.funds, quantity="300", **kw)

        with pytest.raises(AllocationError, match="restricted these funds to other categories"):
            pledge(actor, made, funds_line(category="education"), Decimal("100"))
        with pytest.raises(AllocationError, match="groups the household is not in"):
            pledge(actor, made, funds_line(groups=("dibao",)), Decimal("100"))
        with pytest.raises(AllocationError, match="does not cover the region"):
            pledge(actor, made, funds_line(region_code="430102001"), Decimal("100"))
        assert pledge(actor, made, funds_line(), Decimal("100")).quantity == Decimal("100")


def test_goods_must_be_the_same_item(app, demo):
    with en(app):
        made = offer("donor_staff", goods_data(regions=["433100"]))
        line = make_line(kind=LineKind.goods, category="disability", quantity="2",
                         goods_item_id=goods_id("hearing_aid"))
        with pytest.raises(AllocationError, match="another item"):
            pledge(user("donor_staff"), made, line, Decimal("1"))


def test_quantity_capacity_and_need_limits(app, demo):
    with en(app):
        actor = user("provider_staff")
        made = offer("provider_staff", service_data(capacity=Decimal("10")))
        line = make_line(quantity="8")
        for bad in ("0", "-1", "NaN"):
            with pytest.raises(AllocationError, match="greater than zero"):
                pledge(actor, made, line, Decimal(bad))
        with pytest.raises(AllocationError, match="Only 8.00 are still needed"):
            pledge(actor, made, line, Decimal("9"))
        pledge(actor, made, line, Decimal("6"))
        with pytest.raises(AllocationError, match="Only 2.00 are still needed"):
            pledge(actor, made, line, Decimal("3"))
        other = make_line(quantity="50")
        with pytest.raises(AllocationError, match="Only 4.00 hour of this offer remain"):
            pledge(actor, made, other, Decimal("5"))
        pledge(actor, made, other, Decimal("4"))
        assert remaining_capacity(made) == 0
        assert _allocations() == 2


def test_only_open_valid_offers_of_operating_organisations(app, demo):
    with en(app):
        actor = user("provider_staff")
        draft = offer("provider_staff", service_data(), publish=False)
        with pytest.raises(AllocationError, match="Only open offers"):
            pledge(actor, draft, make_line(), Decimal("1"))
        publish_offer(actor, draft)
        future = offer("provider_staff", service_data(valid_from=TODAY + timedelta(days=5)))
        with pytest.raises(AllocationError, match="not valid today"):
            pledge(actor, future, make_line(), Decimal("1"))
        with pytest.raises(AllocationError, match="Only staff of the offering organisation"):
            pledge(user("volunteer_staff"), draft, make_line(), Decimal("1"))
        with pytest.raises(AllocationError, match="Only staff of the offering organisation"):
            pledge(user("caseworker_jishou"), draft, make_line(), Decimal("1"))
        actor.organization.status = OrgStatus.suspended
        with pytest.raises(AllocationError, match="not verified or is suspended"):
            pledge(actor, draft, make_line(), Decimal("1"))
        assert _allocations() == 0


def test_expired_offers_cannot_be_pledged(app, demo):
    with en(app):
        made = offer("provider_staff", service_data(valid_until=TODAY))
        made.valid_until = TODAY - timedelta(days=1)  # time passed since it was made
        made.valid_from = TODAY - timedelta(days=10)
        with pytest.raises(AllocationError, match="not valid today"):
            pledge(user("provider_staff"), made, make_line(), Decimal("1"))


def test_contract_offers_only_while_the_contract_is_active(app, demo):
    with en(app):
        officer = user("oversight_xx")
        contract = active_contract()
        home = contract_offers(contract)[0]
        transition(officer, contract, ContractStatus.ended)
        home.status = "open"  # even if reopened by hand, the contract decides
        with pytest.raises(AllocationError, match="contract behind this offer is not active"):
            pledge(user("volunteer_staff"), home, make_line(), Decimal("1"))


def test_contract_budget_is_checked(app, demo):
    with en(app):
        officer = user("oversight_xx")
        contract = create_contract(officer, contract_data(budget=Decimal("10000")))
        transition(officer, contract, ContractStatus.signed)
        transition(officer, contract, ContractStatus.active)
        home = contract_offers(contract)[0]  # 100 h at 50 CNY
        # Lower the budget behind the rules' back: the pledge check still holds the line.
        contract.budget = Decimal("1000")
        actor = user("volunteer_staff")
        with pytest.raises(AllocationError, match="exceed the contract budget: 1000.00 CNY remain"):
            pledge(actor, home, make_line(quantity="30"), Decimal("21"))
        assert pledge(actor, home, make_line(quantity="30"), Decimal("20")).quantity == 20


def test_open_offers_for_line_lists_compatible_offers_with_capacity(app, demo):
    with en(app):
        actor = user("provider_staff")
        good = offer("provider_staff", service_data(capacity=Decimal("5")))
        offer("provider_staff", service_data(regions=["433123"]))  # 凤凰县 only
        offer("provider_staff", service_data(), publish=False)  # draft
        full = offer("provider_staff", service_data(capacity=Decimal("1")))
        pledge(actor, full, make_line(quantity="1"), Decimal("1"))
        line = make_line(region_code="433101001")
        found = open_offers_for_line(actor.organization, line)
        assert good in found and full not in found
        assert all(o.organization_id == actor.organization_id for o in found)
        # The other region and the draft are left out; the demo contract's home care is in.
        assert {tuple(o.regions) for o in found} == {("433100",)}
        assert sorted(o.contract_line_id is not None for o in found) == [False, True]
        actor.organization.status = OrgStatus.suspended
        assert open_offers_for_line(actor.organization, line) == []


def test_cancelling_frees_capacity_and_need(app, demo):
    with en(app):
        actor = user("provider_staff")
        made = offer("provider_staff", service_data(capacity=Decimal("10")))
        line = make_line(quantity="10")
        allocation = pledge(actor, made, line, Decimal("10"))
        refresh_match_status(actor, line.need)
        assert line.status == LineStatus.covered
        with pytest.raises(AllocationError, match="Only the pledging organisation"):
            cancel(user("volunteer_staff"), allocation)
        cancel(actor, allocation, "人员变动")
        assert allocation.status == AllocationStatus.cancelled
        assert remaining_capacity(made) == 10 and covered_by_line([line.id])[line.id] == 0
        assert line.status == LineStatus.open  # back on the board
        with pytest.raises(AllocationError, match="not yet delivered"):
            cancel(actor, allocation)
        assert db.session.get(Offer, made.id).capacity == 10


def test_a_delivered_part_cannot_be_cancelled(app, demo):
    from marketplace.allocations.flow import DeliveryInput, record_delivery
    with en(app):
        actor = user("provider_staff")
        allocation = pledge(actor, offer("provider_staff", service_data()),
                            make_line(quantity="4"), Decimal("4"))
        record_delivery(actor, allocation, DeliveryInput(TODAY, Decimal("1")))
        with pytest.raises(AllocationError, match="Deliveries were recorded"):
            cancel(actor, allocation)
        assert allocation.status == AllocationStatus.pledged


def test_cancelled_lines_take_no_pledges(app, demo):
    with en(app):
        made = offer("provider_staff", service_data())
        line = make_line()
        line.status = LineStatus.cancelled
        with pytest.raises(AllocationError, match="not open for pledges"):
            pledge(user("provider_staff"), made, line, Decimal("1"))


def test_service_windows_must_meet_the_offer_validity(app, demo):
    with en(app):
        actor = user("provider_staff")
        made = offer("provider_staff", service_data(valid_from=TODAY,
                                                    valid_until=TODAY + timedelta(days=20)))
        late = make_line()
        late.window_start = TODAY + timedelta(days=30)
        with pytest.raises(AllocationError, match="ends before the service is needed"):
            pledge(actor, made, late, Decimal("1"))
        early = make_line()
        early.window_end = TODAY - timedelta(days=1)
        with pytest.raises(AllocationError, match="starts after the service is needed"):
            pledge(actor, made, early, Decimal("1"))
        fits = make_line()
        fits.window_start, fits.window_end = TODAY, TODAY + timedelta(days=10)
        assert pledge(actor, made, fits, Decimal("1")).quantity == 1


def test_usable_offers_leave_out_what_cannot_take_allocations(app, demo):
    with en(app):
        actor = user("provider_staff")
        good = offer("provider_staff", service_data(capacity=Decimal("5")))
        full = offer("provider_staff", service_data(capacity=Decimal("2")))
        pledge(actor, full, make_line(quantity="2"), Decimal("2"))
        draft = offer("provider_staff", service_data(), publish=False)
        rice = offer("charity_staff", goods_data(goods_item_id=goods_id("rice"),
                                                 expiry_date=TODAY + timedelta(days=2)))
        usable = dict((o.id, left) for o, left in usable_offers())
        assert usable[good.id] == Decimal("5") and rice.id in usable
        assert full.id not in usable and draft.id not in usable
        # Expired goods stop being offered without anybody touching them.
        later = dict((o.id, left) for o, left in usable_offers(TODAY + timedelta(days=3)))
        assert rice.id not in later and good.id in later
        # A suspended organisation's offers and an ended contract's offers drop out.
        contract = active_contract()
        home = contract_offers(contract)[0]
        assert home.id in dict((o.id, 0) for o, _ in usable_offers())
        transition(user("oversight_xx"), contract, ContractStatus.ended)
        home.status = "open"
        assert home.id not in dict((o.id, 0) for o, _ in usable_offers())
        actor.organization.status = OrgStatus.suspended
        assert good.id not in dict((o.id, 0) for o, _ in usable_offers())
