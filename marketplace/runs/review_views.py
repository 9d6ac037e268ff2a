"""Review of a finished matching run and its commit (routes on the ``runs`` blueprint)."""

from __future__ import annotations

from marketplace.runs.views import bp  # noqa: F401
