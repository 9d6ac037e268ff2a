"""Matching runs in the browser: start a run, watch its progress (this module), review and
commit its result (``review_views``, on the same blueprint)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("runs", __name__)

# Review and commit routes live in their own module on the same blueprint.
from marketplace.runs import review_views  # noqa: E402,F401  (registers routes)
