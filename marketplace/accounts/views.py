"""Sign-in, passwords, government accounts and organisation applications."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from wtforms import SelectChoice

from marketplace.accounts import services
from marketplace.accounts.forms import (
    ORG_TYPE_LABELS,
    ROLE_LABELS,
    ChangePasswordForm,
    CreateUserForm,
    DecisionForm,
    LoginForm,
    OrgApplicationForm,
)
from marketplace.accounts.models import Organization, OrgType, Role
from marketplace.accounts.profile_rules import ProfileError
from marketplace.audit.services import record_event, record_sign_in
from marketplace.common.access import PUBLIC, access
from marketplace.common.actions import commit_or_flash
from marketplace.extensions import db, login_manager
from marketplace.regions.models import RegionLevel
from marketplace.regions.services import region_choices

bp = Blueprint("accounts", __name__)
ALL_ROLES = tuple(Role)

login_manager.login_view = "accounts.login"
login_manager.login_message = _l("Please sign in to open this page.")
login_manager.login_message_category = "info"
login_manager.localize_callback = str  # flash plain text: the session cannot hold lazy strings
login_manager.user_loader(services.load_user_from_session)


@bp.app_context_processor
def role_labels():
    return {"role_labels": ROLE_LABELS, "org_type_labels": ORG_TYPE_LABELS}


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("main.dashboard")


@bp.route("/login", methods=["GET", "POST"])
@access(PUBLIC)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.username.data, form.password.data,
                                         request.remote_addr or "unknown")
        except services.LoginThrottled as exc:
            db.session.commit()
            flash(str(exc), "danger")
            return render_template("accounts/login.html", form=form), 429
        record_sign_in(user, form.username.data)
        db.session.commit()
        if user is None:
            flash(_("Wrong username or password."), "danger")
            return render_template("accounts/login.html", form=form), 200
        login_user(user)
        return redirect(_safe_next(request.args.get("next")))
    return render_template("accounts/login.html", form=form)


@bp.post("/logout")
@access(*ALL_ROLES)
def logout():
    user = current_user._get_current_object()
    record_event(user, "user.logout", user)
    db.session.commit()
    logout_user()
    flash(_("You have signed out."), "info")
    return redirect(url_for("main.index"))


@bp.route("/account/password", methods=["GET", "POST"])
@access(*ALL_ROLES)
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(current_user, form.current.data, form.new.data)
        except services.AccountError as exc:
            form.new.errors.append(str(exc))
        else:
            db.session.commit()
            login_user(current_user._get_current_object())  # keep this session only
            flash(_("Your password has been changed. Other sessions were signed out."),
                  "success")
            return redirect(url_for("main.dashboard"))
    return render_template("accounts/change_password.html", form=form)


@bp.get("/admin/users")
@access(Role.admin)
def list_users():
    page = request.args.get("page", 1, type=int)
    return render_template("accounts/list_users.html",
                           pagination=services.list_users(current_user, page))


@bp.route("/admin/users/new", methods=["GET", "POST"])
@access(Role.admin)
def create_user():
    form = CreateUserForm()
    form.region_code.choices = [SelectChoice("", "—")] + region_choices(
        [RegionLevel.province, RegionLevel.prefecture, RegionLevel.county, RegionLevel.township],
        str(get_locale()))
    if form.validate_on_submit():
        try:
            user = services.create_government_user(current_user, services.NewUser(
                username=form.username.data, display_name=form.display_name.data,
                password=form.password.data, role=Role(form.role.data),
                region_code=form.region_code.data or None))
        except services.AccountError as exc:
            form.username.errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("Account %(name)s created.", name=user.username), "success")
            return redirect(url_for("accounts.list_users"))
    return render_template("accounts/create_user.html", form=form)


@bp.route("/organizations/apply", methods=["GET", "POST"])
@access(PUBLIC)
def apply_organization():
    form = OrgApplicationForm()
    counties = region_choices([RegionLevel.county], str(get_locale()))
    form.region_code.choices = counties
    form.service_area_codes.choices = org_views.area_choices()
    if form.validate_on_submit():
        if commit_or_flash(
                lambda: services.apply_organization(services.OrgApplication(
                    name=form.name.data, type=OrgType(form.type.data),
                    region_code=form.region_code.data,
                    service_area_codes=tuple(form.service_area_codes.data or ()),
                    description=form.description.data or "",
                    contact_name=form.contact_name.data,
                    contact_phone=form.contact_phone.data or "", username=form.username.data,
                    password=form.password.data, facts=org_views.facts_from(form))),
                (services.AccountError, ProfileError),
                done=_("Thank you. Your application has been sent to the civil-affairs office of "
                       "your county; you can sign in once it is verified."),
                on_error=lambda exc: org_views.attach_error(form, exc, "name")):
            return redirect(url_for("main.index"))
    return render_template("accounts/apply_organization.html", form=form)


@bp.get("/organizations/applications")
@access(Role.oversight, Role.admin)
def list_applications():
    page = request.args.get("page", 1, type=int)
    return render_template("accounts/list_applications.html",
                           pagination=services.pending_applications(current_user, page))


@bp.get("/organizations/<int:org_id>")
@access(Role.oversight, Role.admin, Role.provider_staff, load={"org_id": Organization})
def view_organization(org: Organization):
    return render_template("accounts/view_organization.html", **org_views.organization_page(org))


@bp.post("/organizations/<int:org_id>/decision")
@access(Role.oversight, Role.admin, load={"org_id": Organization})
def decide_organization(org: Organization):
    form = DecisionForm()
    if form.validate_on_submit():
        try:
            services.decide_organization(current_user, org, approve=bool(form.approve.data),
                                         reason=form.reason.data or "")
        except services.AccountError as exc:
            flash(str(exc), "danger")
        else:
            db.session.commit()
            flash(_("Decision recorded."), "success")
            return redirect(url_for("accounts.list_applications"))
    return render_template("accounts/view_organization.html",
                           **{**org_views.organization_page(org), "form": form}), 400


@bp.app_context_processor
def page_size():
    return {"page_size": current_app.config["PAGE_SIZE"]}


# Organisation profile routes live in their own module on the same blueprint.
from marketplace.accounts import org_views  # noqa: E402  (registers routes and cards)
