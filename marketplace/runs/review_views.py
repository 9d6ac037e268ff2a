"""Review of a finished matching run and its commit (routes on the ``runs`` blueprint).

The review itself is part of the run page (``views.view_run`` includes
``runs/_review.html`` with :func:`marketplace.runs.review.review_context`); here are the
decisions (approve all or part, discard) and the explanation of one line.

Approving takes tens of seconds at scale, longer than a web request may: the request only
checks and records it (``commit.request_commit``) and the approval job creates the
allocations; the run page follows it through the same progress polling as the run itself
and then shows what was allocated and what was left out. Discarding is quick and stays here.
"""

from __future__ import annotations

import re

from flask import abort, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from marketplace.accounts.models import Role
from marketplace.common.access import access
from marketplace.common.actions import commit_or_flash
from marketplace.common.forms import ButtonForm
from marketplace.runs.commit import CommitError, discard_run, request_commit
from marketplace.runs.models import MatchingRun
from marketplace.runs.review import line_explanation
from marketplace.runs.views import bp

#: The roles of the run pages (views.OFFICERS); ``commit.may_decide`` narrows them further.
DECIDERS = (Role.oversight, Role.reviewer)
COUNTY_RE = re.compile(r"^\d{6}$")


def _back(run: MatchingRun):
    return redirect(url_for("runs.view_run", run_id=run.id))


def _selection() -> tuple[list[str] | None, list[int] | None]:
    """What the officer chose: ``scope`` all, or ``county`` codes, or ``assignment`` ids."""
    scope = request.form.get("scope", "all")
    if scope == "all":
        return None, None
    counties = [c for c in request.form.getlist("county") if COUNTY_RE.match(c)]
    ids = [int(i) for i in request.form.getlist("assignment") if i.isdigit()]
    return (counties, []) if scope == "counties" else ([], ids)


@bp.post("/runs/<int:run_id>/commit")
@access(*DECIDERS, load={"run_id": MatchingRun})
def commit(run: MatchingRun):
    if not ButtonForm().validate_on_submit():
        abort(400)
    counties, ids = _selection()
    commit_or_flash(
        lambda: request_commit(current_user, run, counties, ids, str(get_locale() or "")),
        CommitError, done=_("The approval is under way in the background: this page shows "
                            "its progress, then what was allocated. You may close it."))
    return _back(run)


@bp.post("/runs/<int:run_id>/discard")
@access(*DECIDERS, load={"run_id": MatchingRun})
def discard(run: MatchingRun):
    if not ButtonForm().validate_on_submit():
        abort(400)
    commit_or_flash(lambda: discard_run(current_user, run), CommitError,
                    done=_("The run was discarded: nothing was allocated."))
    return _back(run)


@bp.get("/runs/<int:run_id>/lines/<int:line_id>")
@access(*DECIDERS, load={"run_id": MatchingRun})
def explain_line(run: MatchingRun, line_id: int):
    context = line_explanation(run, line_id)
    if context is None:
        abort(404)
    return render_template("runs/_review_line.html", **context)
