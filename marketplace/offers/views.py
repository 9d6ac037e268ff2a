"""Provider offers: list, create (funds, goods, services), edit, open, withdraw."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from marketplace.accounts.models import Role, User
from marketplace.allocations.services import waiting_for
from marketplace.catalog.services import active_goods, active_service_types
from marketplace.catalog.vocab import CATEGORIES, GROUPS, KIND_LABELS, QUALIFICATIONS, LineKind
from marketplace.common.access import access
from marketplace.common.actions import commit_or_flash
from marketplace.common.forms import ButtonForm, choices
from marketplace.common.ui import Section, dashboard_section, register_nav
from marketplace.contracts.services import budget_use, provider_contracts
from marketplace.offers import services
from marketplace.offers.forms import CONDITION_LABELS, FORMS, SOURCE_LABELS, STATE_LABELS
from marketplace.offers.models import FundsSource, GoodsCondition, Offer, OfferStatus
from marketplace.regions.models import RegionLevel
from marketplace.regions.services import region_choices

bp = Blueprint("offers", __name__)
register_nav("offers.list_offers", _l("My offers"), roles=("provider_staff",), order=30)

REGION_LEVELS = [RegionLevel.province, RegionLevel.prefecture, RegionLevel.county,
                 RegionLevel.township]


@bp.app_context_processor
def offer_labels():
    return {"offer_state_labels": STATE_LABELS, "kind_labels": KIND_LABELS,
            "funds_source_labels": SOURCE_LABELS, "condition_labels": CONDITION_LABELS,
            "category_labels": CATEGORIES, "group_labels": GROUPS,
            "qualification_labels": QUALIFICATIONS}


def _kind(value: str) -> LineKind:
    try:
        return LineKind(value)
    except ValueError:
        abort(404)


def _build_form(kind: LineKind, obj: Offer | None = None):
    form = FORMS[kind](obj=obj)
    locale = str(get_locale())
    regions = region_choices(REGION_LEVELS, locale)
    form.regions.choices = regions
    if kind == LineKind.goods:
        form.goods_item_id.choices = choices(
            (g.id, f"{g.display_name(locale)} ({g.unit})") for g in active_goods())
        form.pickup_region_code.choices = regions
    if kind == LineKind.services:
        form.service_type_id.choices = choices(
            (s.id, f"{s.display_name(locale)} ({s.unit})") for s in active_service_types())
    if obj is not None and request.method == "GET":
        form.publish.data = "open" if obj.status == OfferStatus.open else "draft"
    return form


def _data(kind: LineKind, form) -> services.OfferData:
    def value(name, default=None):
        field = getattr(form, name, None)
        return field.data if field is not None and field.data not in ("", None) else default

    source = value("funds_source")
    condition = value("condition")
    return services.OfferData(
        kind=kind, capacity=form.capacity.data, valid_from=form.valid_from.data,
        valid_until=value("valid_until"), categories=list(value("categories", [])),
        goods_item_id=value("goods_item_id"), service_type_id=value("service_type_id"),
        regions=list(value("regions", [])), qualifications=list(value("qualifications", [])),
        groups=list(value("groups", [])), unit_price=value("unit_price"),
        funds_source=FundsSource(source) if source else None,
        campaign_record_no=value("campaign_record_no", ""),
        pickup_region_code=value("pickup_region_code"), expiry_date=value("expiry_date"),
        condition=GoodsCondition(condition) if condition else None,
        note=value("note", ""))


@bp.get("/offers")
@access(Role.provider_staff, Role.admin)
def list_offers():
    page = request.args.get("page", 1, type=int)
    pagination = services.list_offers(current_user, page)
    return render_template("offers/list_offers.html", pagination=pagination,
                           rows=services.rows_for(list(pagination.items)))


@bp.route("/offers/new/<kind>", methods=["GET", "POST"])
@access(Role.provider_staff)
def create_offer(kind: str):
    kind = _kind(kind)
    form = _build_form(kind)
    if request.method == "GET":
        form.valid_from.data = date.today()
    status = 200
    if form.validate_on_submit():
        saved = commit_or_flash(lambda: services.create_offer(
            current_user, _data(kind, form), publish=form.publish.data == "open"),
            services.OfferError, done=_("Offer saved."))
        if saved:
            return redirect(url_for("offers.view_offer", offer_id=saved.value.id))
        status = 400
    elif form.is_submitted():
        status = 400
    return render_template("offers/edit_offer.html", form=form, kind=kind, offer=None), status


@bp.get("/offers/<int:offer_id>")
@access(Role.provider_staff, Role.admin, load={"offer_id": Offer})
def view_offer(offer: Offer):
    return render_template("offers/view_offer.html", row=services.row_for(offer),
                           allocations=services.allocations_of(offer), form=ButtonForm())


@bp.route("/offers/<int:offer_id>/edit", methods=["GET", "POST"])
@access(Role.provider_staff, load={"offer_id": Offer})
def edit_offer(offer: Offer):
    form = _build_form(offer.kind, offer)
    status = 200
    if form.validate_on_submit():
        def save():
            services.update_offer(current_user, offer, _data(offer.kind, form))
            if form.publish.data == "open" and offer.status == OfferStatus.draft:
                services.publish_offer(current_user, offer)
            return offer

        if commit_or_flash(save, services.OfferError, done=_("Offer saved.")):
            return redirect(url_for("offers.view_offer", offer_id=offer.id))
        status = 400
    elif form.is_submitted():
        status = 400
    return render_template("offers/edit_offer.html", form=form, kind=offer.kind,
                           offer=offer), status


def _button(action, offer: Offer, done: str):
    form = ButtonForm()
    if not form.validate_on_submit():
        abort(400)
    commit_or_flash(lambda: action(current_user, offer), services.OfferError, done=done)
    return redirect(url_for("offers.view_offer", offer_id=offer.id))


@bp.post("/offers/<int:offer_id>/open")
@access(Role.provider_staff, load={"offer_id": Offer})
def open_offer(offer: Offer):
    return _button(services.publish_offer, offer, _("The offer is open."))


@bp.post("/offers/<int:offer_id>/withdraw")
@access(Role.provider_staff, load={"offer_id": Offer})
def withdraw_offer(offer: Offer):
    return _button(services.withdraw_offer, offer, _("The offer was withdrawn."))


@dashboard_section
def provider_card(user: User) -> Section | None:
    """Provider staff: open offers with remaining capacity, waiting pledges, contract budgets."""
    if user.role != Role.provider_staff or user.organization_id is None:
        return None
    contracts = provider_contracts(user.organization_id)
    return Section(template="offers/_dashboard.html", order=20, data={
        "rows": services.provider_offer_rows(user.organization_id),
        "waiting": waiting_for(user.organization_id),
        "contracts": contracts, "budget": budget_use(contracts)})
