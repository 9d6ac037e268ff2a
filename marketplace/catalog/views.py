"""Catalogue pages: everyone signed in reads them; oversight officers edit service types,
administrators edit goods items. Catalogues are national lists, not scoped by region."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from marketplace.accounts.models import Role
from marketplace.catalog import editing, units
from marketplace.catalog.forms import ActiveForm, GoodsItemForm, ServiceTypeForm
from marketplace.catalog.models import GoodsItem, ServiceType
from marketplace.catalog.vocab import CATEGORIES, QUALIFICATIONS, SERVICE_UNITS
from marketplace.common.access import access
from marketplace.common.actions import commit_or_flash
from marketplace.common.forms import ButtonForm
from marketplace.common.ui import register_nav
from marketplace.extensions import db

bp = Blueprint("catalog", __name__)


@bp.app_template_filter("unit")
def unit_label(code: str | None) -> str:
    """A unit code (``CNY``, ``kg``, ``hour``…) in the reader's language; unknown codes as
    they are (marketplace/catalog/units.py)."""
    return units.unit_label(code)


@bp.app_template_filter("quantity")
def quantity_label(quantity, unit: str | None) -> str:
    """``{{ line.quantity|quantity(line.unit) }}``: "1,200.00 元", "12 千克"…"""
    return units.format_quantity(quantity, unit)


@bp.app_template_filter("money")
def money_label(amount) -> str:
    """``{{ payment.amount|money }}``: "1,200.00 元" / "1,200.00 CNY"."""
    return units.format_money(amount)

ALL_ROLES = tuple(Role)

register_nav("catalog.list_services", _l("Catalogues"), roles=(Role.oversight, Role.admin),
             order=85)

#: model → (editing role, list endpoint, form class, save function)
KINDS = {
    ServiceType: (Role.oversight, "catalog.list_services", ServiceTypeForm,
                  editing.save_service_type),
    GoodsItem: (Role.admin, "catalog.list_goods", GoodsItemForm, editing.save_goods_item),
}


@bp.app_context_processor
def catalog_labels():
    return {"catalog_labels": {"category": CATEGORIES, "qualification": QUALIFICATIONS,
                               "service_unit": SERVICE_UNITS, "goods_unit": editing.GOODS_UNITS}}


@bp.get("/catalog/services")
@access(*ALL_ROLES)
def list_services():
    return render_template("catalog/list_services.html",
                           items=editing.catalogue(ServiceType), button=ButtonForm(),
                           can_edit=current_user.role == Role.oversight)


@bp.get("/catalog/goods")
@access(*ALL_ROLES)
def list_goods():
    return render_template("catalog/list_goods.html", items=editing.catalogue(GoodsItem),
                           button=ButtonForm(), can_edit=current_user.role == Role.admin)


def _data(model: type, form, code: str):
    if model is ServiceType:
        return editing.ServiceTypeData(
            code=code, name_zh=form.name_zh.data, name_en=form.name_en.data,
            unit=form.unit.data, category=form.category.data,
            qualifications=tuple(form.qualifications.data or ()),
            reference_price=form.reference_price.data)
    return editing.GoodsItemData(
        code=code, name_zh=form.name_zh.data, name_en=form.name_en.data, unit=form.unit.data,
        category=form.category.data, perishable=bool(form.perishable.data))


def _edit(model: type, item=None):
    _role, list_endpoint, form_class, save = KINDS[model]
    form = form_class(obj=item)
    if item is not None:
        del form.code  # codes are keys other records and the matching engine rely on
    if form.validate_on_submit():
        if commit_or_flash(
                lambda: save(current_user, _data(model, form, item.code if item else
                                                 form.code.data), item),
                editing.CatalogError, done=_("Catalogue saved."),
                on_error=lambda exc: form.name_zh.errors.append(str(exc))):
            return redirect(url_for(list_endpoint))
    return render_template("catalog/edit_item.html", form=form, item=item,
                           services=model is ServiceType, list_endpoint=list_endpoint)


@bp.route("/catalog/services/new", methods=["GET", "POST"])
@access(Role.oversight)
def create_service():
    return _edit(ServiceType)


@bp.route("/catalog/services/<int:item_id>/edit", methods=["GET", "POST"])
@access(Role.oversight)
def edit_service(item_id: int):
    return _edit(ServiceType, db.get_or_404(ServiceType, item_id))


@bp.route("/catalog/goods/new", methods=["GET", "POST"])
@access(Role.admin)
def create_goods():
    return _edit(GoodsItem)


@bp.route("/catalog/goods/<int:item_id>/edit", methods=["GET", "POST"])
@access(Role.admin)
def edit_goods(item_id: int):
    return _edit(GoodsItem, db.get_or_404(GoodsItem, item_id))


def _set_active(model: type, item_id: int):
    item = db.get_or_404(model, item_id)
    form = ActiveForm()
    if form.validate_on_submit():
        editing.set_active(current_user, item, form.active.data == "1")
        db.session.commit()
        flash(_("%(name)s is active again.", name=item.code) if item.active
              else _("%(name)s is deactivated: no new offers or needs can use it.",
                     name=item.code), "success")
    return redirect(url_for(KINDS[model][1]))


def _delete(model: type, item_id: int):
    item = db.get_or_404(model, item_id)
    if ButtonForm().validate_on_submit():
        commit_or_flash(lambda: editing.delete_item(current_user, item), editing.CatalogError,
                        done=_("Deleted."))
    return redirect(url_for(KINDS[model][1]))


@bp.post("/catalog/services/<int:item_id>/active")
@access(Role.oversight)
def set_service_active(item_id: int):
    return _set_active(ServiceType, item_id)


@bp.post("/catalog/goods/<int:item_id>/active")
@access(Role.admin)
def set_goods_active(item_id: int):
    return _set_active(GoodsItem, item_id)


@bp.post("/catalog/services/<int:item_id>/delete")
@access(Role.oversight)
def delete_service(item_id: int):
    return _delete(ServiceType, item_id)


@bp.post("/catalog/goods/<int:item_id>/delete")
@access(Role.admin)
def delete_goods(item_id: int):
    return _delete(GoodsItem, item_id)
