"""Approving a run: its proposed pairs become allocations, in one transaction, re-checked.

Offers and needs may have changed since the run (pledges on the board, another run
committed, an offer withdrawn). The commit locks the rows it checks, in one global order
(the run, then offers, contracts, need lines and their needs, each by id: the order
``pledge`` uses for its one offer, contract and line), re-reads what is left, and creates
only what still fits.
Two officers committing overlapping runs at once therefore queue on the first shared offer
and the second sees what the first took: nothing is over-allocated.

At scale the commit takes tens of seconds (docs/benchmarks.md), so the site runs it as a
job: :func:`request_commit` (in the web request) checks who decides and what was chosen,
records the request on the run (``summary["commit_request"]``), moves it to ``committing``
and has ``jobs.tasks.commit_matching`` enqueued once the request commits; the job calls
:func:`commit_run` with ``claimed=True`` and commits it in one transaction, or returns the
run to ``done`` with the reason.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload, selectinload

from marketplace.accounts.models import Organization, OrgStatus, Role, User
from marketplace.allocations import services as allocation_services
from marketplace.allocations.models import Allocation, AllocationSource, AllocationStatus
from marketplace.audit.services import record_event
from marketplace.common.access import in_scope, user_prefix
from marketplace.common.models import utcnow
from marketplace.contracts.models import Contract, ContractLine, ContractStatus
from marketplace.extensions import db
from marketplace.jobs.queue import enqueue_after_commit
from marketplace.jobs.tasks import commit_matching
from marketplace.needs import services as need_services
from marketplace.needs.models import BOARD_STATUSES, LineStatus, Need, NeedLine
from marketplace.notifications.models import NotificationKind
from marketplace.notifications.services import notify_organization
from marketplace.offers.models import Offer, OfferStatus
from marketplace.runs.models import (
    AssignmentDecision,
    MatchingRun,
    RunAssignment,
    RunStage,
    RunStatus,
)

#: Hours a provider has to accept a proposed allocation (config ``MATCHING_RESPOND_HOURS``).
DEFAULT_RESPOND_HOURS = 72


class CommitError(Exception):
    """The commit or discard is not allowed; the message is shown to the officer as is."""


@dataclass
class CommitReport:
    """What a commit did: allocations created, pairs left out and why."""

    committed: int = 0
    left_out: list[tuple[int, str]] = field(default_factory=list)  # (assignment id, reason)
    not_selected: int = 0
    allocation_ids: list[int] = field(default_factory=list)

    @property
    def reasons(self) -> Counter:
        return Counter(reason for _, reason in self.left_out)


def may_decide(user: User, run: MatchingRun) -> bool:
    """Who approves or discards a run: an admin, an oversight officer whose region covers
    the run's, or the county reviewer of the run's county (the people who may start it)."""
    if user.role == Role.admin:
        return True
    if not in_scope(user, run):
        return False
    if user.role == Role.oversight:
        return True
    prefix = user_prefix(user) or ""
    return (user.role == Role.reviewer and need_services.is_county_reviewer(user)
            and run.region_code.startswith(prefix))


def _not_waiting(run: MatchingRun) -> CommitError:
    if run.status == RunStatus.committing:
        return CommitError(str(_l("This run is being approved already: its page shows the "
                                  "progress, then what was allocated.")))
    return CommitError(str(_l("This run was already approved or discarded, or has no "
                              "result to approve.")))


def _lock_run(actor: User, run: MatchingRun, claimed: bool = False) -> MatchingRun:
    """The run, re-read; locked unless ``claimed`` (the approval job's run, ``committing``:
    its claim already excludes a second job, and leaving the row unlocked lets the job's
    progress and heartbeat be written while it works)."""
    if not may_decide(actor, run):
        raise CommitError(str(_l("Only an oversight officer of this region or the county "
                                 "reviewer can approve or discard this run.")))
    query = select(MatchingRun).where(MatchingRun.id == run.id).execution_options(
        populate_existing=True)
    run = db.session.scalar(query if claimed else query.with_for_update())
    if run.status != (RunStatus.committing if claimed else RunStatus.done):
        raise _not_waiting(run)
    return run


class CommitInterrupted(CommitError):
    """The approval job's run left ``committing`` under it (its heartbeat was taken for
    stale): nothing of this job may be kept."""


def _still_claimed(run: MatchingRun) -> None:
    """Lock the run row and check it is still this job's approval (see CommitInterrupted)."""
    status, job_id = db.session.execute(
        select(MatchingRun.status, MatchingRun.job_id).where(MatchingRun.id == run.id)
        .with_for_update()).one()
    if status != RunStatus.committing or job_id != run.job_id:
        raise CommitInterrupted(str(_l("The approval was interrupted; nothing was "
                                       "allocated.")))


