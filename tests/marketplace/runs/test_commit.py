"""Approving a run: allocations in one transaction, re-checked against what is left now."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from marketplace.allocations.models import Allocation, AllocationSource, AllocationStatus
from marketplace.allocations.services import pledge
from marketplace.audit.models import AuditEvent
from marketplace.catalog.vocab import LineKind
from marketplace.common.models import utcnow
from marketplace.contracts.services import contract_offers
from marketplace.extensions import db
from marketplace.needs.models import Need, NeedStatus
from marketplace.notifications.models import Notification, NotificationKind
from marketplace.runs import commit as commit_module
from marketplace.runs.commit import CommitError, commit_run, discard_run
from marketplace.runs.models import AssignmentDecision, RunAssignment, RunStatus
from tests.marketplace.allocations.factories import (
    active_contract,
    en,
    funds_data,
    make_line,
    offer,
    service_data,
    user,
)
from tests.marketplace.runs.run_factories import finished_run, set_demo_pool_aside


def pairs_of(run):
    return list(db.session.scalars(select(RunAssignment).where(RunAssignment.run_id == run.id)
                                   .order_by(RunAssignment.id)))


def allocated(column, ident) -> Decimal:
    return db.session.scalar(select(func.coalesce(func.sum(Allocation.quantity), 0)).where(
        column == ident, Allocation.status != AllocationStatus.cancelled))


def test_approve_all_creates_proposed_allocations(app, demo):
    with en(app):
        set_demo_pool_aside()
        lines = [make_line(quantity="20"), make_line(quantity="10")]
        service = offer("provider_staff", service_data())  # 40 h
        run = finished_run()
        officer = user("oversight_xx")
        report = commit_run(officer, run)
        db.session.commit()

        assert report.committed == 2 and not report.left_out and report.not_selected == 0
        allocations = db.session.scalars(select(Allocation).where(
            Allocation.run_id == run.id)).all()
        assert {(a.need_line_id, a.quantity) for a in allocations} == {
            (lines[0].id, Decimal("20")), (lines[1].id, Decimal("10"))}
        for a in allocations:
            assert a.status == AllocationStatus.proposed
            assert a.source == AllocationSource.matching
            assert a.offer_id == service.id and a.created_by_id == officer.id
            hours = (a.respond_by - utcnow()) / timedelta(hours=1)
            assert 71.9 < hours <= 72
        assert all(p.decision == AssignmentDecision.committed and p.allocation_id
                   for p in pairs_of(run))
        assert run.status == RunStatus.committed and run.committed_by_id == officer.id
        assert run.summary["commit"]["committed"] == 2
        # every line covered: the needs are matched and their lines left the board
        assert {db.session.get(Need, ln.need_id).status for ln in lines} == {NeedStatus.matched}
        staff = user("provider_staff")
        notes = db.session.scalars(select(Notification).where(
            Notification.user_id == staff.id)).all()
        assert [n.kind for n in notes] == [NotificationKind.allocation_waiting]
        assert notes[0].params["count"] == 2
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "run.commit"))
        assert event.actor_id == officer.id and event.object_id == str(run.id)
        assert event.after == {"committed": 2, "left_out": 0, "not_selected": 0}


def test_respond_by_follows_the_configuration(app, demo, monkeypatch):
    monkeypatch.setitem(app.config, "MATCHING_RESPOND_HOURS", 24)
    with app.app_context():
        set_demo_pool_aside()
        make_line(quantity="5")
        offer("provider_staff", service_data())
        run = finished_run()
        commit_run(user("oversight_xx"), run)
        allocation = db.session.scalar(select(Allocation).where(Allocation.run_id == run.id))
        assert 23.9 < (allocation.respond_by - utcnow()) / timedelta(hours=1) <= 24


def test_a_pledge_after_the_run_leaves_the_overlapping_pair_out(app, demo):
    with en(app):
        set_demo_pool_aside()
        first, second = make_line(quantity="20"), make_line(quantity="20")
        service = offer("provider_staff", service_data())  # 40 h: both lines
        run = finished_run()
        assert len(pairs_of(run)) == 2
        # After the run, a provider pledges 5 h of the offer to the first line on the board,
        # and 10 h to a line the run never saw.
        staff = user("provider_staff")
        pledge(staff, service, first, Decimal("5"))
        pledge(staff, service, make_line(quantity="10"), Decimal("10"))
        report = commit_run(user("oversight_xx"), run)
        db.session.commit()

        # first line: 20 h proposed, only 15 h needed now → left out; second line: 20 h of
        # the 25 h left → committed
        assert report.committed == 1 and len(report.left_out) == 1
        by_line = {p.need_line_id: p for p in pairs_of(run)}
        assert by_line[first.id].decision == AssignmentDecision.left_out
        assert "needs only 15" in by_line[first.id].reason
        assert by_line[second.id].decision == AssignmentDecision.committed
        assert allocated(Allocation.offer_id, service.id) == Decimal("35") <= service.capacity
        assert allocated(Allocation.need_line_id, first.id) == Decimal("5")


def test_the_offer_capacity_taken_since_is_rechecked(app, demo):
    with en(app):
        set_demo_pool_aside()
        line = make_line(quantity="30")
        service = offer("provider_staff", service_data())  # 40 h
        run = finished_run()
        pledge(user("provider_staff"), service, make_line(quantity="20"), Decimal("20"))
        report = commit_run(user("oversight_xx"), run)
        assert report.committed == 0
        (pair,) = pairs_of(run)
        assert pair.decision == AssignmentDecision.left_out
        assert pair.reason.startswith("Only 20")
        assert allocated(Allocation.offer_id, service.id) == Decimal("20")
        assert allocated(Allocation.need_line_id, line.id) == 0


def test_the_contract_budget_is_rechecked(app, demo):
    with en(app):
        set_demo_pool_aside()
        contract = active_contract()  # home care at 50 CNY/h
        make_line(quantity="20")  # 1 000 CNY
        run = finished_run()
        assert len(pairs_of(run)) == 1
        contract.budget = Decimal("600")  # budget cut after the run (a direct change)
        db.session.flush()
        report = commit_run(user("oversight_xx"), run)
        assert report.committed == 0
        assert "contract budget" in report.left_out[0][1]
        home = contract_offers(contract)[0]
        assert allocated(Allocation.offer_id, home.id) == 0


def test_a_withdrawn_offer_is_left_out(app, demo):
    with en(app):
        set_demo_pool_aside()
        make_line(quantity="10")
        service = offer("provider_staff", service_data())
        run = finished_run()
        service.status = "withdrawn"
        db.session.flush()
        report = commit_run(user("oversight_xx"), run)
        assert report.committed == 0 and report.left_out[0][1] == "The offer is no longer open."


def test_approve_some_counties_or_some_pairs(app, demo):
    with en(app):
        set_demo_pool_aside()
        jishou = make_line(LineKind.funds, "medical", "100")
        fenghuang = make_line(LineKind.funds, "medical", "100", region_code="433123101")
        offer("charity_staff", funds_data())
        run = finished_run()
        report = commit_run(user("oversight_xx"), run, county_codes=["433123"])
        assert report.committed == 1 and report.not_selected == 1
        by_line = {p.need_line_id: p for p in pairs_of(run)}
        assert by_line[fenghuang.id].decision == AssignmentDecision.committed
        assert by_line[jishou.id].decision == AssignmentDecision.left_out
        assert by_line[jishou.id].reason == "Not approved by the officer."

        other = finished_run()  # the pool still has the Jishou line
        (pair,) = pairs_of(other)
        report = commit_run(user("oversight_xx"), other, assignment_ids=[pair.id])
        assert report.committed == 1
        make_line(LineKind.funds, "medical", "100")
        with pytest.raises(CommitError, match="Choose at least one"):  # an empty choice
            commit_run(user("oversight_xx"), finished_run(), county_codes=[])


def test_commit_twice_or_after_discard_is_refused(app, demo):
    with en(app):
        set_demo_pool_aside()
        make_line(quantity="10")
        service = offer("provider_staff", service_data())
        run = finished_run()
        officer = user("oversight_xx")
        commit_run(officer, run)
        with pytest.raises(CommitError, match="already approved or discarded"):
            commit_run(officer, run)
        with pytest.raises(CommitError):
            discard_run(officer, run)
        assert allocated(Allocation.offer_id, service.id) == Decimal("10")

        make_line(quantity="5")
        other = finished_run()
        discard_run(officer, other)
        assert other.status == RunStatus.discarded
        assert {p.decision for p in pairs_of(other)} == {AssignmentDecision.left_out}
        with pytest.raises(CommitError):
            commit_run(officer, other)
        assert allocated(Allocation.offer_id, service.id) == Decimal("10")


@pytest.mark.parametrize("username, allowed", [
    ("oversight_xx", True), ("oversight_hn", True), ("reviewer_jishou", False),
    ("caseworker_jishou", False), ("provider_staff", False)])
def test_who_may_decide(app, demo, username, allowed):
    with en(app):
        set_demo_pool_aside()
        make_line(quantity="10")
        offer("provider_staff", service_data())
        run = finished_run("433100")
        if allowed:
            assert commit_run(user(username), run).committed == 1
        else:
            with pytest.raises(CommitError, match="Only an oversight officer"):
                commit_run(user(username), run)


def test_the_county_reviewer_decides_a_county_run(app, demo):
    with app.app_context():
        set_demo_pool_aside()
        make_line(quantity="10")
        offer("provider_staff", service_data())
        run = finished_run("433101")
        assert commit_run(user("reviewer_jishou"), run).committed == 1
        make_line(quantity="5")  # the township reviewer may see the run, not decide it
        with pytest.raises(CommitError):
            commit_run(user("reviewer_qianzhou"), finished_run("433101"))


def test_large_id_lists_go_in_chunks(app, demo, monkeypatch):
    """Tens of thousands of ids exceed a statement's bound values: the commit reads and locks
    them in chunks (here one id per chunk), with the same outcome."""
    monkeypatch.setattr(commit_module, "CHUNK", 1)
    with en(app):
        set_demo_pool_aside()
        lines = [make_line(LineKind.funds, "medical", "100") for _ in range(3)]
        offer("charity_staff", funds_data(capacity=Decimal("250")))
        offer("charity_staff", funds_data(capacity=Decimal("30")))
        run = finished_run()
        report = commit_run(user("oversight_xx"), run)
        assert report.committed == len(pairs_of(run)) >= 3 and not report.left_out
        assert sum(allocated(Allocation.need_line_id, ln.id) for ln in lines) == Decimal("280")
        assert {db.session.get(Need, ln.need_id).status for ln in lines} <= {
            NeedStatus.matched, NeedStatus.partially_matched}


def test_bulk_refresh_matches_the_one_by_one_refresh(app, demo):
    """refresh_match_statuses moves needs, lines and the audit trail as refresh_match_status
    does, need by need."""
    from marketplace.allocations.services import covered_by_line
    from marketplace.needs.services import refresh_match_status, refresh_match_statuses

    with app.app_context():
        set_demo_pool_aside()
        service = offer("provider_staff", service_data(capacity=Decimal("40")))
        staff = user("provider_staff")
        outcomes = []
        for refresh in ("one", "bulk"):
            full, part, none = (make_line(quantity="10") for _ in range(3))
            pledge(staff, service, full, Decimal("10"))
            pledge(staff, service, part, Decimal("4"))
            needs = [db.session.get(Need, ln.need_id) for ln in (full, part, none)]
            covered = covered_by_line([ln.id for ln in (full, part, none)])
            if refresh == "one":
                for need in needs:
                    refresh_match_status(None, need, covered)
            else:
                refresh_match_statuses(None, needs, covered)
            db.session.flush()
            db.session.expire_all()
            outcomes.append([(n.status, [ln.status for ln in n.lines]) for n in needs])
            events = db.session.scalars(select(AuditEvent).where(
                AuditEvent.action == "need.match_status",
                AuditEvent.object_id.in_([str(n.id) for n in needs]))).all()
            outcomes[-1].append(sorted((e.before["status"], e.after["status"]) for e in events))
        assert outcomes[0] == outcomes[1]
        assert outcomes[0][0][0] == NeedStatus.matched
        assert outcomes[0][1][0] == NeedStatus.partially_matched
