"""What a notification says and where it leads, in the reader's language.

Messages are built when shown (not stored), so they follow the reader's language. They use
these ``params`` when the notifying area gave them, and read well without them:

* ``quantity`` and ``unit`` (allocation_waiting, acceptance_overdue, delivery_to_confirm),
* ``count``: how many allocations one allocation_waiting stands for (a run's, per provider),
* ``respond_by`` (ISO timestamp, allocation_waiting),
* ``status`` (run_finished: ``done`` or ``failed``) and ``error`` (the failure in words),
* ``name``: what the object is called (an offer's or need's title), safe for every recipient.

Links go to the page where the recipient acts on it, in the area that owns it; an area that
has no such page leaves the notification without a link rather than a broken one.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import current_app, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from sqlalchemy import select

from marketplace.catalog.editing import GOODS_UNITS
from marketplace.catalog.vocab import SERVICE_UNITS
from marketplace.extensions import db
from marketplace.notifications.models import Notification, NotificationKind

#: kind → candidate (endpoint, URL argument holding the object's id or None); the first one
#: the app has wins. Each goes to the page where the recipient acts on it.
LINKS: dict[str, list[tuple[str, str | None]]] = {
    NotificationKind.allocation_waiting: [("allocations.inbox", None)],
    NotificationKind.delivery_to_confirm: [("allocations.confirm_delivery", "delivery_id"),
                                           ("allocations.list_deliveries", None)],
    NotificationKind.run_finished: [("runs.view_run", "run_id")],
}


def links_for(notes: list[Notification]) -> dict[int, str | None]:
    """The URL of the page about each notification's object (None when no area shows it),
    with one query for the whole page at most."""
    need_of = _needs_of_allocations(
        [int(n.object_id) for n in notes if n.kind == NotificationKind.acceptance_overdue
         and n.object_type == "allocations"])
    links: dict[int, str | None] = {}
    for note in notes:
        if note.kind == NotificationKind.acceptance_overdue:
            # The officers act on the need, whose line is back in the pool.
            need_id = need_of.get(int(note.object_id))
            links[note.id] = (url_for("needs.view_need", need_id=need_id)
                              if need_id is not None and "needs.view_need"
                              in current_app.view_functions else None)
        else:
            links[note.id] = link_for(note)
    return links


def _needs_of_allocations(ids: list[int]) -> dict[int, int]:
    if not ids:
        return {}
    from marketplace.allocations.models import Allocation  # areas that notify import us
    from marketplace.needs.models import NeedLine

    return dict(db.session.execute(
        select(Allocation.id, NeedLine.need_id).join(NeedLine,
                                                     NeedLine.id == Allocation.need_line_id)
        .where(Allocation.id.in_(sorted(set(ids))))).all())


def link_for(note: Notification) -> str | None:
    """The URL of the page where ``note``'s recipient acts on it, or None when there is none
    (acceptance_overdue needs :func:`links_for`, which looks up the need)."""
    if note.kind == NotificationKind.acceptance_overdue:
        return links_for([note])[note.id]
    views = current_app.view_functions
    for endpoint, arg in LINKS.get(note.kind, ()):
        if endpoint in views:
            if arg is None:
                return url_for(endpoint)
            return url_for(endpoint, **{arg: int(note.object_id)})
    return None


def _amount(params: dict[str, Any]) -> str:
    quantity = params.get("quantity")
    if not quantity:
        return ""
    unit = params.get("unit")
    if not unit or unit == "CNY":
        return f"{quantity} CNY" if unit else str(quantity)
    label = SERVICE_UNITS.get(unit) or GOODS_UNITS.get(unit)  # a unit code, as `|unit` shows it
    return f"{quantity} {label if label is not None else unit}"


def _when(value: Any) -> str:
    try:
        return format_datetime(datetime.fromisoformat(str(value)), "short")
    except ValueError:
        return str(value)


def _allocation_waiting(note: Notification, p: dict[str, Any]) -> str:
    count = int(p.get("count") or 1)
    if count > 1:
        text = _("%(count)s allocations from a matching run are waiting for your acceptance.",
                 count=count)
    elif p.get("quantity"):
        text = _("An allocation of %(amount)s is waiting for your acceptance.",
                 amount=_amount(p))
    else:
        text = _("An allocation is waiting for your acceptance.")
    if p.get("respond_by"):
        text += " " + _("Please accept or decline by %(when)s.", when=_when(p["respond_by"]))
    return text


def _acceptance_overdue(note: Notification, p: dict[str, Any]) -> str:
    if p.get("quantity"):
        return _("The allocation of %(amount)s was not accepted in time; its need line is back "
                 "in the pool.", amount=_amount(p))
    return _("An allocation was not accepted in time; its need line is back in the pool.")


def _delivery_to_confirm(note: Notification, p: dict[str, Any]) -> str:
    if p.get("quantity"):
        return _("A delivery of %(amount)s is waiting for your confirmation.",
                 amount=_amount(p))
    return _("A delivery is waiting for your confirmation.")


def _run_finished(note: Notification, p: dict[str, Any]) -> str:
    if p.get("status") == "failed":
        if p.get("error"):
            return _("Matching run %(id)s failed: %(error)s", id=note.object_id,
                     error=p["error"])
        return _("Matching run %(id)s failed.", id=note.object_id)
    return _("Matching run %(id)s has finished; its result is ready for review.",
             id=note.object_id)


_MESSAGES: dict[NotificationKind, Callable[[Notification, dict[str, Any]], str]] = {
    NotificationKind.allocation_waiting: _allocation_waiting,
    NotificationKind.acceptance_overdue: _acceptance_overdue,
    NotificationKind.delivery_to_confirm: _delivery_to_confirm,
    NotificationKind.run_finished: _run_finished,
}


def message(note: Notification) -> str:
    """``note`` in words, in the current language (with its object's name when given)."""
    params = note.params or {}
    text = _MESSAGES[note.kind](note, params)
    if params.get("name"):
        text = f"{params['name']}: {text}"
    return text
