"""Allocations that came back: declined or expired, for the officers who re-match them.

A declined or expired allocation already freed its capacity and put its need line back in the
pool; the next matching run over the county picks the line up. The officers' page lists the
ones whose line is still not covered, with the provider's reason, and offers a one-click
re-match: a run over the allocation's county for the line's kind and category
(``runs.services.start_run``, queued like any run).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from marketplace.accounts.models import User
from marketplace.allocations.models import Allocation, AllocationStatus
from marketplace.common.access import scope_filter
from marketplace.extensions import db
from marketplace.needs.models import LineStatus, NeedLine
from marketplace.offers.models import Offer

RELEASED_BACK = (AllocationStatus.declined, AllocationStatus.expired)


@dataclass(frozen=True)
class Released:
    allocation: Allocation
    #: The county a re-match runs over (the run's region).
    county_code: str


def released(user: User, limit: int = 200) -> list[Released]:
    """Declined and expired allocations in ``user``'s area whose line is still open, the
    latest first."""
    rows = db.session.scalars(
        select(Allocation).join(NeedLine, NeedLine.id == Allocation.need_line_id)
        .where(scope_filter(Allocation, user), Allocation.status.in_(RELEASED_BACK),
               NeedLine.status == LineStatus.open)
        .options(joinedload(Allocation.offer).joinedload(Offer.organization),
                 joinedload(Allocation.need_line))
        .order_by(Allocation.updated_at.desc(), Allocation.id.desc()).limit(limit))
    return [Released(a, a.region_code[:6]) for a in rows]


def rematch(actor: User, allocation: Allocation):
    """Queue a matching run over the allocation's county for its line's kind and category;
    flushes (the run is enqueued when the caller commits).

    Raises:
        RunError: the officer may not run over that county, or a run there is still going.
    """
    from marketplace.runs.services import start_run  # the runs area imports allocations

    line = db.session.get(NeedLine, allocation.need_line_id)
    return start_run(actor, allocation.region_code[:6], kinds=[str(line.kind)],
                     categories=[line.category])
