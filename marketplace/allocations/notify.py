"""Who hears about the allocation flow (through the notifications area)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from marketplace.accounts.models import Role
from marketplace.allocations.models import Allocation, Delivery
from marketplace.extensions import db
from marketplace.notifications.models import NotificationKind
from marketplace.notifications.services import notify, notify_officers, officer_ids
from marketplace.offers.models import Offer

#: While a sweep groups them: recipient's user id → the allocations that expired for them.
_overdue: ContextVar[dict[int, list[Allocation]] | None] = ContextVar(
    "nuanxin_overdue_sweep", default=None)


def _overdue_recipients(allocation: Allocation) -> list[int]:
    """The officer who started the allocation's matching run, or, when there is none, the
    reviewers whose area covers the need."""
    from marketplace.runs.models import MatchingRun  # the runs area imports allocations

    run = db.session.get(MatchingRun, allocation.run_id) if allocation.run_id else None
    if run is not None and run.created_by_id is not None:
        return [run.created_by_id]
    return officer_ids(allocation.region_code, (Role.reviewer,))


def _single_params(allocation: Allocation) -> dict:
    return {"allocation_id": allocation.id, "quantity": str(allocation.quantity),
            "unit": _unit(allocation)}


def acceptance_overdue(allocation: Allocation) -> None:
    """Nobody accepted ``allocation`` in time: tell the officer who started its matching run,
    or, when there is none, the reviewers whose area covers the need. Inside
    :func:`overdue_sweep` the notice waits, to be sent with the others of the sweep."""
    recipients = _overdue_recipients(allocation)
    pending = _overdue.get()
    if pending is not None:
        for user_id in recipients:
            pending[user_id].append(allocation)
        return
    notify(recipients, NotificationKind.acceptance_overdue, allocation,
           _single_params(allocation))


@contextmanager
def overdue_sweep() -> Iterator[None]:
    """Group the acceptance_overdue notices of one housekeeping sweep: one notification per
    recipient (with the count, leading to the released allocations), not one per allocation.
    Sent when the block ends without an error (flushes; the caller commits)."""
    pending: dict[int, list[Allocation]] = defaultdict(list)
    token = _overdue.set(pending)
    try:
        yield
    finally:
        _overdue.reset(token)
    for user_id, allocations in sorted(pending.items()):
        first = min(allocations, key=lambda a: a.id)
        params = (_single_params(first) if len(allocations) == 1 else
                  {"allocation_id": first.id, "count": len(allocations)})
        notify([user_id], NotificationKind.acceptance_overdue, first, params)


def delivery_to_confirm(delivery: Delivery) -> None:
    """A delivery was recorded: the caseworkers whose area covers the need confirm it."""
    notify_officers(delivery.region_code, (Role.caseworker,),
                    NotificationKind.delivery_to_confirm, delivery,
                    {"delivery_id": delivery.id, "quantity": str(delivery.quantity),
                     "unit": _unit(delivery.allocation)})


def _unit(allocation: Allocation) -> str:
    return db.session.get(Offer, allocation.offer_id).unit
