"""One request, one transaction: run a service call, then commit it or roll it back whole."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import flash

from marketplace.extensions import db

T = TypeVar("T")


def commit_or_flash(action: Callable[[], T], errors: type[Exception] | tuple) -> T | None:
    """Run ``action``; commit and return its result, or roll back, flash the domain error's
    message (already in the user's language) and return None."""
    try:
        result = action()
    except errors as exc:
        db.session.rollback()
        flash(str(exc), "danger")
        return None
    db.session.commit()
    return result
