"""Who hears about the allocation flow (through the notifications area)."""

from __future__ import annotations

from marketplace.accounts.models import Role
from marketplace.allocations.models import Allocation, Delivery
from marketplace.extensions import db
from marketplace.notifications.models import NotificationKind
from marketplace.notifications.services import notify, notify_officers
from marketplace.offers.models import Offer


def acceptance_overdue(allocation: Allocation) -> None:
    """Nobody accepted ``allocation`` in time: tell the officer who started its matching run,
    or, when there is none, the reviewers whose area covers the need."""
    from marketplace.runs.models import MatchingRun  # the runs area imports allocations

    params = {"allocation_id": allocation.id, "quantity": str(allocation.quantity),
              "unit": _unit(allocation)}
    run = db.session.get(MatchingRun, allocation.run_id) if allocation.run_id else None
    if run is not None and run.created_by_id is not None:
        notify([run.created_by_id], NotificationKind.acceptance_overdue, allocation, params)
    else:
        notify_officers(allocation.region_code, (Role.reviewer,),
                        NotificationKind.acceptance_overdue, allocation, params)


def delivery_to_confirm(delivery: Delivery) -> None:
    """A delivery was recorded: the caseworkers whose area covers the need confirm it."""
    notify_officers(delivery.region_code, (Role.caseworker,),
                    NotificationKind.delivery_to_confirm, delivery,
                    {"delivery_id": delivery.id, "quantity": str(delivery.quantity),
                     "unit": _unit(delivery.allocation)})


def _unit(allocation: Allocation) -> str:
    return db.session.get(Offer, allocation.offer_id).unit
