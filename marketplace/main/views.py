"""Landing page, dashboards and language choice."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_login import current_user

from marketplace.accounts.models import Role
from marketplace.common.access import PUBLIC, access
from marketplace.common.forms import ButtonForm
from marketplace.common.ui import AREA_FIGURES
from marketplace.extensions import db
from marketplace.main.services import dashboard_for
from marketplace.regions.directory import places

bp = Blueprint("main", __name__)


@bp.get("/")
@access(PUBLIC)
def index():
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    return render_template("main/index.html")


@bp.get("/dashboard")
@access(*Role)
def dashboard():
    return render_template("main/dashboard.html", board=dashboard_for(current_user),
                           places=places(), figures_ttl=int(AREA_FIGURES.ttl))


@bp.post("/language/<code>")
@access(PUBLIC)
def set_language(code: str):
    form = ButtonForm()
    if form.validate_on_submit() and code in current_app.config["LANGUAGES"]:
        session["locale"] = code
        if current_user.is_authenticated:
            current_user.locale = code
            db.session.commit()
    target = request.form.get("next", "")
    if not target.startswith("/") or target.startswith("//"):
        target = url_for("main.index")
    return redirect(target)
