"""The year-of-activity generator: rows consistent with the needs, a valid audit chain of the
asked length, and balance summaries that agree with the base tables."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from marketplace.allocations.models import (
    COMMITTING,
    DELIVERED,
    Allocation,
    Delivery,
    DeliveryStatus,
    Feedback,
    Payment,
)
from marketplace.audit.models import AuditEvent
from marketplace.balance.models import BalanceRegionMonth, BalanceState
from marketplace.contracts.models import Contract, ContractLine
from marketplace.extensions import db
from marketplace.needs.models import LineStatus, Need, NeedLine, NeedStatus
from marketplace.offers.models import Offer
from marketplace.scale.activity import NOTE, generate_activity
from marketplace.scale.generator import ScaleError, generate

CHINA = timedelta(hours=8)


def _generated_needs():
    """Needs whose lines the generator allocated (the demo's own needs are left alone)."""
    offers = select(Offer.id).where(Offer.note == NOTE)
    lines = select(Allocation.need_line_id).where(Allocation.offer_id.in_(offers))
    return select(NeedLine.need_id).where(NeedLine.id.in_(lines))


def _check_allocations_fit_offers_lines_and_contracts(app) -> None:
    committing = [str(s) for s in COMMITTING]
    with app.app_context():
        used = dict(db.session.execute(
            select(Allocation.offer_id, func.sum(Allocation.quantity))
            .where(Allocation.status.in_(committing)).group_by(Allocation.offer_id)).all())
        for offer in db.session.scalars(select(Offer).where(Offer.note == NOTE)):
            assert used.get(offer.id, 0) <= offer.capacity
            if offer.contract_line_id is not None:
                line = db.session.get(ContractLine, offer.contract_line_id)
                assert offer.capacity == line.quantity
                assert offer.unit_price == line.unit_price
                assert offer.organization_id == line.contract.provider_id
        for allocation in db.session.scalars(select(Allocation).join(Allocation.offer).where(
                Offer.note == NOTE)):
            offer, line = allocation.offer, allocation.need_line
            assert offer.kind == line.kind
            assert (offer.goods_item_id, offer.service_type_id) == (line.goods_item_id,
                                                                   line.service_type_id)
            assert not offer.categories or line.category in offer.categories
            assert any(line.need.region_code.startswith(p) for p in offer.region_prefixes)
            assert set(line.requires or []) <= set(offer.qualifications)
            assert allocation.organization_id == offer.organization_id
            assert allocation.region_code == line.need.region_code
        for contract in db.session.scalars(select(Contract).where(Contract.note == NOTE)):
            assert contract.lines_total <= contract.budget
        covered = dict(db.session.execute(
            select(Allocation.need_line_id, func.sum(Allocation.quantity))
            .where(Allocation.status.in_(committing)).group_by(Allocation.need_line_id)).all())
        lines = db.session.scalars(select(NeedLine).where(
            NeedLine.need_id.in_(_generated_needs()))).all()
        assert lines
        for line in lines:
            got = covered.get(line.id, Decimal(0))
            if line.status == LineStatus.covered:
                assert got == line.quantity, line
            else:
                assert got < line.quantity, line
            if line.status == LineStatus.cancelled:
                assert got == 0


def _check_deliveries_payments_feedback_follow_the_allocations(app) -> None:
    with app.app_context():
        delivered = defaultdict(Decimal)
        for delivery in db.session.scalars(select(Delivery)):
            allocation = delivery.allocation
            assert allocation.status in DELIVERED
            assert delivery.organization_id == allocation.organization_id
            assert delivery.region_code == allocation.region_code
            need = allocation.need_line.need
            assert delivery.delivered_on >= (need.published_at + CHINA).date()
            if need.fulfilled_at is not None:
                assert delivery.delivered_on <= (need.fulfilled_at + CHINA).date()
            delivered[allocation.id] += delivery.quantity
        for allocation in db.session.scalars(select(Allocation).where(
                Allocation.status.in_([str(s) for s in DELIVERED]))):
            assert delivered[allocation.id] == allocation.quantity
            if allocation.status == "confirmed":
                assert allocation.need_line.need.status in (NeedStatus.fulfilled,
                                                            NeedStatus.closed)
        for payment in db.session.scalars(select(Payment)):
            assert db.session.get(Allocation, payment.allocation_id).need_line.kind == "funds"
            delivery = db.session.get(Delivery, payment.delivery_id)
            assert payment.amount == delivery.quantity
            assert payment.paid_on == delivery.delivered_on
        for feedback in db.session.scalars(select(Feedback)):
            delivery = db.session.get(Delivery, feedback.delivery_id)
            assert delivery.status == DeliveryStatus.confirmed
            assert 1 <= feedback.satisfaction <= 5


def _check_fulfilled_needs_have_their_time(app, report) -> None:
    with app.app_context():
        needs = db.session.scalars(select(Need).where(Need.id.in_(_generated_needs()))).all()
        done = [n for n in needs if n.status in (NeedStatus.fulfilled, NeedStatus.closed)]
        assert done and report.fulfilled >= len(done)
        for need in done:
            assert need.published_at <= need.fulfilled_at <= need.status_changed_at
        for need in needs:
            if need.status not in (NeedStatus.fulfilled, NeedStatus.closed):
                assert need.fulfilled_at is None


def _check_audit_chain_has_the_asked_length_and_verifies(app, before: int) -> None:
    with app.app_context():
        assert db.session.scalar(select(func.count(AuditEvent.id))) == before + 2_000
        assert db.session.scalar(select(func.count(AuditEvent.id)).where(
            AuditEvent.seq.is_(None))) == 0
        actions = set(db.session.scalars(select(AuditEvent.action).distinct()))
        assert {"need.publish", "allocation.accept", "delivery.record"} <= actions
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert f"OK: {before + 2_000} events checked" in result.output


def _check_balance_refresh_agrees_with_the_base_tables(app, report) -> None:
    with app.app_context():
        generation = db.session.scalar(select(BalanceState.generation))
        assert generation == report.balance_generation
        rows = db.session.scalars(select(BalanceRegionMonth).where(
            BalanceRegionMonth.generation == generation,
            BalanceRegionMonth.region_code == "430000")).all()
        counted = (Need.published_at.is_not(None), Need.status != NeedStatus.withdrawn)
        assert sum(r.needs_published for r in rows) == db.session.scalar(
            select(func.count(Need.id)).where(*counted))
        assert sum(r.needs_fulfilled for r in rows) == db.session.scalar(
            select(func.count(Need.id)).where(*counted, Need.fulfilled_at.is_not(None)))
        by_kind = dict(db.session.execute(
            select(NeedLine.kind, func.sum(Delivery.quantity))
            .join(Allocation, Allocation.id == Delivery.allocation_id)
            .join(NeedLine, NeedLine.id == Allocation.need_line_id)
            .where(Delivery.status != DeliveryStatus.problem).group_by(NeedLine.kind)).all())
        assert sum(r.delivered_funds for r in rows) == by_kind.get("funds", 0)
        assert sum(r.delivered_goods for r in rows) == by_kind.get("goods", 0)
        assert sum(r.delivered_hours for r in rows) == by_kind.get("services", 0)
        assert by_kind.get("services", 0) > 0


def test_generated_activity_is_consistent(app, demo):
    """300 generated households, 200 offers' worth of activity, 2,000 audit events (one run:
    the checks share it)."""
    with app.app_context():
        generate(300, seed=5)
        before = db.session.scalar(select(func.count(AuditEvent.id)))
        report = generate_activity(seed=2, offers=200, audit_events=2_000)
        db.session.remove()
    assert report.allocations > 0 and report.deliveries > 0 and report.contracts > 0
    assert report.payments > 0 and report.feedback > 0 and report.offers >= 200
    _check_allocations_fit_offers_lines_and_contracts(app)
    _check_deliveries_payments_feedback_follow_the_allocations(app)
    _check_fulfilled_needs_have_their_time(app, report)
    _check_audit_chain_has_the_asked_length_and_verifies(app, before)
    _check_balance_refresh_agrees_with_the_base_tables(app, report)
    with app.app_context(), pytest.raises(ScaleError, match="already"):
        generate_activity(seed=3, offers=10, audit_events=10)


def test_command(app, demo):
    with app.app_context():
        generate(40, seed=9)
        db.session.remove()
    result = app.test_cli_runner().invoke(args=[
        "generate-activity", "--offers", "30", "--audit-events", "500", "--no-refresh"])
    assert result.exit_code == 0, result.output
    assert "500 audit events" in result.output
