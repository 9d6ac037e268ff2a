"""Contract performance evaluation pages (绩效评价): one contract's indicators and the
officer's evaluation form, the list of contracts in scope (warnings first) and its export, and
the officers' dashboard card of contracts behind schedule or near their budget."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from marketplace.accounts.models import Role, User
from marketplace.audit.services import record_event
from marketplace.common.access import access, user_prefix
from marketplace.common.actions import commit_or_flash
from marketplace.common.forms import ButtonForm
from marketplace.common.ui import (
    Section,
    area_figures,
    dashboard_section,
    register_nav,
)
from marketplace.contracts.forms import STATUS_LABELS
from marketplace.contracts.models import Contract
from marketplace.evaluations import services
from marketplace.evaluations.forms import (
    GRADE_LABELS,
    INDICATOR_LABELS,
    WARNING_LABELS,
    EvaluationForm,
)
from marketplace.evaluations.indicators import indicators, warnings
from marketplace.evaluations.models import ContractEvaluation
from marketplace.exports.writers import export_response
from marketplace.extensions import db

bp = Blueprint("evaluations", __name__)
register_nav("evaluations.list_evaluations", _l("Evaluations"),
             roles=("oversight", "reviewer", "admin"), order=45)

#: Who reads evaluations; only the purchaser's officers (oversight, admin) save them.
READERS = (Role.oversight, Role.reviewer, Role.admin)
EVALUATORS = (Role.oversight, Role.admin)


@bp.app_context_processor
def evaluation_labels():
    return {"grade_labels": GRADE_LABELS, "indicator_labels": INDICATOR_LABELS,
            "evaluation_warning_labels": WARNING_LABELS}


@bp.route("/contracts/<int:contract_id>/evaluation", methods=["GET", "POST"])
@access(*READERS, load={"contract_id": Contract})
def evaluate_contract(contract: Contract):
    can_evaluate = current_user.role in EVALUATORS
    if request.method == "POST" and not can_evaluate:
        abort(403)
    form = EvaluationForm()
    status = 200
    if form.validate_on_submit():
        saved = commit_or_flash(
            lambda: services.evaluate(current_user, contract, form.weights(),
                                      form.comment.data or "", form.publish.data),
            services.EvaluationError, done=_("Evaluation saved."),
            on_error=lambda exc: form.form_errors.append(str(exc)))
        if saved:
            return redirect(url_for("evaluations.evaluate_contract", contract_id=contract.id))
        status = 400
    elif form.is_submitted():
        status = 400
    ind = indicators(contract)
    try:  # the preview follows the weights on the form when they are usable
        preview = services.score(ind, form.weights())
    except (services.EvaluationError, TypeError, ValueError):
        preview = services.score(ind, services.DEFAULT_WEIGHTS)
    return render_template(
        "evaluations/evaluate_contract.html", contract=contract, ind=ind, form=form,
        preview=preview, warnings=warnings(ind), history=services.history(contract),
        publish_form=ButtonForm(),
        can_evaluate=can_evaluate and contract.status in services.EVALUABLE), status


@bp.post("/contracts/<int:contract_id>/evaluation/<int:evaluation_id>/publish")
@access(*EVALUATORS, load={"contract_id": Contract, "evaluation_id": ContractEvaluation})
def publish_evaluation(contract: Contract, evaluation: ContractEvaluation):
    if evaluation.contract_id != contract.id or not ButtonForm().validate_on_submit():
        abort(404 if evaluation.contract_id != contract.id else 400)
    commit_or_flash(lambda: services.publish(current_user, evaluation),
                    services.EvaluationError, done=_("Evaluation published."))
    return redirect(url_for("evaluations.evaluate_contract", contract_id=contract.id))


@bp.get("/evaluations")
@access(*READERS)
def list_evaluations():
    rows, figures_as_of = services.overview_dated(current_user)
    return render_template("evaluations/list_evaluations.html", rows=rows,
                           figures_as_of=figures_as_of,
                           minutes=int(services.DELIVERY_FIGURES.ttl // 60))


def _header() -> list[str]:
    return [_("Contract"), _("Title"), _("Provider"), _("Purchaser region"), _("Status"),
            _("Period start"), _("Period end"), _("Budget (CNY)"), _("Committed (CNY)"),
            _("Delivered (CNY)"), _("Units contracted"), _("Units delivered"),
            _("Delivery rate"), _("Elapsed share of the period"), _("Committed share"),
            _("Warnings"), _("Latest score"), _("Grade"), _("Published"), _("Evaluated as of")]


def _export_rows(rows: list[services.ContractRow]):
    for r in rows:
        latest = r.latest
        yield (r.id, r.title, r.provider, r.region_code, str(STATUS_LABELS[r.status]),
               r.period_start, r.period_end, r.budget, r.committed, r.consumed,
               r.units_contracted, r.units_delivered, r.delivery_rate, r.elapsed_share,
               r.committed_share, "、".join(str(WARNING_LABELS[w]) for w in r.warnings),
               latest[0] if latest else None,
               str(GRADE_LABELS[latest[1]]) if latest else None,
               (_("Yes") if latest[2] else _("No")) if latest else None,
               latest[3] if latest else None)


@bp.get("/evaluations/export.<fmt>")
@access(*READERS)
def export_evaluations(fmt: str):
    if fmt not in ("csv", "xlsx"):
        abort(404)
    rows = services.overview(current_user)
    record_event(current_user, "export.evaluations", object_type="contract_evaluations",
                 region_code=current_user.region_code,
                 after={"format": fmt, "rows": len(rows), "scope": user_prefix(current_user)})
    db.session.commit()  # the CSV body is written after the view returns
    return export_response(fmt, _("Contract performance evaluation"), _header(),
                           _export_rows(rows))


@dashboard_section
def warnings_card(user: User) -> Section | None:
    """Officers: active contracts behind schedule or near their budget."""
    if user.role not in READERS:
        return None
    rows, figures_as_of = area_figures("evaluation-warnings", user,
                                       lambda: services.warnings_dated(user))
    if not rows:
        return None
    return Section(template="evaluations/_dashboard.html", order=41,
                   data={"rows": rows, "figures_as_of": figures_as_of,
                         "minutes": int(services.DELIVERY_FIGURES.ttl // 60)})