def request_commit(actor: User, run: MatchingRun, county_codes: Iterable[str] | None = None,
                   assignment_ids: Iterable[int] | None = None, locale: str = ""
                   ) -> MatchingRun:
    """Accept an approval of all of ``run`` (or of some counties' or some pairs): check who
    decides and that something is chosen, record the request, move the run to
    ``committing`` and have the approval job enqueued when the caller commits (flushes
    only). ``locale``: the officer's, for the reasons the job writes.

    Raises:
        CommitError: the actor may not decide, the run is not waiting for a decision (being
            approved, approved, discarded, or no result), or nothing is chosen.
    """
    run = _lock_run(actor, run)
    pairs = db.session.execute(
        select(RunAssignment.id, RunAssignment.county_code).where(
            RunAssignment.run_id == run.id,
            RunAssignment.decision == AssignmentDecision.proposed)).all()
    counties = None if county_codes is None else sorted(set(county_codes))
    ids = None if assignment_ids is None else sorted({int(i) for i in assignment_ids})
    chosen = _selected(pairs, counties, ids)
    if not chosen:
        raise CommitError(str(_l("Choose at least one county or pair to approve.")))
    scope = "all" if counties is None and ids is None else ("counties" if counties else "pairs")
    task = commit_matching.s(run.id)
    run.status, run.stage, run.progress = RunStatus.committing, RunStage.committing, 0
    run.heartbeat_at, run.job_id, run.error = None, task.id, ""
    run.summary = {**run.summary, "commit_request": {
        "by": actor.id, "scope": scope, "counties": counties, "assignments": ids,
        "pairs": len(chosen), "locale": locale, "at": utcnow().isoformat()}}
    db.session.flush()
    record_event(actor, "run.commit_request", run, before={"status": "done"}, after={
        "status": "committing", "scope": scope, "counties": counties, "pairs": len(chosen)})
    enqueue_after_commit(db.session(), task)
    return run


#: Ids per IN list: SQLite allows 32,766 bound values per statement, psycopg 65,535.
CHUNK = 5000


def _chunks(ids: Iterable[int]) -> list[list[int]]:
    ids = sorted(set(ids))
    return [ids[i:i + CHUNK] for i in range(0, len(ids), CHUNK)]


def _merged(figures, ids: Iterable[int]) -> dict:
    """``figures(ids)`` (one of the allocation sums) over chunks of ids."""
    out: dict = {}
    for chunk in _chunks(ids):
        out.update(figures(chunk))
    return out


def _locked(model, ids: Iterable[int], *options):
    """Rows of ``model`` by id, locked in id order (fresh from the database); the chunks go
    in ascending order too, so the lock order holds across them."""
    found = {}
    for chunk in _chunks(ids):
        rows = db.session.scalars(
            select(model).where(model.id.in_(chunk)).order_by(model.id).options(*options)
            .with_for_update(of=model).execution_options(populate_existing=True)).unique()
        found.update((row.id, row) for row in rows)
    return found


def _respond_by():
    hours = current_app.config.get("MATCHING_RESPOND_HOURS", DEFAULT_RESPOND_HOURS)
    return utcnow() + timedelta(hours=int(hours))


def _selected(pairs: list[RunAssignment], county_codes, assignment_ids) -> set[int]:
    if county_codes is None and assignment_ids is None:
        return {p.id for p in pairs}
    counties = set(county_codes or ())
    ids = {int(i) for i in assignment_ids or ()}
    return {p.id for p in pairs if p.county_code in counties or p.id in ids}


