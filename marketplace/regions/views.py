"""Browsing the region tree; administrators add townships and villages."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from marketplace.accounts.models import Role
from marketplace.common.access import access
from marketplace.extensions import db
from marketplace.regions import services
from marketplace.regions.forms import RegionForm, RegionImportForm
from marketplace.regions.models import Region

bp = Blueprint("regions", __name__)


@bp.get("/regions")
@access(*Role)
def list_regions():
    return render_template("regions/list_regions.html", region=None,
                           children=services.children_of(None))


@bp.get("/regions/<code>")
@access(*Role)
def view_region(code: str):
    region = db.get_or_404(Region, code)
    return render_template("regions/list_regions.html", region=region,
                           children=services.children_of(region.code))


@bp.route("/admin/regions/new", methods=["GET", "POST"])
@access(Role.admin)
def create_region():
    form = RegionForm()
    if form.validate_on_submit():
        try:
            region = services.add_region(services.NewRegion(
                code=form.code.data, name_zh=form.name_zh.data,
                parent_code=form.parent_code.data, name_en=form.name_en.data or ""),
                current_user)
        except services.RegionError as exc:
            form.code.errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("Region %(name)s added.", name=region.name_zh), "success")
            return redirect(url_for("regions.view_region", code=region.parent_code))
    return render_template("regions/create_region.html", form=form,
                           import_form=RegionImportForm())


@bp.post("/admin/regions/import")
@access(Role.admin)
def import_regions():
    form = RegionImportForm()
    if form.validate_on_submit():
        raw = form.file.data.read()
        try:
            count = services.import_regions_csv(raw.decode("utf-8"), current_user)
        except UnicodeDecodeError:
            db.session.rollback()
            form.file.errors.append(_("The file is not UTF-8 text."))
        except services.RegionError as exc:
            db.session.rollback()
            form.file.errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("%(n)d regions imported.", n=count), "success")
            return redirect(url_for("regions.list_regions"))
    return render_template("regions/create_region.html", form=RegionForm(formdata=None),
                           import_form=form), 400
