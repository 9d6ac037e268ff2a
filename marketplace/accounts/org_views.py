"""Organisation profile pages: staff edits, officers' review and suspension, public directory.

Routes of the ``accounts`` blueprint (imported at the end of ``accounts.views``).
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import SelectChoice

from marketplace.accounts import organizations, services, transparency
from marketplace.accounts.forms import (
    ChangesReviewForm,
    DecisionForm,
    DirectoryFilterForm,
    ProfileForm,
    ReasonForm,
)
from marketplace.accounts.models import Organization, OrgStatus, OrgType, Role
from marketplace.accounts.profile_rules import ProfileError, ProfileFacts
from marketplace.accounts.views import bp
from marketplace.allocations.confirm import ratings
from marketplace.audit.services import events_for
from marketplace.catalog.editing import GOODS_UNITS
from marketplace.catalog.vocab import CATEGORIES, KIND_LABELS, QUALIFICATIONS, SERVICE_UNITS
from marketplace.common.access import PUBLIC, access
from marketplace.common.actions import commit_or_flash
from marketplace.common.ui import Section, area_figures, dashboard_section, register_nav
from marketplace.evaluations.services import published_for
from marketplace.regions.models import RegionLevel
from marketplace.regions.services import region_choices

register_nav("accounts.directory", _l("Organisations"), public=True, order=80)
register_nav("accounts.list_organizations", _l("Organisations"),
             roles=(Role.oversight, Role.admin), order=81)

ORG_STATUS_LABELS = {
    OrgStatus.pending: _l("Awaiting verification"),
    OrgStatus.verified: _l("Verified"),
    OrgStatus.rejected: _l("Rejected"),
    OrgStatus.suspended: _l("Suspended"),
}


@bp.app_context_processor
def organization_labels():
    return {"org_labels": {"status": ORG_STATUS_LABELS, "qualification": QUALIFICATIONS}}


#: Whose public page exists: organisations that were verified (suspended ones stay listed
#: as suspended so donors see it); pending and rejected applications are not public.
PUBLIC_STATUSES = (OrgStatus.verified, OrgStatus.suspended)


def area_choices() -> list[SelectChoice]:
    """Province, prefectures and counties, for service areas and the directory filter."""
    return region_choices([RegionLevel.province, RegionLevel.prefecture, RegionLevel.county],
                          str(get_locale()))


def facts_from(form) -> ProfileFacts:
    """The verified-facts part of an application or profile form."""
    return ProfileFacts(
        credit_code=form.credit_code.data or "",
        public_fundraising=bool(form.public_fundraising.data),
        fundraising_certificate_no=form.fundraising_certificate_no.data or "",
        fundraising_certified_on=form.fundraising_certified_on.data,
        qualifications=tuple(form.qualifications.data or ()),
    )


def attach_error(form, exc: Exception, default_field: str) -> None:
    """Show a service error next to the field it concerns."""
    name = getattr(exc, "field", "") or default_field
    getattr(form, name, getattr(form, default_field)).errors.append(str(exc))


@bp.route("/organizations/<int:org_id>/profile", methods=["GET", "POST"])
@access(Role.provider_staff, load={"org_id": Organization})
def edit_profile(org: Organization):
    form = ProfileForm()
    form.service_area_codes.choices = area_choices()
    if request.method == "GET":
        shown = ProfileFacts.from_dict(org.pending_changes) if org.pending_changes else (
            ProfileFacts.of(org))
        form.description.data = org.description
        form.contact_name.data = org.contact_name
        form.service_area_codes.data = [r.code for r in org.service_areas]
        form.credit_code.data = shown.credit_code
        form.public_fundraising.data = shown.public_fundraising
        form.fundraising_certificate_no.data = shown.fundraising_certificate_no
        form.fundraising_certified_on.data = shown.fundraising_certified_on
        form.qualifications.data = list(shown.qualifications)
    elif form.validate_on_submit():
        saved = commit_or_flash(
            lambda: organizations.update_profile(current_user, org, organizations.ProfileEdit(
                description=form.description.data or "", contact_name=form.contact_name.data,
                contact_phone=form.contact_phone.data or "",
                service_area_codes=tuple(form.service_area_codes.data or ()),
                facts=facts_from(form))),
            (services.AccountError, ProfileError),
            on_error=lambda exc: attach_error(form, exc, "service_area_codes"))
        if saved:
            flash(_("Profile saved. The changes to the credit code, fundraising qualification "
                    "or staff qualifications wait for an oversight officer's review.")
                  if saved.value else _("Profile saved."), "success")
            return redirect(url_for("accounts.view_organization", org_id=org.id))
    return render_template("organizations/edit_profile.html", org=org, form=form)


@bp.post("/organizations/<int:org_id>/changes")
@access(Role.oversight, load={"org_id": Organization})
def review_changes(org: Organization):
    form = ChangesReviewForm()
    if form.validate_on_submit():
        if commit_or_flash(lambda: organizations.review_changes(
                current_user, org, approve=bool(form.approve.data), reason=form.reason.data or ""),
                (services.AccountError, ProfileError), done=_("Review recorded.")):
            return redirect(url_for("accounts.view_organization", org_id=org.id))
    return render_template("accounts/view_organization.html", **organization_page(org)), 400


def _status_change(org: Organization, change, done: str):
    form = ReasonForm()
    if form.validate_on_submit():
        if commit_or_flash(lambda: change(current_user, org, form.reason.data),
                           services.AccountError, done=done):
            return redirect(url_for("accounts.view_organization", org_id=org.id))
    else:
        flash(_("Give a reason."), "danger")
    return render_template("accounts/view_organization.html", **organization_page(org)), 400


@bp.post("/organizations/<int:org_id>/suspend")
@access(Role.oversight, load={"org_id": Organization})
def suspend_organization(org: Organization):
    return _status_change(org, organizations.suspend_organization,
                          _("The organisation is suspended."))


@bp.post("/organizations/<int:org_id>/reinstate")
@access(Role.oversight, load={"org_id": Organization})
def reinstate_organization(org: Organization):
    return _status_change(org, organizations.reinstate_organization,
                          _("The organisation is reinstated."))


def organization_page(org: Organization) -> dict:
    """Context of ``accounts/view_organization.html`` (shared with the status views)."""
    officer = current_user.role in (Role.oversight, Role.admin)
    return {
        "org": org,
        "form": DecisionForm(),
        "review_form": ChangesReviewForm(),
        "reason_form": ReasonForm(),
        "proposed": ProfileFacts.from_dict(org.pending_changes) if org.pending_changes else None,
        "current_facts": ProfileFacts.of(org),
        "history": events_for("organizations", org.id) if officer else [],
    }


@bp.get("/organizations")
@access(Role.oversight, Role.admin)
def list_organizations():
    page = request.args.get("page", 1, type=int)
    status = request.args.get("status", "")
    changes_only = request.args.get("changes") == "1"
    pagination = organizations.organizations_for_oversight(
        current_user, page, OrgStatus(status) if status in set(OrgStatus) else None,
        changes_only)
    return render_template("organizations/list_organizations.html", pagination=pagination,
                           status=status, changes_only=changes_only)


@bp.get("/directory")
@access(PUBLIC)
def directory():
    form = DirectoryFilterForm(request.args)
    form.region.choices = [SelectChoice("", _l("Anywhere"))] + area_choices()
    pagination = None
    if form.validate():
        pagination = organizations.directory(
            request.args.get("page", 1, type=int),
            OrgType(form.type.data) if form.type.data else None, form.region.data or None)
    return render_template("organizations/directory.html", form=form, pagination=pagination,
                           filters={"type": form.type.data or "",
                                    "region": form.region.data or ""})


@bp.get("/directory/<int:org_id>")
@access(PUBLIC, load={"org_id": Organization})
def public_organization(org: Organization):
    if org.status not in PUBLIC_STATUSES:
        abort(404)
    return render_template("organizations/public_organization.html", org=org,
                           facts=ProfileFacts.of(org), report=transparency.report_for(org),
                           # Average and count only: no household, note or delivery is shown.
                           rating=ratings([org.id]).get(org.id),
                           # Published contract evaluations: grade, score, date, title only.
                           evaluations=published_for(org.id),
                           offer_kind_labels=KIND_LABELS, purpose_labels=CATEGORIES,
                           unit_label=unit_label)


def unit_label(offer) -> str:
    """The translated unit of an offer's quantities (CNY, kg, hour…)."""
    unit = offer.unit
    if unit == "CNY":
        return _("CNY")
    label = SERVICE_UNITS.get(unit) or GOODS_UNITS.get(unit)
    return str(label) if label else unit


@dashboard_section
def waiting_changes_card(user) -> Section | None:
    """Oversight officers: organisations whose profile changes wait for review."""
    if user.role != Role.oversight:
        return None
    count = area_figures("profile-changes", user,
                         lambda: organizations.count_waiting_changes(user))
    if not count:
        return None
    return Section(template="organizations/_dashboard.html", data={"count": count}, order=15)
