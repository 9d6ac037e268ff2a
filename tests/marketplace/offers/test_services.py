"""Offer rules: validation, campaign money, derived state and capacity, edit and withdraw."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from marketplace.accounts.models import OrgStatus
from marketplace.allocations.models import AllocationStatus
from marketplace.allocations.services import pledge, remaining_capacity
from marketplace.catalog.vocab import LineKind
from marketplace.extensions import db
from marketplace.offers.models import FundsSource, Offer, OfferState, OfferStatus
from marketplace.offers.services import (
    OfferError,
    create_offer,
    offer_state,
    publish_offer,
    row_for,
    update_offer,
    withdraw_offer,
)
from tests.marketplace.allocations.factories import (
    TODAY,
    en,
    funds_data,
    goods_data,
    goods_id,
    make_line,
    offer,
    service_data,
    user,
)


def _count() -> int:
    return db.session.scalar(select(func.count(Offer.id)))


@pytest.mark.parametrize("change, message", [
    ({"capacity": Decimal("0")}, "greater than zero"),
    ({"capacity": Decimal("-5")}, "greater than zero"),
    ({"valid_until": TODAY - timedelta(days=1)}, "cannot end before it starts"),
    ({"valid_from": TODAY - timedelta(days=9), "valid_until": TODAY - timedelta(days=1)},
     "in the past"),
    ({"regions": ["999999"]}, "Unknown region code"),
    ({"groups": ["nobody"]}, "Unknown code"),
    ({"funds_source": None}, "where the money comes from"),
])
def test_bad_funds_input_is_refused_and_nothing_saved(app, demo, change, message):
    with en(app):
        before = _count()
        with pytest.raises(OfferError, match=message):
            create_offer(user("charity_staff"), funds_data(**change))
        db.session.rollback()
        assert _count() == before


def test_goods_rules(app, demo):
    with en(app):
        actor = user("donor_staff")
        with pytest.raises(OfferError, match="expiry date is in the past"):
            create_offer(actor, goods_data(expiry_date=TODAY - timedelta(days=1)))
        with pytest.raises(OfferError, match="Perishable goods need an expiry date"):
            create_offer(actor, goods_data(goods_item_id=goods_id("rice")))
        with pytest.raises(OfferError, match="pickup region"):
            create_offer(actor, goods_data(pickup_region_code=None))
        made = create_offer(actor, goods_data())
        # The pickup region is where the goods serve unless regions are given.
        assert made.regions == ["433101"] and made.category == "disability"
        assert made.unit == "piece" and made.status == OfferStatus.draft


def test_service_offers_need_regions_and_take_the_catalogue_category(app, demo):
    with en(app):
        actor = user("provider_staff")
        with pytest.raises(OfferError, match="regions the service covers"):
            create_offer(actor, service_data(regions=[]))
        made = create_offer(actor, service_data())
        assert made.category == "care" and made.unit == "hour"
        assert made.region_prefixes == ["4331"]
        with pytest.raises(OfferError, match="price cannot be negative"):
            create_offer(actor, service_data(unit_price=Decimal("-1")))


def test_campaign_money_needs_a_public_fundraising_qualification(app, demo):
    with en(app):
        actor = user("charity_staff")
        org = actor.organization
        if hasattr(org, "public_fundraising"):
            org.public_fundraising = False
        with pytest.raises(OfferError, match="no public-fundraising qualification"):
            create_offer(actor, funds_data(funds_source=FundsSource.campaign,
                                           campaign_record_no="53100000500012345A"))
        db.session.rollback()


@pytest.mark.skipif(not hasattr(__import__("marketplace.accounts.models", fromlist=["x"])
                                .Organization, "public_fundraising"),
                    reason="the organisation profile (public_fundraising) has not landed")
def test_qualified_organisations_may_pledge_campaign_money_with_a_record_number(app, demo):
    with en(app):
        actor = user("charity_staff")
        actor.organization.public_fundraising = True
        with pytest.raises(OfferError, match="record number"):
            create_offer(actor, funds_data(funds_source=FundsSource.campaign))
        made = create_offer(actor, funds_data(funds_source=FundsSource.campaign,
                                              campaign_record_no="53100000500012345A"))
        assert made.campaign_record_no == "53100000500012345A"


@pytest.mark.parametrize("status", [OrgStatus.suspended, OrgStatus.pending])
def test_suspended_or_unverified_organisations_cannot_offer(app, demo, status):
    with en(app):
        actor = user("volunteer_staff")
        actor.organization.status = status
        with pytest.raises(OfferError, match="not verified or is suspended"):
            create_offer(actor, funds_data())
        db.session.rollback()


def test_government_users_cannot_offer(app, demo):
    with en(app), pytest.raises(OfferError, match="Only staff of an organisation"):
        create_offer(user("oversight_xx"), funds_data())


def test_state_is_derived_from_dates_and_allocations(app, demo):
    with en(app):
        made = offer("charity_staff", funds_data(capacity=Decimal("100")), publish=False)
        assert offer_state(made, Decimal("0")) == OfferState.draft
        publish_offer(user("charity_staff"), made)
        assert offer_state(made, Decimal("0")) == OfferState.open
        assert offer_state(made, Decimal("100")) == OfferState.fully_allocated
        later = made.valid_until + timedelta(days=1)
        assert offer_state(made, Decimal("0"), today=later) == OfferState.expired
        made.status = OfferStatus.withdrawn
        assert offer_state(made, Decimal("0")) == OfferState.withdrawn


def test_perishable_goods_expire_on_their_best_before_date(app, demo):
    with en(app):
        made = offer("charity_staff", goods_data(goods_item_id=goods_id("rice"),
                                                 expiry_date=TODAY + timedelta(days=3)))
        assert made.ends_on() == TODAY + timedelta(days=3)
        assert offer_state(made, Decimal("0"), TODAY + timedelta(days=3)) == OfferState.open
        assert offer_state(made, Decimal("0"), TODAY + timedelta(days=4)) == OfferState.expired


def test_remaining_capacity_is_capacity_minus_committing_allocations(app, demo):
    with en(app):
        actor = user("provider_staff")
        made = offer("provider_staff", service_data(capacity=Decimal("40")))
        first = pledge(actor, made, make_line(quantity="15"), Decimal("15"))
        pledge(actor, made, make_line(quantity="10"), Decimal("10"))
        assert remaining_capacity(made) == Decimal("15")
        first.status = AllocationStatus.declined  # released: the capacity comes back
        db.session.flush()
        assert remaining_capacity(made) == Decimal("30")
        assert row_for(made).remaining == Decimal("30")
        assert row_for(made).committed == Decimal("10")


def test_editing_lowers_capacity_only_down_to_what_is_committed(app, demo):
    with en(app):
        actor = user("provider_staff")
        made = offer("provider_staff", service_data(capacity=Decimal("40")))
        pledge(actor, made, make_line(quantity="25"), Decimal("25"))
        db.session.commit()
        with pytest.raises(OfferError, match="25.00 hour are already committed"):
            update_offer(actor, made, service_data(capacity=Decimal("24")))
        db.session.rollback()
        made = db.session.get(Offer, made.id)
        assert made.capacity == Decimal("40")
        update_offer(actor, made, service_data(capacity=Decimal("25")))
        assert made.capacity == Decimal("25") and row_for(made).state == OfferState.fully_allocated
        with pytest.raises(OfferError, match="kind of an offer"):
            update_offer(actor, made, funds_data())


def test_withdrawing_with_open_allocations_is_refused(app, demo):
    with en(app):
        actor = user("provider_staff")
        made = offer("provider_staff", service_data())
        allocation = pledge(actor, made, make_line(quantity="5"), Decimal("5"))
        with pytest.raises(OfferError, match="1 allocations on it are still in progress"):
            withdraw_offer(actor, made)
        allocation.status = AllocationStatus.delivered  # done: no longer in progress
        db.session.flush()
        withdraw_offer(actor, made)
        assert made.status == OfferStatus.withdrawn and made.withdrawn_at is not None
        with pytest.raises(OfferError, match="already withdrawn"):
            withdraw_offer(actor, made)


def test_other_organisations_cannot_change_an_offer(app, demo):
    with en(app):
        made = offer("provider_staff", service_data())
        with pytest.raises(OfferError, match="another organisation"):
            withdraw_offer(user("volunteer_staff"), made)
        with pytest.raises(OfferError, match="another organisation"):
            update_offer(user("volunteer_staff"), made, service_data())


def test_changes_are_audited(app, demo):
    from marketplace.audit.services import events_for
    with en(app):
        made = offer("charity_staff", funds_data(), publish=False)
        publish_offer(user("charity_staff"), made)
        withdraw_offer(user("charity_staff"), made)
        actions = [e.action for e in events_for("offers", made.id)]
        assert actions == ["offer.create", "offer.open", "offer.withdraw"]
        assert made.kind == LineKind.funds


def test_service_qualifications_must_be_in_the_verified_profile(app, demo):
    with en(app):
        actor = user("volunteer_staff")
        actor.organization.qualifications = ["first_aid", "teacher"]
        with pytest.raises(OfferError, match="does not list these qualifications: Nurse"):
            create_offer(actor, service_data(qualifications=["first_aid", "nurse"]))
        made = create_offer(actor, service_data(qualifications=["first_aid"]))
        assert made.qualifications == ["first_aid"]
