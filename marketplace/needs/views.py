"""Officer pages of the needs area: post, review, approve, publish, advances, stage limits.

The public board and the providers' pledge form are in ``board_views`` (same blueprint).
"""

from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from marketplace.accounts.models import Role
from marketplace.assessment.services import AssessmentError
from marketplace.catalog.models import GoodsItem, ServiceType
from marketplace.catalog.vocab import CATEGORIES, KIND_LABELS, QUALIFICATIONS
from marketplace.common.access import access, in_scope, scope_filter, user_prefix
from marketplace.common.forms import choices
from marketplace.common.labels import TranslatedLabels
from marketplace.common.ui import register_nav
from marketplace.extensions import db
from marketplace.households.models import Household
from marketplace.needs import emergency, limits, services
from marketplace.needs.forms import (
    AdvanceDecisionForm,
    AdvanceForm,
    EmergencyNeedForm,
    NeedForm,
    NoteForm,
    StageLimitForm,
)
from marketplace.needs.lines import NeedError, NeedPermissionError
from marketplace.needs.models import EmergencyGrant, Need, NeedStatus, Urgency
from marketplace.needs.panel import needs_panel
from marketplace.needs.standards import advance_limit
from marketplace.regions.models import Region, RegionLevel

bp = Blueprint("needs", __name__)
OFFICERS = (Role.caseworker, Role.reviewer, Role.oversight, Role.admin)

register_nav("needs.list_needs", _l("Needs"), roles=("caseworker", "reviewer", "oversight",
                                                      "admin"), order=30)
register_nav("needs.stage_limits", _l("Stage time limits"), roles=("oversight", "admin"),
             order=80)
register_nav("needs.board_page", _l("Need board"),
             roles=("provider_staff", "caseworker", "reviewer", "oversight", "admin"), order=40,
             public=True)


NEED_LABELS = {
    "status": services.STATUS_LABELS, "cause": services.CAUSE_LABELS,
    "urgency": services.URGENCY_LABELS, "kind": KIND_LABELS, "category": CATEGORIES,
    "qualification": QUALIFICATIONS, "assistance": services.ASSISTANCE_LABELS,
    "stage": limits.STAGE_LABELS}
_need_labels = TranslatedLabels(NEED_LABELS)


@bp.app_context_processor
def need_helpers():
    return {"need_labels": _need_labels(_locale()), "needs_panel": needs_panel}


def _locale() -> str:
    return str(get_locale())


def _catalogue(locale: str) -> tuple[list, list]:
    goods = [(str(g.id), f"{g.display_name(locale)} ({g.unit})") for g in db.session.scalars(
        select(GoodsItem).where(GoodsItem.active).order_by(GoodsItem.category, GoodsItem.code))]
    kinds = [(str(s.id), f"{s.display_name(locale)} ({s.unit})") for s in db.session.scalars(
        select(ServiceType).where(ServiceType.active).order_by(ServiceType.category,
                                                               ServiceType.code))]
    return goods, kinds


def _places(household: Household | None, locale: str) -> list[tuple[str, str]]:
    """The household's place first (when in the caseworker's area), then the places of the
    caseworker's area, where an emergency may have happened (R3.1)."""
    home = household.region_code if household and in_scope(current_user, household) else ""
    prefix = user_prefix(current_user) or home
    rows = db.session.scalars(select(Region).where(
        Region.code.startswith(prefix, autoescape=True),
        Region.level.in_([RegionLevel.county, RegionLevel.township, RegionLevel.village]))
        .order_by(Region.code).limit(2000))
    own = db.session.get(Region, home) if home else None
    places = [(own.code, f"{own.code} {own.display_name(locale)}")] if own else []
    return places + [(r.code, f"{r.code} {r.display_name(locale)}") for r in rows
                     if r.code != home]


def _need_form(household: Household, need: Need | None = None) -> NeedForm:
    form = NeedForm(obj=need) if need is not None and request.method == "GET" else NeedForm()
    if need is not None and request.method == "GET":
        for row, line in zip(form.lines, need.lines, strict=False):
            row.form.kind.data, row.form.quantity.data = str(line.kind), str(line.quantity)
            row.form.category.data = line.category
            row.form.goods_item_id.data = str(line.goods_item_id or "")
            row.form.service_type_id.data = str(line.service_type_id or "")
            row.form.requires.data = list(line.requires or [])
            row.form.window_start.data, row.form.window_end.data = (line.window_start,
                                                                    line.window_end)
        while len(form.lines) < len(need.lines):
            form.lines.append_entry()
    elif need is None and request.method == "GET":
        form.deadline.data = date.today() + timedelta(days=30)
        form.region_code.data = household.region_code
    goods, kinds = _catalogue(_locale())
    form.fill_catalogue(goods, kinds, _places(household, _locale()))
    return form


