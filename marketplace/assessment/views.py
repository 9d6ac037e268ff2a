"""Assessments, standards, eligibility cases and the public notice."""

from __future__ import annotations

from decimal import Decimal

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from marketplace.accounts.models import Role
from marketplace.assessment import services
from marketplace.assessment.forms import AssessmentForm, CaseForm, CaseStepForm, StandardForm
from marketplace.assessment.models import Assessment, EligibilityCase
from marketplace.assessment.panel import assessment_panel
from marketplace.assessment.working import (
    CASE_STATUS_LABELS,
    CLASS_LABELS,
    RULE_TITLES,
    sentence,
)
from marketplace.common.access import PUBLIC, access
from marketplace.common.actions import commit_or_flash
from marketplace.common.ui import Section, dashboard_section, register_nav
from marketplace.extensions import db
from marketplace.households.models import Household
from marketplace.regions.models import RegionLevel
from marketplace.regions.services import place_labels, region_choices

bp = Blueprint("assessment", __name__)
GOVERNMENT = (Role.caseworker, Role.reviewer, Role.oversight, Role.admin)

register_nav("assessment.list_standards", _l("Standards"), roles=("oversight", "admin"),
             order=60)
register_nav("assessment.public_notice", _l("Public notices"), public=True, order=90)


@bp.app_context_processor
def labels():
    return {"class_labels": CLASS_LABELS, "case_status_labels": CASE_STATUS_LABELS,
            "rule_titles": RULE_TITLES, "working_sentence": sentence,
            "assessment_panel": assessment_panel}


@dashboard_section
def cases_section(user):
    if user.role not in (Role.caseworker, Role.reviewer):
        return None
    return Section("assessment/_dashboard.html", {"cases": services.cases_waiting_for(user)},
                   order=30)


@bp.route("/households/<int:household_id>/assessments/new", methods=["GET", "POST"])
@access(Role.caseworker, load={"household_id": Household})
def create_assessment(household: Household):
    form = AssessmentForm()
    if request.method == "GET":
        form.members_counted.data = household.size or 1
    if form.validate_on_submit():
        data = services.AssessmentInput(
            assessed_on=form.assessed_on.data, members_counted=form.members_counted.data,
            incomes={k: getattr(form, k).data for k in services.INCOME_ITEMS},
            deductions={k: getattr(form, k).data for k in services.DEDUCTION_ITEMS},
            deposits=form.deposits.data, vehicles=form.vehicles.data,
            extra_homes=form.extra_homes.data,
            rigid_spending_12m=form.rigid_spending_12m.data,
            tekun_candidate=form.tekun_candidate.data, self_care=form.self_care.data,
            institutional=form.institutional.data)
        try:
            assessment = services.assess(current_user, household, data)
        except services.AssessmentError as exc:
            form.assessed_on.errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("Assessment version %(v)d saved.", v=assessment.version), "success")
            return redirect(url_for("assessment.view_assessment", assessment_id=assessment.id))
    return render_template("assessment/create_assessment.html", form=form, household=household)


@bp.get("/assessments/<int:assessment_id>")
@access(*GOVERNMENT, load={"assessment_id": Assessment})
def view_assessment(assessment: Assessment):
    household = db.session.get(Household, assessment.household_id)
    return render_template("assessment/view_assessment.html", assessment=assessment,
                           household=household)


@bp.get("/standards")
@access(*GOVERNMENT)
def list_standards():
    form = StandardForm(formdata=None) if current_user.role in (Role.oversight,
                                                                Role.admin) else None
    if form is not None:
        _fill_regions(form)
    return render_template("assessment/list_standards.html",
                           standards=services.standards_for(current_user), form=form)


def _fill_regions(form: StandardForm) -> None:
    form.region_code.choices = region_choices(
        [RegionLevel.province, RegionLevel.prefecture, RegionLevel.county], str(get_locale()))


