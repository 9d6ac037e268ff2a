"""Confirmation, need fulfilment, feedback and ratings, at the service level."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from marketplace.allocations.confirm import (
    confirm_delivery,
    ratings,
    record_feedback,
    worklist,
)
from marketplace.allocations.flow import DeliveryInput, record_delivery
from marketplace.allocations.models import AllocationStatus, DeliveryStatus, Feedback
from marketplace.allocations.services import AllocationError, pledge
from marketplace.audit.services import events_for
from marketplace.extensions import db
from marketplace.needs.models import NeedLine, NeedStatus
from marketplace.needs.services import refresh_match_status
from tests.marketplace.allocations.factories import (
    TODAY,
    en,
    make_line,
    offer,
    service_data,
    user,
)


def _delivered(quantity="4", parts=("4",), username="provider_staff", line=None):
    made = offer(username, service_data(qualifications=[]))
    line = line or make_line(quantity=quantity)
    allocation = pledge(user(username), made, line, Decimal(quantity))
    refresh_match_status(user(username), line.need)
    deliveries = [record_delivery(user(username), allocation,
                                  DeliveryInput(TODAY, Decimal(p))).delivery for p in parts]
    return allocation, line, deliveries


def test_confirming_every_delivery_fulfils_the_need(app, demo):
    with en(app):
        line = make_line(quantity="4")
        need = line.need
        # A second line on the same need, covered by another provider.
        other = NeedLine(need_id=need.id, kind=line.kind, category="care",
                         quantity=Decimal("2"), unit="", service_type_id=line.service_type_id)
        db.session.add(other)
        db.session.flush()
        allocation, line, (first, second) = _delivered("4", ("1", "3"), line=line)
        assert need.status == NeedStatus.partially_matched
        other_allocation, _line, (third,) = _delivered("2", ("2",), "volunteer_staff", other)
        assert need.status == NeedStatus.matched
        caseworker = user("caseworker_jishou")
        confirm_delivery(caseworker, first, True)
        assert allocation.status == AllocationStatus.delivered  # one delivery still open
        confirm_delivery(caseworker, second, True, "老人说很好")
        assert allocation.status == AllocationStatus.confirmed
        assert need.status == NeedStatus.matched  # the other line is not confirmed yet
        confirm_delivery(caseworker, third, True)
        assert other_allocation.status == AllocationStatus.confirmed
        assert need.status == NeedStatus.fulfilled
        assert [e.action for e in events_for("needs", need.id)][-1] == "need.fulfil"
        assert [e.action for e in events_for("deliveries", second.id)] == [
            "delivery.record", "delivery.confirm"]


def test_a_problem_needs_a_note_and_can_be_confirmed_later(app, demo):
    with en(app):
        allocation, line, (delivery,) = _delivered("2", ("2",))
        caseworker = user("caseworker_jishou")
        with pytest.raises(AllocationError, match="Describe the problem"):
            confirm_delivery(caseworker, delivery, False, " ")
        assert delivery.status == DeliveryStatus.recorded
        confirm_delivery(caseworker, delivery, False, "轮椅坏了")
        assert (delivery.status, delivery.confirm_note) == (DeliveryStatus.problem, "轮椅坏了")
        assert line.need.status == NeedStatus.matched
        with pytest.raises(AllocationError, match="already recorded"):
            confirm_delivery(caseworker, delivery, False, "again")
        confirm_delivery(caseworker, delivery, True, "已更换")
        assert line.need.status == NeedStatus.fulfilled
        with pytest.raises(AllocationError, match="already confirmed"):
            confirm_delivery(caseworker, delivery, True)


@pytest.mark.parametrize("username", ["caseworker_fenghuang", "reviewer_jishou",
                                      "provider_staff"])
def test_only_caseworkers_of_the_area_confirm(app, demo, username):
    with en(app):
        _allocation, _line, (delivery,) = _delivered("2", ("2",))
        with pytest.raises(AllocationError, match="Only the caseworkers of the need's area"):
            confirm_delivery(user(username), delivery, True)
        assert delivery.status == DeliveryStatus.recorded


def test_feedback_once_per_confirmed_delivery_and_ratings(app, demo):
    with en(app):
        _a, _l, (first, second) = _delivered("4", ("2", "2"))
        _b, _m, (third,) = _delivered("1", ("1",), "volunteer_staff")
        caseworker = user("caseworker_jishou")
        with pytest.raises(AllocationError, match="Confirm the delivery before"):
            record_feedback(caseworker, first, 5)
        for delivery in (first, second, third):
            confirm_delivery(caseworker, delivery, True)
        assert {d.id for d in worklist(caseworker).to_rate} == {first.id, second.id, third.id}
        record_feedback(caseworker, first, 5, "很满意")
        record_feedback(caseworker, second, 4)
        record_feedback(caseworker, third, 2)
        with pytest.raises(AllocationError, match="already recorded"):
            record_feedback(caseworker, first, 1)
        with pytest.raises(AllocationError, match="Only the caseworkers"):
            record_feedback(user("caseworker_fenghuang"), second, 3)
        assert db.session.scalar(select(func.count(Feedback.id))) == 3
        provider = user("provider_staff").organization_id
        volunteer = user("volunteer_staff").organization_id
        charity = user("charity_staff").organization_id
        assert ratings([provider, volunteer, charity]) == {
            provider: (Decimal("4.50"), 2), volunteer: (Decimal("2.00"), 1)}
        assert ratings([]) == {}
        assert worklist(caseworker).to_rate == []


@pytest.mark.parametrize("value", [0, 6, "5"])
def test_satisfaction_is_one_to_five(app, demo, value):
    with en(app):
        _a, _l, (delivery,) = _delivered("1", ("1",))
        confirm_delivery(user("caseworker_jishou"), delivery, True)
        with pytest.raises(AllocationError, match="from 1 to 5"):
            record_feedback(user("caseworker_jishou"), delivery, value)


def test_worklist_is_scoped(app, demo):
    with en(app):
        _a, _l, (delivery,) = _delivered("1", ("1",))
        assert [d.id for d in worklist(user("caseworker_jishou")).to_confirm] == [delivery.id]
        assert worklist(user("caseworker_fenghuang")).to_confirm == []