@bp.route("/households/<int:household_id>/needs/new", methods=["GET", "POST"])
@access(Role.caseworker, load={"household_id": Household})
def create_need(household: Household):
    form = _need_form(household)
    if form.validate_on_submit():
        try:
            need = services.create_need(current_user, household, form.to_input())
        except (NeedError, AssessmentError) as exc:
            db.session.rollback()
            flash(str(exc), "danger")
            return render_template("needs/edit_need.html", form=form, household=household), 400
        db.session.commit()
        flash(_("Need saved as a draft."), "success")
        return redirect(url_for("needs.view_need", need_id=need.id))
    status = 400 if request.method == "POST" else 200
    return render_template("needs/edit_need.html", form=form, household=household), status


@bp.route("/needs/emergency/new", methods=["GET", "POST"])
@access(Role.caseworker)
def create_emergency_need():
    """R3.1: post an emergency where it happened for a household registered anywhere."""
    form = EmergencyNeedForm()
    if request.method == "GET":
        form.deadline.data = date.today() + timedelta(days=7)
    form.urgency.data = "emergency"
    goods, kinds = _catalogue(_locale())
    form.fill_catalogue(goods, kinds, _places(None, _locale()))
    if form.validate_on_submit():
        try:
            household = services.find_household_for_emergency(current_user, form.id_number.data)
            need = services.create_need(current_user, household, form.to_input())
        except (NeedError, AssessmentError) as exc:
            db.session.rollback()
            flash(str(exc), "danger")
            return render_template("needs/edit_need.html", form=form, household=None,
                                   emergency=True), 400
        db.session.commit()
        flash(_("Emergency need saved as a draft: publish it at once and record the advance."),
              "success")
        return redirect(url_for("needs.view_need", need_id=need.id))
    status = 400 if request.method == "POST" else 200
    return render_template("needs/edit_need.html", form=form, household=None,
                           emergency=True), status


@bp.route("/needs/<int:need_id>/edit", methods=["GET", "POST"])
@access(Role.caseworker, load={"need_id": Need})
def edit_need(need: Need):
    if need.status not in (NeedStatus.draft, NeedStatus.returned):
        flash(_("Only drafts and returned needs can be edited."), "warning")
        return redirect(url_for("needs.view_need", need_id=need.id))
    form = _need_form(need.household, need)
    if form.validate_on_submit():
        try:
            services.update_need(current_user, need, form.to_input())
        except (NeedError, AssessmentError) as exc:
            db.session.rollback()
            flash(str(exc), "danger")
            return render_template("needs/edit_need.html", form=form, household=need.household,
                                   need=need), 400
        db.session.commit()
        flash(_("Need updated."), "success")
        return redirect(url_for("needs.view_need", need_id=need.id))
    status = 400 if request.method == "POST" else 200
    return render_template("needs/edit_need.html", form=form, household=need.household,
                           need=need), status


@bp.get("/needs")
@access(*OFFICERS)
def list_needs():
    status = request.args.get("status", "")
    query = select(Need).where(scope_filter(Need, current_user)).options(selectinload(Need.lines))
    if status in set(NeedStatus):
        query = query.where(Need.status == status)
    pagination = db.paginate(query.order_by(Need.status_changed_at.desc(), Need.id.desc()),
                             per_page=20, error_out=False)
    overdue = {n.id for n in limits.overdue(list(pagination.items))}
    return render_template("needs/list_needs.html", pagination=pagination, status=status,
                           overdue=overdue, statuses=list(NeedStatus))


def _actions(need: Need) -> list[str]:
    """The workflow steps the current user may take on ``need`` now."""
    user = current_user
    mine = user.role == Role.caseworker
    steps = []
    if mine and need.status in (NeedStatus.draft, NeedStatus.returned):
        steps += ["submit"]
    if mine and need.status == NeedStatus.draft and need.urgency == Urgency.emergency:
        steps += ["publish"]
    if need.status == NeedStatus.submitted and services.may_review(user, need):
        steps += ["review", "return"]
    if need.status == NeedStatus.reviewed and services.may_approve(user, need):
        steps += ["approve", "return"]
    if need.status == NeedStatus.approved and (mine or services.may_approve(user, need)):
        steps += ["publish"]
    if mine and need.status in (NeedStatus.partially_matched, NeedStatus.matched):
        steps += ["fulfil"]
    if need.status == NeedStatus.fulfilled and user.role in (Role.caseworker, Role.reviewer):
        steps += ["close"]
    if mine and need.status in services.WITHDRAWABLE:
        steps += ["withdraw"]
    return steps