@bp.post("/standards")
@access(Role.oversight, Role.admin)
def create_standard():
    form = StandardForm()
    _fill_regions(form)
    if form.validate_on_submit():
        try:
            services.set_standard(current_user, services.StandardInput(
                region_code=form.region_code.data, effective_from=form.effective_from.data,
                dibao_urban_monthly=form.dibao_urban_monthly.data,
                dibao_rural_monthly=form.dibao_rural_monthly.data,
                disposable_income_urban_monthly=form.disposable_income_urban_monthly.data,
                disposable_income_rural_monthly=form.disposable_income_rural_monthly.data,
                minimum_wage_monthly=form.minimum_wage_monthly.data,
                tekun_factor=form.tekun_factor.data,
                low_income_factor=form.low_income_factor.data, note=form.note.data or ""))
        except services.AssessmentError as exc:
            form.region_code.errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("Standard saved."), "success")
            return redirect(url_for("assessment.list_standards"))
    return render_template("assessment/list_standards.html",
                           standards=services.standards_for(current_user), form=form), 400


@bp.route("/households/<int:household_id>/cases/new", methods=["GET", "POST"])
@access(Role.caseworker, load={"household_id": Household})
def create_case(household: Household):
    form = CaseForm()
    if form.validate_on_submit():
        try:
            case = services.open_case(current_user, household, form.category.data,
                                      form.filed_by.data)
        except services.AssessmentError as exc:
            form.category.errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("Application registered."), "success")
            return redirect(url_for("assessment.view_case", case_id=case.id))
    return render_template("assessment/create_case.html", form=form, household=household)


@bp.get("/cases/<int:case_id>")
@access(*GOVERNMENT, load={"case_id": EligibilityCase})
def view_case(case: EligibilityCase):
    household = db.session.get(Household, case.household_id)
    return render_template("assessment/view_case.html", case=case, household=household,
                           form=CaseStepForm(formdata=None),
                           latest=services.assessments_of(household)[:1])


@bp.post("/cases/<int:case_id>/<step>")
@access(Role.caseworker, Role.reviewer, load={"case_id": EligibilityCase})
def advance_case(case: EligibilityCase, step: str):
    form = CaseStepForm()
    household = db.session.get(Household, case.household_id)
    if form.validate_on_submit():
        if not commit_or_flash(lambda: _case_step(case, household, step, form),
                               services.AssessmentError, done=_("Step recorded.")):
            return render_template("assessment/view_case.html", case=case,
                                   household=household, form=form,
                                   latest=services.assessments_of(household)[:1]), 400
    return redirect(url_for("assessment.view_case", case_id=case.id))


@bp.get("/notices")
@access(PUBLIC)
def public_notice():
    prefix = request.args.get("region", "").strip()
    notices = services.public_notices(prefix if prefix.isdigit() else None)
    places = place_labels((case.region_code for case, _h in notices), str(get_locale()))
    return render_template("assessment/public_notice.html", notices=notices,
                           region_name=places.get, masked_name=services.masked_head_name)


def _case_step(case: EligibilityCase, household: Household, step: str, form: CaseStepForm):
    """Run one step of the eligibility process named in the URL."""
    note = form.note.data or ""
    if step == "investigate":
        latest = services.assessments_of(household)
        services.investigate(current_user, case, note, latest[0] if latest else None)
    elif step == "propose":
        amount = form.amount.data
        if amount is None and case.assessment is not None:
            amount = case.assessment.proposed_amount
        services.propose_case(current_user, case, amount or Decimal("0"))
    elif step == "notice":
        services.start_notice(current_user, case, form.days.data or services.NOTICE_DAYS)
    elif step in ("approve", "refuse"):
        services.decide(current_user, case, step == "approve", note)
    elif step == "hearing":
        services.start_hearing(current_user, case, note)
    elif step == "stop":
        services.stop_benefit(current_user, case, note)
    else:
        raise services.AssessmentError(_("Unknown step."))
