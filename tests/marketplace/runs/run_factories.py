"""Builders for the run tests (problem, pipeline, review, commit): a run, and the demo pool
set aside so that each test's pool is exactly the lines and offers it creates."""

from __future__ import annotations

from sqlalchemy import update

from marketplace.extensions import db
from marketplace.needs.models import Need, NeedStatus
from marketplace.offers.models import Offer, OfferStatus
from marketplace.runs.models import MatchingRun, RunStatus
from tests.marketplace.allocations.factories import user


def set_demo_pool_aside() -> None:
    """Withdraw the demo offers and close the demo needs (seed_demo publishes some)."""
    db.session.execute(update(Offer).values(status=OfferStatus.withdrawn))
    db.session.execute(update(Need).values(status=NeedStatus.closed))
    db.session.flush()


def make_run(region_code: str = "433100", officer: str = "oversight_xx",
             status: RunStatus = RunStatus.running, **kw) -> MatchingRun:
    """A run row as the job queue hands it to the pipeline (no job behind it)."""
    run = MatchingRun(region_code=region_code, kinds=kw.pop("kinds", []),
                      categories=kw.pop("categories", []), policy=kw.pop("policy", {}),
                      created_by_id=user(officer).id, status=status, **kw)
    db.session.add(run)
    db.session.flush()
    return run


def finished_run(region_code: str = "433100", **kw) -> MatchingRun:
    """A run through the pipeline over the current pool, done and waiting for review."""
    from marketplace.runs.pipeline import execute

    kw.setdefault("policy", {"time_limit_s": 5})
    run = make_run(region_code, **kw)
    execute(run, lambda stage, percent: None)
    run.status = RunStatus.done
    db.session.flush()
    return run