class _Ledger:
    """What is left of each offer, line and contract budget while pairs are taken."""

    def __init__(self, offers, lines, contracts, prices) -> None:
        committed = _merged(allocation_services.committed_by_offer, offers)
        covered = _merged(allocation_services.covered_by_line, lines)
        figures = _merged(allocation_services.contract_figures, contracts)
        self.offer_left = {i: o.capacity - committed[i] for i, o in offers.items()}
        self.line_left = {i: ln.quantity - covered[i] for i, ln in lines.items()}
        self.budget_left = {i: c.budget - figures[i][0] for i, c in contracts.items()}
        self.prices = prices  # offer id -> (contract id, unit price)

    def why_not(self, pair: RunAssignment) -> str | None:
        q = pair.quantity
        if q > self.line_left[pair.need_line_id]:
            left = max(self.line_left[pair.need_line_id], Decimal(0))
            return str(_l("The line now needs only %(left)s more (pledged or allocated since "
                          "the run).", left=left))
        if q > self.offer_left[pair.offer_id]:
            left = max(self.offer_left[pair.offer_id], Decimal(0))
            return str(_l("Only %(left)s of the offer remain (allocated since the run).",
                          left=left))
        contract = self.prices.get(pair.offer_id)
        if contract and q * contract[1] > self.budget_left[contract[0]]:
            return str(_l("The contract budget no longer covers it (%(left)s CNY remain).",
                          left=f"{max(self.budget_left[contract[0]], Decimal(0)):.2f}"))
        return None

    def take(self, pair: RunAssignment) -> None:
        self.line_left[pair.need_line_id] -= pair.quantity
        self.offer_left[pair.offer_id] -= pair.quantity
        contract = self.prices.get(pair.offer_id)
        if contract:
            self.budget_left[contract[0]] -= pair.quantity * contract[1]


def _still_open(offer: Offer, org: Organization, contract: Contract | None, line: NeedLine,
                today: date) -> str | None:
    """Why the offer or line can no longer take this pair, or None."""
    if offer.status != OfferStatus.open or org.status != OrgStatus.verified or (
            contract is not None and contract.status != ContractStatus.active):
        return str(_l("The offer is no longer open."))
    if line.status != LineStatus.open or line.need.status not in BOARD_STATUSES:
        return str(_l("The need is no longer open."))
    return allocation_services.incompatibility(offer, line, today)


def commit_run(actor: User, run: MatchingRun, county_codes: Iterable[str] | None = None,
               assignment_ids: Iterable[int] | None = None, *,
               progress: Callable[[int], None] | None = None,
               claimed: bool = False) -> CommitReport:
    """Approve all of ``run`` (or the pairs of some counties, or some pairs); flushes.

    Creates one proposed allocation per approved pair that still fits; marks the others
    left out with the reason, and the pairs not selected as not approved. The run becomes
    committed: it cannot be approved twice. ``progress(percent)`` is told how far it got;
    ``claimed``: called by the approval job for a ``committing`` run (see
    :func:`request_commit`), else the run must be ``done``.

    Raises:
        CommitError: the actor may not decide, or the run is not waiting for a decision;
            CommitInterrupted when a claimed run was taken back meanwhile.
    """
    tell = progress or (lambda percent: None)
    run = _lock_run(actor, run, claimed)
    pairs = list(db.session.scalars(
        select(RunAssignment).where(RunAssignment.run_id == run.id,
                                    RunAssignment.decision == AssignmentDecision.proposed)
        .order_by(RunAssignment.id)))
    chosen_ids = _selected(pairs, county_codes, assignment_ids)
    if not chosen_ids:
        raise CommitError(str(_l("Choose at least one county or pair to approve.")))
    chosen = [p for p in pairs if p.id in chosen_ids]
    tell(5)

    offers = _locked(Offer, (p.offer_id for p in chosen))
    prices = {oid: (cid, price) for chunk in _chunks(offers)
              for oid, cid, price in db.session.execute(
                  select(Offer.id, ContractLine.contract_id, ContractLine.unit_price).join(
                      ContractLine, Offer.contract_line_id == ContractLine.id)
                  .where(Offer.id.in_(chunk)))}
    contract_of = {oid: cid for oid, (cid, _price) in prices.items()}
    contracts = _locked(Contract, contract_of.values())
    lines = _locked(NeedLine, (p.need_line_id for p in chosen),
                    joinedload(NeedLine.need).joinedload(Need.household))
    orgs = {o.id: o for o in db.session.scalars(select(Organization).where(
        Organization.id.in_({o.organization_id for o in offers.values()})))}
    ledger = _Ledger(offers, lines, contracts, prices)
    tell(30)

    today, respond_by, report = date.today(), _respond_by(), CommitReport()
    created: list[tuple[RunAssignment, Allocation]] = []
    for pair in chosen:
        offer, line = offers[pair.offer_id], lines[pair.need_line_id]
        contract = contracts.get(contract_of.get(offer.id))
        reason = (_still_open(offer, orgs[offer.organization_id], contract, line, today)
                  or ledger.why_not(pair))
        if reason:
            report.left_out.append((pair.id, reason))
            continue
        ledger.take(pair)
        created.append((pair, Allocation(
            offer_id=offer.id, need_line_id=line.id, quantity=pair.quantity,
            status=AllocationStatus.proposed, source=AllocationSource.matching,
            organization_id=offer.organization_id, region_code=line.need.region_code,
            created_by_id=actor.id, run_id=run.id, respond_by=respond_by)))
    tell(35)
    db.session.add_all([a for _, a in created])
    db.session.flush()
    tell(55)

    # Set on the loaded rows: the flush sends one executemany per set of columns.
    not_chosen = str(_l("Not approved by the officer."))
    reasons = dict(report.left_out)
    allocated = {p.id: a.id for p, a in created}
    for pair in pairs:
        if pair.id in allocated:
            pair.decision, pair.allocation_id = AssignmentDecision.committed, allocated[pair.id]
        else:
            pair.decision = AssignmentDecision.left_out
            pair.reason = reasons.get(pair.id, not_chosen)
    report.committed = len(created)
    report.allocation_ids = [a.id for _, a in created]
    report.not_selected = len(pairs) - len(chosen)

    db.session.flush()
    tell(65)
    _refresh_needs(actor, {lines[p.need_line_id].need for p, _ in created})
    tell(90)
    _notify_providers(created)
    if claimed:
        _still_claimed(run)
    run.status = RunStatus.committed
    if claimed:
        run.stage, run.progress, run.heartbeat_at = None, 100, utcnow()
    run.committed_by_id, run.committed_at = actor.id, utcnow()
    run.summary = {**run.summary, "commit": {
        "committed": report.committed, "left_out": len(report.left_out),
        "not_selected": report.not_selected, "reasons": dict(report.reasons), "by": actor.id}}
    db.session.flush()
    # The allocations carry the run's id: the event need not list tens of thousands of ids.
    record_event(actor, "run.commit", run, after={
        "committed": report.committed, "left_out": len(report.left_out),
        "not_selected": report.not_selected})
    return report


