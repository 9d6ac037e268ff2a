"""Matching runs in the browser: start a run, watch its progress (this module), review and
commit its result (``review_views``, on the same blueprint).

The run page polls ``/runs/<id>/progress.json`` (static/js/runs.js). Everything it shows is
in the run's row, which the worker keeps up to date, so closing the browser loses nothing;
while the run is at work, its latest progress may be fresher in the queue's store
(:mod:`marketplace.jobs.live`).
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, abort, jsonify, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.exc import OperationalError

from marketplace.accounts.models import Role
from marketplace.common.access import access
from marketplace.common.actions import commit_or_flash
from marketplace.common.forms import choices
from marketplace.common.ui import register_nav
from marketplace.extensions import db
from marketplace.jobs import live
from marketplace.jobs.progress import fail_if_stale
from marketplace.notifications.messages import join_sentences
from marketplace.regions.services import place_labels
from marketplace.runs import services
from marketplace.runs.forms import STAGE_LABELS, STATUS_LABELS, RunForm
from marketplace.runs.models import ACTIVE, MatchingRun, RunStatus

log = logging.getLogger(__name__)
bp = Blueprint("runs", __name__)
register_nav("runs.list_runs", _l("Matching runs"), roles=("oversight", "reviewer"), order=45)

OFFICERS = (Role.oversight, Role.reviewer)
#: Runs whose result the review part shows.
REVIEWABLE = frozenset({RunStatus.done, RunStatus.committed, RunStatus.discarded})


@bp.app_context_processor
def run_labels() -> dict[str, Any]:
    return {"run_status_labels": STATUS_LABELS, "run_stage_labels": STAGE_LABELS,
            "join_sentences": join_sentences}


@bp.get("/runs")
@access(*OFFICERS)
def list_runs():
    page = request.args.get("page", 1, type=int)
    pagination = services.list_runs(current_user, page)
    return render_template(
        "runs/list_runs.html", pagination=pagination,
        may_start=services.may_start_any(current_user),
        names=place_labels((r.region_code for r in pagination.items), str(get_locale())))


@bp.route("/runs/new", methods=["GET", "POST"])
@access(*OFFICERS)
def start_run():
    if not services.may_start_any(current_user):
        abort(403)
    form = RunForm()
    locale = str(get_locale())
    form.region_code.choices = choices(
        (r.code, f"{r.code} {r.display_name(locale)}")
        for r in services.startable_regions(current_user))
    status = 200
    if form.validate_on_submit():
        policy = services.Policy(coverage_slack=form.coverage_slack.data,
                                 balance=bool(form.balance.data),
                                 time_limit_s=form.time_limit_s.data)
        done = commit_or_flash(
            lambda: services.start_run(current_user, form.region_code.data, form.kinds.data,
                                       form.categories.data, policy),
            services.RunError, done=_("The run is queued. This page follows it; you may "
                                      "close it and come back at any time."))
        if done:
            return redirect(url_for("runs.view_run", run_id=done.value.id))
        status = 400
    elif form.is_submitted():
        status = 400
    return render_template("runs/start_run.html", form=form), status


def _check_stale(run: MatchingRun) -> None:
    """A run whose worker died shows as failed as soon as someone looks at it. When the
    database cannot take the change now (SQLite held by a job's transaction), the page shows
    the run as it is: the worker's housekeeping applies the same rule."""
    try:
        if fail_if_stale(run):
            db.session.commit()
    except OperationalError:
        db.session.rollback()
        log.info("run %s: the stale check could not write now", run.id)


def _review(run: MatchingRun) -> dict[str, Any] | None:
    if run.status not in REVIEWABLE:
        return None
    try:
        from marketplace.runs.review import review_context  # the review part (helper B)
    except ModuleNotFoundError as exc:  # an installation without the review part
        if exc.name != "marketplace.runs.review":
            raise
        return None
    return review_context(run)


@bp.get("/runs/<int:run_id>")
@access(*OFFICERS, load={"run_id": MatchingRun})
def view_run(run: MatchingRun):
    _check_stale(run)
    review = _review(run)
    reason, detail = services.failure_reason(run)
    stage, progress = live.current(run)
    context = {**(review or {}), "run": run, "review": review, "reason": reason,
               "stage": stage, "progress": progress,
               "detail": detail, "elapsed": services.elapsed_seconds(run),
               "waiting_too_long": services.waiting_too_long(run),
               "region_name": place_labels([run.region_code], str(get_locale())).get(
                   run.region_code, "")}
    return render_template("runs/view_run.html", **context)


@bp.get("/runs/<int:run_id>/progress.json")
@access(*OFFICERS, load={"run_id": MatchingRun})
def run_progress(run: MatchingRun):
    _check_stale(run)
    reason, detail = services.failure_reason(run)
    # While the run is at work its latest progress may be only in the live store (on SQLite
    # the job's transaction holds the database: see marketplace.jobs.live).
    stage, progress = live.current(run)
    return jsonify({
        "id": run.id,
        "status": run.status.value,
        "status_label": str(STATUS_LABELS[run.status]),
        "stage": stage.value if stage else None,
        "stage_label": str(STAGE_LABELS[stage]) if stage else "",
        "progress": progress,
        "elapsed": services.elapsed_seconds(run),
        "active": run.status in ACTIVE,
        "waiting_too_long": services.waiting_too_long(run),
        "error": reason,
        "detail": detail,
    })


# Review and commit routes live in their own module on the same blueprint.
from marketplace.runs import review_views  # noqa: E402,F401  (registers routes)