def _render_need(need: Need, status: int = 200, advance_form: AdvanceForm | None = None):
    from marketplace.needs.board import covered_by_line
    limit = None
    if need.urgency == Urgency.emergency and need.grant is None:
        try:
            limit = advance_limit(need.household, need.region_code)
        except AssessmentError:
            limit = None
    grant = need.grant
    found = services.histories([need.id])
    return render_template(
        "needs/view_need.html", need=need, actions=_actions(need), note_form=NoteForm(),
        advance_form=advance_form or AdvanceForm(), decision_form=AdvanceDecisionForm(),
        covered=covered_by_line([line.id for line in need.lines]),
        timeline=found.timelines[need.id], actors=found.actors, advance_limit=limit,
        grant=grant,
        may_confirm=grant is not None and emergency.may_confirm(current_user, grant),
        overdue=bool(limits.overdue([need])),
        due=limits.due_at(need, limits.Limits()),
        place=db.session.get(Region, need.region_code)), status


@bp.get("/needs/<int:need_id>")
@access(*OFFICERS, load={"need_id": Need})
def view_need(need: Need):
    return _render_need(need)


STEPS = {
    "submit": services.submit, "review": services.review, "approve": services.approve,
    "return": services.return_need, "publish": services.publish,
    "withdraw": services.withdraw, "fulfil": services.fulfil, "close": services.close,
}
DONE = {
    "submit": _l("Need submitted for review."), "review": _l("Need reviewed."),
    "approve": _l("Need approved."), "return": _l("Need returned to the caseworker."),
    "publish": _l("Need published on the board."), "withdraw": _l("Need withdrawn."),
    "fulfil": _l("Need marked fulfilled."), "close": _l("Need closed."),
}


@bp.post("/needs/<int:need_id>/<any(submit, review, approve, return, publish, withdraw, "
         "fulfil, close):step>")
@access(Role.caseworker, Role.reviewer, load={"need_id": Need})
def transition(need: Need, step: str):
    form = NoteForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        STEPS[step](current_user, need, form.note.data or "")
    except NeedPermissionError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
        return _render_need(need, 403)
    except NeedError as exc:
        db.session.rollback()
        flash(str(exc), "warning")
        return _render_need(need, 409)
    db.session.commit()
    flash(str(DONE[step]), "success")
    return redirect(url_for("needs.view_need", need_id=need.id))


@bp.post("/needs/<int:need_id>/advance")
@access(Role.caseworker, load={"need_id": Need})
def record_advance(need: Need):
    form = AdvanceForm()
    if not form.validate_on_submit():
        return _render_need(need, 400, form)
    try:
        emergency.record_advance(current_user, need, form.amount.data, form.note.data or "")
    except NeedPermissionError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
        return _render_need(need, 403, form)
    except (NeedError, AssessmentError) as exc:
        db.session.rollback()
        flash(str(exc), "danger")
        return _render_need(need, 400, form)
    db.session.commit()
    flash(_("Advance recorded; the township must confirm it."), "success")
    return redirect(url_for("needs.view_need", need_id=need.id))


@bp.post("/advances/<int:grant_id>/decision")
@access(Role.reviewer, load={"grant_id": EmergencyGrant})
def decide_advance(grant: EmergencyGrant):
    form = AdvanceDecisionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        emergency.decide_advance(current_user, grant, confirm=bool(form.confirm.data),
                                 note=form.note.data or "")
    except NeedPermissionError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
        return _render_need(grant.need, 403)
    except NeedError as exc:
        db.session.rollback()
        flash(str(exc), "warning")
        return _render_need(grant.need, 409)
    db.session.commit()
    flash(_("Decision on the advance recorded."), "success")
    return redirect(url_for("needs.view_need", need_id=grant.need_id))


@bp.route("/needs/stage-limits", methods=["GET", "POST"])
@access(Role.oversight, Role.admin)
def stage_limits():
    form = StageLimitForm()
    prefix = user_prefix(current_user) or ""
    regions = list(db.session.scalars(select(Region).where(
        Region.code.startswith(prefix, autoescape=True),
        Region.level.in_([RegionLevel.province, RegionLevel.prefecture, RegionLevel.county]))
        .order_by(Region.code)))
    form.region_code.choices = choices([(r.code, f"{r.code} {r.display_name(_locale())}")
                                        for r in regions])
    shown = request.args.get("region") or (current_user.region_code or limits.PROVINCE)
    if len(shown) != 6 or not shown.startswith(prefix):
        shown = current_user.region_code or limits.PROVINCE
    status = 200
    if form.validate_on_submit():
        try:
            limits.set_stage_limit(current_user, form.region_code.data, form.stage.data,
                                   form.days.data)
        except NeedError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
            status = 400
        else:
            db.session.commit()
            flash(_("Time limit saved."), "success")
            return redirect(url_for("needs.stage_limits", region=form.region_code.data))
    elif request.method == "POST":
        status = 400
    return render_template("needs/stage_limits.html", form=form,
                           table=limits.limits_for(current_user, shown),
                           region=db.session.get(Region, shown)), status


from marketplace.needs import board_views, dashboard  # noqa: E402,F401  (routes and cards)