def _refresh_needs(actor: User, needs: set[Need]) -> None:
    """Matched in part or in full, from one covered query over all their lines."""
    needs = sorted(needs, key=lambda n: n.id)
    if not needs:
        return
    # Locked (after the lines, in id order) and re-read with their lines: a pledge on another
    # line of the same need may have moved its status since; the compare-and-set in
    # refresh_match_status must start from the current one.
    _locked(Need, (n.id for n in needs), selectinload(Need.lines))
    covered = _merged(allocation_services.covered_by_line,
                      [line.id for need in needs for line in need.lines])
    need_services.refresh_match_statuses(actor, needs, covered)


def _notify_providers(created: list[tuple[RunAssignment, Allocation]]) -> None:
    """One notification per organisation (about its first allocation of the run, with the
    count), not one per allocation: a large run proposes thousands."""
    by_org: dict[int, list[Allocation]] = defaultdict(list)
    for _, allocation in created:
        by_org[allocation.organization_id].append(allocation)
    for org_id, allocations in sorted(by_org.items()):
        first = allocations[0]
        notify_organization(org_id, NotificationKind.allocation_waiting, first, {
            "quantity": str(first.quantity), "count": len(allocations),
            "respond_by": first.respond_by.isoformat()})


def discard_run(actor: User, run: MatchingRun, note: str = "") -> MatchingRun:
    """Set a finished run aside: nothing is allocated; flushes.

    Raises:
        CommitError: the actor may not decide, or the run is not waiting for a decision.
    """
    run = _lock_run(actor, run)
    run.status = RunStatus.discarded
    db.session.execute(update(RunAssignment).where(
        RunAssignment.run_id == run.id,
        RunAssignment.decision == AssignmentDecision.proposed).values(
        decision=AssignmentDecision.left_out, reason=str(_l("The run was discarded."))))
    db.session.flush()
    record_event(actor, "run.discard", run, before={"status": "done"},
                 after={"status": "discarded"}, note=note.strip())
    return run
