"""One request, one transaction: run a service call, then commit it or roll it back whole.

Views call services (which flush) through :func:`commit_or_flash`, so that every action either
lands entirely or leaves nothing behind, and the domain error reaches the user as a message.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from flask import flash

from marketplace.extensions import db

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Done(Generic[T]):
    """What an action gave: ``ok`` (also the truth value) and the service's return value."""

    ok: bool
    value: T | None = None

    def __bool__(self) -> bool:
        return self.ok


def commit_or_flash(action: Callable[[], T], errors: type[Exception] | tuple, *,
                    done: str | None = None,
                    on_error: Callable[[Exception], object] | None = None) -> Done[T]:
    """Run ``action``; on success commit, flash ``done`` (if given) and return ``Done(True,
    result)``. On one of ``errors`` roll back, report the domain error's message (already in
    the user's language) — through ``on_error`` (e.g. onto a form field) or else as a flash —
    and return ``Done(False)``."""
    try:
        result = action()
    except errors as exc:
        db.session.rollback()
        if on_error is not None:
            on_error(exc)
        else:
            flash(str(exc), "danger")
        return Done(False)
    db.session.commit()
    if done:
        flash(done, "success")
    return Done(True, result)
