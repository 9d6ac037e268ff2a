"""What a notification says and where it leads, in the reader's language.

Messages are built when shown (not stored), so they follow the reader's language. They use
these ``params`` when the notifying area gave them, and read well without them:

* ``quantity`` and ``unit`` (allocation_waiting, acceptance_overdue, delivery_to_confirm),
* ``count``: how many allocations one allocation_waiting stands for (a run's, per provider),
* ``respond_by`` (ISO timestamp, allocation_waiting),
* ``count`` on acceptance_overdue: how many allocations of one housekeeping sweep it stands
  for (one notification per recipient per sweep),
* ``status`` (run_finished: ``done`` or ``failed`` for a run; ``committed`` or
  ``approval_failed`` for its approval) and ``error`` (the failure in words),
* ``committed``, ``left_out``, ``not_selected`` (run_finished of a committed approval),
* ``name``: what the object is called (an offer's or need's title), safe for every recipient.

A message of several sentences is joined by :func:`join_sentences`: with a space in English,
with nothing between them in Chinese (whose full stop carries its own spacing).

Links go to the page where the recipient acts on it, in the area that owns it; an area that
has no such page leaves the notification without a link rather than a broken one.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import current_app, url_for
from flask_babel import format_datetime, get_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy import select

from marketplace.catalog.units import format_quantity
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
         and n.object_type == "allocations" and not _grouped(n)])
    links: dict[int, str | None] = {}
    for note in notes:
        if note.kind == NotificationKind.acceptance_overdue and _grouped(note):
            links[note.id] = (url_for("allocations.list_released")
                              if "allocations.list_released" in current_app.view_functions
                              else None)
        elif note.kind == NotificationKind.acceptance_overdue:
            # The officers act on the need, whose line is back in the pool.
            need_id = need_of.get(int(note.object_id))
            links[note.id] = (url_for("needs.view_need", need_id=need_id)
                              if need_id is not None and "needs.view_need"
                              in current_app.view_functions else None)
        else:
            links[note.id] = link_for(note)
    return links


def _grouped(note: Notification) -> bool:
    """An acceptance_overdue notification standing for several allocations."""
    return int((note.params or {}).get("count") or 1) > 1


#: Languages whose sentences follow each other without a space.
NO_SPACE_LANGUAGES = frozenset({"zh", "ja"})


def join_sentences(*sentences: str) -> str:
    """Sentences of one message, joined as the current language writes them (a space in
    English, nothing in Chinese); empty ones are left out."""
    locale = get_locale()
    sep = "" if locale is not None and locale.language in NO_SPACE_LANGUAGES else " "
    return sep.join(s for s in sentences if s)


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
    return format_quantity(quantity, params.get("unit"))  # as pages show it: 1,200.00 元


def _when(value: Any) -> str:
    try:
        return format_datetime(datetime.fromisoformat(str(value)), "short")
    except ValueError:
        return str(value)


def _allocation_waiting(note: Notification, p: dict[str, Any]) -> str:
    count = int(p.get("count") or 1)
    if count > 1:
        text = ngettext("%(num)d allocation from a matching run is waiting for your "
                        "acceptance.",
                        "%(num)d allocations from a matching run are waiting for your "
                        "acceptance.", count)
    elif p.get("quantity"):
        text = _("An allocation of %(amount)s is waiting for your acceptance.",
                 amount=_amount(p))
    else:
        text = _("An allocation is waiting for your acceptance.")
    if p.get("respond_by"):
        text = join_sentences(text, _("Please accept or decline by %(when)s.",
                                      when=_when(p["respond_by"])))
    return text


def _acceptance_overdue(note: Notification, p: dict[str, Any]) -> str:
    count = int(p.get("count") or 1)
    if count > 1:
        return ngettext("%(num)d allocation expired without an answer; its line is back in "
                        "the pool.",
                        "%(num)d allocations expired without an answer; their lines are back "
                        "in the pool.", count)
    if p.get("quantity"):
        return _("The allocation of %(amount)s was not accepted in time; its need line is back "
                 "in the pool.", amount=_amount(p))
    return _("An allocation was not accepted in time; its need line is back in the pool.")


def _delivery_to_confirm(note: Notification, p: dict[str, Any]) -> str:
    if p.get("quantity"):
        return _("A delivery of %(amount)s is waiting for your confirmation.",
                 amount=_amount(p))
    return _("A delivery is waiting for your confirmation.")


def _approval_committed(note: Notification, p: dict[str, Any]) -> str:
    committed, left_out = int(p.get("committed") or 0), int(p.get("left_out") or 0)
    text = ngettext("Matching run %(id)s is approved: %(num)d allocation was proposed to the "
                    "providers.",
                    "Matching run %(id)s is approved: %(num)d allocations were proposed to the "
                    "providers.", committed, id=note.object_id)
    if left_out:
        text = join_sentences(text, ngettext(
            "%(num)d pair was left out because it no longer fitted.",
            "%(num)d pairs were left out because they no longer fitted.", left_out))
    return text


def _approval_failed(note: Notification, p: dict[str, Any]) -> str:
    if p.get("error"):
        # The job writes fixed reasons as English msgids, others already in the officer's
        # language (gettext returns those as they are).
        return _("The approval of matching run %(id)s did not go through: %(error)s",
                 id=note.object_id, error=_(p["error"]))
    return _("The approval of matching run %(id)s did not go through; nothing was allocated.",
             id=note.object_id)


def _run_finished(note: Notification, p: dict[str, Any]) -> str:
    if p.get("status") == "committed":
        return _approval_committed(note, p)
    if p.get("status") == "approval_failed":
        return _approval_failed(note, p)
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
        text = _("%(name)s: %(message)s", name=params["name"], message=text)
    return text
