"""Government purchase contracts: officers draft, sign, activate, end; providers read theirs."""

from __future__ import annotations

from typing import NamedTuple

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import joinedload
from wtforms import SelectChoice

from marketplace.accounts.models import Role, User
from marketplace.catalog.services import active_service_types
from marketplace.common.access import access, user_prefix
from marketplace.common.actions import commit_or_flash
from marketplace.common.forms import choices
from marketplace.common.ui import Section, area_figures, dashboard_section, register_nav
from marketplace.contracts import services
from marketplace.contracts.forms import (
    ACTION_LABELS,
    METRIC_LABELS,
    STATUS_LABELS,
    ContractForm,
    FilterForm,
    TransitionForm,
)
from marketplace.contracts.models import TRANSITIONS, Contract, ContractStatus, TargetMetric
from marketplace.extensions import db
from marketplace.offers.services import rows_for
from marketplace.regions.models import RegionLevel
from marketplace.regions.services import region_choices

bp = Blueprint("contracts", __name__)
register_nav("contracts.list_contracts", _l("Contracts"),
             roles=("oversight", "admin", "provider_staff"), order=40)

OFFICERS = (Role.oversight, Role.admin)


@bp.app_context_processor
def contract_labels():
    return {"contract_status_labels": STATUS_LABELS, "metric_labels": METRIC_LABELS,
            "contract_action_labels": ACTION_LABELS}


def _region_choices(user: User) -> list[SelectChoice]:
    levels = [RegionLevel.province, RegionLevel.prefecture, RegionLevel.county,
              RegionLevel.township]
    every = region_choices(levels, str(get_locale()))
    prefix = user_prefix(user)
    return every if user.role == Role.admin else [
        c for c in every if prefix and c.value.startswith(prefix)]


def _build_form(obj: Contract | None = None) -> ContractForm:
    form = ContractForm(obj=obj)
    form.region_code.choices = _region_choices(current_user)
    form.provider_id.choices = choices((o.id, o.name)
                                       for o in services.providers_in_scope(current_user))
    locale = str(get_locale())
    form.set_service_choices((s.id, f"{s.display_name(locale)} ({s.unit})")
                             for s in active_service_types())
    if obj is not None and request.method == "GET":
        targets = {t.metric: t.target for t in obj.targets}
        for metric in TargetMetric:
            getattr(form, f"target_{metric.value}").data = targets.get(metric)
    return form


def _data(form: ContractForm) -> services.ContractData:
    lines = [services.LineData(row.service_type_id.data, row.unit_price.data, row.quantity.data)
             for row in (r.form for r in form.lines)
             if row.service_type_id.data or row.unit_price.data or row.quantity.data]
    for line in lines:
        if not line.service_type_id:
            raise services.ContractError(str(_l("Choose a service type on every line.")))
    targets = {m: getattr(form, f"target_{m.value}").data for m in TargetMetric
               if getattr(form, f"target_{m.value}").data is not None}
    return services.ContractData(
        title=form.title.data, region_code=form.region_code.data,
        provider_id=form.provider_id.data, period_start=form.period_start.data,
        period_end=form.period_end.data, budget=form.budget.data, lines=lines,
        targets=targets, overlap_reason=form.overlap_reason.data or "",
        note=form.note.data or "")


def _filters(form: FilterForm) -> services.ContractFilters:
    status = form.status.data if form.status.data in set(ContractStatus) else None
    provider = form.provider_id.data
    return services.ContractFilters(
        status=ContractStatus(status) if status else None,
        provider_id=int(provider) if provider and provider.isdigit() else None,
        period_from=form.period_from.data if not form.period_from.errors else None,
        period_to=form.period_to.data if not form.period_to.errors else None)


