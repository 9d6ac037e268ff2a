"""Starting matching runs and listing them: who may, over which region, with which policy.

Who may start a run: an oversight officer for any province, prefecture or county in their
subtree; a county reviewer for their own county. The run itself is done by a background job
(``marketplace.jobs.tasks.run_matching``), enqueued once the run's row is committed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select

from marketplace.accounts.models import Role, User
from marketplace.audit.services import record_event
from marketplace.catalog.vocab import CATEGORIES, LineKind
from marketplace.common.access import scope_filter, user_prefix
from marketplace.common.models import utcnow
from marketplace.extensions import db
from marketplace.jobs.queue import enqueue_after_commit
from marketplace.jobs.tasks import run_matching
from marketplace.regions.models import Region, RegionLevel, scope_prefix, subtree_condition
from marketplace.runs.models import ACTIVE, MatchingRun, RunStatus

#: Levels a run may cover.
RUN_LEVELS = (RegionLevel.province, RegionLevel.prefecture, RegionLevel.county)
#: Bounds of the policy an officer may choose.
MAX_TIME_LIMIT_S = 600
#: A run still queued after this long probably has no worker to pick it up.
WAITING_TOO_LONG = timedelta(minutes=1)
#: A run still queued after this long no longer stops a new run over its region. (An approval
#: no worker took up goes back to done after ``jobs.progress.APPROVAL_LOST_IN_QUEUE``.)
LOST_IN_QUEUE = timedelta(minutes=30)


class RunError(Exception):
    """A run that cannot start; the message says why, in the user's language."""


@dataclass(frozen=True)
class Policy:
    """The matching policy an officer chose (the matching format's ``policy``)."""

    coverage_slack: Decimal = Decimal("0.01")
    balance: bool = True
    time_limit_s: int = 30

    def as_json(self) -> dict:
        return {"coverage_slack": float(self.coverage_slack), "balance": self.balance,
                "time_limit_s": int(self.time_limit_s)}


def is_county_reviewer(user: User) -> bool:
    """A reviewer whose home region is a county (township reviewers start no runs)."""
    code = user.region_code or ""
    return user.role == Role.reviewer and len(code) == 6 and scope_prefix(code) == code


def may_start(user: User, region_code: str) -> bool:
    """Whether ``user`` may start a run over ``region_code``: oversight in their subtree, a
    county reviewer in their own county."""
    if not region_code or len(region_code) != 6:
        return False
    if user.role == Role.oversight:
        prefix = user_prefix(user)
        return bool(prefix and region_code.startswith(prefix))
    if is_county_reviewer(user):
        return region_code == user.region_code
    return False


def may_start_any(user: User) -> bool:
    return user.role == Role.oversight or is_county_reviewer(user)


def startable_regions(user: User) -> list[Region]:
    """The regions ``user`` may run over, in code order."""
    if not may_start_any(user):
        return []
    prefix = user_prefix(user)
    if not prefix:
        return []
    query = select(Region).where(Region.level.in_(RUN_LEVELS),
                                 subtree_condition(Region.code, prefix))
    return [r for r in db.session.scalars(query.order_by(Region.code))
            if may_start(user, r.code)]


def _check_policy(policy: Policy) -> None:
    if not Decimal(0) <= policy.coverage_slack <= Decimal(1):
        raise RunError(str(_l("The coverage slack must be between 0 and 1.")))
    if not 1 <= policy.time_limit_s <= MAX_TIME_LIMIT_S:
        raise RunError(str(_l("The time limit must be between 1 and %(max)d seconds.",
                              max=MAX_TIME_LIMIT_S)))


def start_run(actor: User, region_code: str, kinds: Iterable[str] = (),
              categories: Iterable[str] = (), policy: Policy | None = None) -> MatchingRun:
    """Create a queued run and have its job enqueued when the caller commits (flushes only).

    ``kinds`` and ``categories`` empty mean all of them.

    Raises:
        RunError: not allowed for this region, unknown kind or category, a policy out of
            bounds, or a run over the same region still queued or running.
    """
    if not may_start(actor, region_code) or db.session.get(Region, region_code) is None:
        raise RunError(str(_l("You cannot start a matching run for this region.")))
    kinds = sorted(set(kinds))
    categories = sorted(set(categories))
    if any(k not in set(LineKind) for k in kinds):
        raise RunError(str(_l("Unknown kind of help.")))
    if any(c not in CATEGORIES for c in categories):
        raise RunError(str(_l("Unknown category.")))
    policy = policy or Policy()
    _check_policy(policy)
    # A run queued long ago whose job was lost (a queue emptied, a Redis without persistence
    # restarted) must not block its region for ever; if its job turns up after all, the worker
    # runs it too, which does no harm.
    recent = utcnow() - LOST_IN_QUEUE
    busy = db.session.scalar(select(MatchingRun.id).where(
        MatchingRun.region_code == region_code, MatchingRun.status.in_(ACTIVE),
        (MatchingRun.status == RunStatus.running) | (MatchingRun.created_at > recent)).limit(1))
    if busy is not None:
        raise RunError(str(_l("A run for this region is already queued or running (run "
                              "%(id)d): wait for it to finish.", id=busy)))
    run = MatchingRun(region_code=region_code, kinds=kinds, categories=categories,
                      policy=policy.as_json(), status=RunStatus.queued, progress=0,
                      created_by_id=actor.id)
    db.session.add(run)
    db.session.flush()
    task = run_matching.s(run.id)
    run.job_id = task.id
    record_event(actor, "run.start", run, after={
        "region_code": region_code, "kinds": kinds, "categories": categories,
        "policy": policy.as_json()})
    enqueue_after_commit(db.session(), task)
    return run


def runs_query(user: User) -> Select:
    """The runs ``user`` may see, newest first."""
    return (select(MatchingRun).where(scope_filter(MatchingRun, user))
            .order_by(MatchingRun.created_at.desc(), MatchingRun.id.desc()))


def list_runs(user: User, page: int = 1, per_page: int | None = None):
    """A page of the runs ``user`` may see, newest first."""
    return db.paginate(runs_query(user), page=page, per_page=per_page, error_out=False)


def elapsed_seconds(run: MatchingRun, now: datetime | None = None) -> int | None:
    """Seconds the run has worked (so far, or in all); None before a worker started it."""
    if run.started_at is None:
        return None
    end = run.finished_at or now or utcnow()
    return max(0, int((end - run.started_at).total_seconds()))


def failure_reason(run: MatchingRun) -> tuple[str, str]:
    """Why ``run`` failed, for the page: the reason in the user's language and, when there is
    one, a technical detail (the worker writes fixed reasons as English message ids)."""
    first, _, detail = (run.error or "").partition("\n")
    return (gettext(first) if first else ""), detail


def waiting_too_long(run: MatchingRun, now: datetime | None = None) -> bool:
    """A queued run (or a requested approval) nobody picked up for a while: is a worker
    running? (An approval's request is its row's last change until a worker takes it.)"""
    now = now or utcnow()
    if run.status == RunStatus.committing:
        return run.heartbeat_at is None and run.updated_at is not None and (
            now - run.updated_at > WAITING_TOO_LONG)
    return run.status == RunStatus.queued and run.created_at is not None and (
        now - run.created_at > WAITING_TOO_LONG)