@bp.get("/contracts")
@access(Role.oversight, Role.admin, Role.provider_staff)
def list_contracts():
    form = FilterForm(request.args)
    form.status.choices = choices([("", "—")] + [(s.value, label)
                                                 for s, label in STATUS_LABELS.items()])
    form.provider_id.choices = choices([("", "—")] + [
        (str(o.id), o.name) for o in services.providers_in_scope(current_user)])
    form.validate()
    filters = _filters(form)
    page = request.args.get("page", 1, type=int)
    pagination = services.list_contracts(current_user, filters, page)
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template("contracts/list_contracts.html", form=form, pagination=pagination,
                           budget=services.budget_use(list(pagination.items)),
                           totals=services.contract_totals(current_user, filters), args=args)


@bp.route("/contracts/new", methods=["GET", "POST"])
@access(*OFFICERS)
def create_contract():
    form = _build_form()
    status = 200
    if form.validate_on_submit():
        saved = commit_or_flash(lambda: services.create_contract(current_user, _data(form)),
                                services.ContractError, done=_("Contract saved as a draft."))
        if saved:
            return redirect(url_for("contracts.view_contract", contract_id=saved.value.id))
        status = 400
    elif form.is_submitted():
        status = 400
    return render_template("contracts/edit_contract.html", form=form, contract=None), status


@bp.get("/contracts/<int:contract_id>")
@access(Role.oversight, Role.admin, Role.provider_staff, load={"contract_id": Contract})
def view_contract(contract: Contract):
    form = TransitionForm()
    allowed = TRANSITIONS[contract.status]
    form.to.choices = choices((s.value, label) for s, label in ACTION_LABELS.items()
                              if s in allowed)
    return render_template(
        "contracts/view_contract.html", contract=contract, form=form,
        use=services.budget_use([contract])[contract.id],
        offers=rows_for(services.contract_offers(contract)))


@bp.route("/contracts/<int:contract_id>/edit", methods=["GET", "POST"])
@access(*OFFICERS, load={"contract_id": Contract})
def edit_contract(contract: Contract):
    form = _build_form(contract)
    status = 200
    if request.method == "GET":
        for row, line in zip(form.lines, contract.lines, strict=False):
            row.form.service_type_id.data = line.service_type_id
            row.form.unit_price.data = line.unit_price
            row.form.quantity.data = line.quantity
    if form.validate_on_submit():
        if commit_or_flash(lambda: services.update_contract(current_user, contract, _data(form)),
                           services.ContractError, done=_("Contract saved.")):
            return redirect(url_for("contracts.view_contract", contract_id=contract.id))
        status = 400
    elif form.is_submitted():
        status = 400
    return render_template("contracts/edit_contract.html", form=form,
                           contract=contract), status


@bp.post("/contracts/<int:contract_id>/status")
@access(*OFFICERS, load={"contract_id": Contract})
def change_status(contract: Contract):
    form = TransitionForm()
    if not form.validate_on_submit():
        abort(400)
    if commit_or_flash(lambda: services.transition(current_user, contract,
                                                   ContractStatus(form.to.data),
                                                   form.note.data or ""),
                       services.ContractError):
        flash(_("The contract is now: %(status)s", status=STATUS_LABELS[contract.status]),
              "success")
    return redirect(url_for("contracts.view_contract", contract_id=contract.id))


@dashboard_section
def officer_card(user: User) -> Section | None:
    """Oversight: active contracts of the region and their budget use, warnings first."""
    if user.role not in OFFICERS:
        return None
    contracts = area_figures("contracts", user, lambda: _budget_lines(user))
    if not contracts:
        return None
    return Section(template="contracts/_dashboard.html", order=40, data={"contracts": contracts})


class BudgetLine(NamedTuple):
    """One active contract on the officers' card (plain data: the card is shared)."""

    id: int
    title: str
    provider: str
    use: services.BudgetUse


def _budget_lines(user: User) -> list[BudgetLine]:
    """Up to 20 active contracts of ``user``'s region, the most used budget first."""
    contracts = list(db.session.scalars(
        services.active_contracts_query(user).options(joinedload(Contract.provider)).limit(20)))
    use = services.budget_use(contracts)
    lines = [BudgetLine(c.id, c.title, c.provider.name, use[c.id]) for c in contracts]
    return sorted(lines, key=lambda line: line.use.share, reverse=True)
