"""Household registry pages: list and search, register, household page, members, full numbers.

Caseworkers register and edit the households of their area; reviewers and oversight officers
read them (masked); provider staff and administrators never see households. Each view commits
once; a refused action rolls back so nothing is half-saved.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from wtforms import SelectChoice

from marketplace.accounts.models import Role, User
from marketplace.common.access import access, user_prefix
from marketplace.common.forms import ButtonForm
from marketplace.common.labels import TranslatedLabels
from marketplace.common.ui import register_nav
from marketplace.extensions import db
from marketplace.households import services
from marketplace.households.forms import (
    LABELS,
    EditMemberForm,
    HouseholdForm,
    MemberForm,
    RegisterHouseholdForm,
)
from marketplace.households.models import Household, Person
from marketplace.households.queries import (  # importing it registers the dashboard card
    VIEWER_ROLES,
    search_households,
)
from marketplace.households.services import HouseholdError, HouseholdInput
from marketplace.needs.panel import needs_panel
from marketplace.regions import directory
from marketplace.regions.models import Region

bp = Blueprint("households", __name__)
register_nav("households.list_households", _l("Households"),
             roles=tuple(str(r) for r in VIEWER_ROLES), order=20)

DUPLICATE_RACE = _l("Someone registered one of these ID numbers at the same moment. "
                    "Search for it and try again.")


_labels = TranslatedLabels(LABELS)


@bp.app_context_processor
def household_labels():
    return {"household_labels": _labels(str(get_locale()))}


def _region_choices(user: User) -> list[SelectChoice]:
    """Counties, townships and villages of the user's own area only."""
    prefix = user_prefix(user)
    if not prefix:
        return []
    locale = str(get_locale())
    rows = db.session.scalars(select(Region).where(
        Region.code.startswith(prefix, autoescape=True),
        Region.level.in_(services.HOUSEHOLD_LEVELS)).order_by(Region.code).limit(5000))
    return [SelectChoice(r.code, f"{r.code} {r.display_name(locale)}") for r in rows]


def _member(household: Household, person_id: int) -> Person:
    """A member of ``household`` (already scope-checked); another household's member is 404."""
    person = db.session.get(Person, person_id)
    if person is None or person.household_id != household.id:
        abort(404)
    return person


def _refused(exc: Exception) -> None:
    """Undo what a refused service call flushed and say why. An IntegrityError here is the
    unique index on ID numbers catching a registration made at the same moment."""
    db.session.rollback()
    flash(str(DUPLICATE_RACE) if isinstance(exc, IntegrityError) else str(exc), "danger")


def _commit_or_report() -> bool:
    """Commit; a duplicate ID number inserted concurrently loses to the unique index."""
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        flash(str(DUPLICATE_RACE), "danger")
        return False
    return True


@bp.get("/households")
@access(*VIEWER_ROLES)
def list_households():
    q = request.args.get("q", "", type=str)[:40]
    page = request.args.get("page", 1, type=int)
    return render_template("households/list_households.html",
                           pagination=search_households(current_user, q, page), q=q)


@bp.route("/households/new", methods=["GET", "POST"])
@access(Role.caseworker)
def create_household():
    form = RegisterHouseholdForm()
    form.region_code.choices = _region_choices(current_user)
    if request.method == "GET":
        form.members[0].form.relation.data = "head"
    if form.validate_on_submit():
        try:
            household = services.create_household(
                current_user, _household_input(form),
                [row.to_input() for row in form.filled_rows()])
        except (HouseholdError, IntegrityError) as exc:
            _refused(exc)
        else:
            if _commit_or_report():
                flash(_("Household registered."), "success")
                return redirect(url_for("households.view_household", household_id=household.id))
    status = 400 if request.method == "POST" else 200
    return render_template("households/create_household.html", form=form), status


def _household_input(form: HouseholdForm) -> HouseholdInput:
    return HouseholdInput(region_code=form.region_code.data,
                          address_detail=form.address_detail.data or "",
                          groups=list(form.groups.data or []))


def _render_household(household: Household, revealed: dict[int, str] | None = None,
                      address: str | None = None):
    # The household's own place comes joined with it; its county from the cached directory.
    county = directory.places().get(household.county_code)
    # The needs panel's data, loaded here: its query of the needs' timelines also brings the
    # household's own registry history (one query for both).
    panel = needs_panel(household)
    return render_template(
        "households/view_household.html", household=household, county=county,
        button=ButtonForm(), revealed=revealed or {}, revealed_address=address,
        may_edit=current_user.role == Role.caseworker,
        may_reveal=services.may_read_full_number(current_user, household),
        history=panel["history"], needs_panel_data=panel)


@bp.get("/households/<int:household_id>")
@access(*VIEWER_ROLES, load={"household_id": Household})
def view_household(household: Household):
    return _render_household(household)


@bp.post("/households/<int:household_id>/members/<int:person_id>/id-number")
@access(Role.caseworker, Role.reviewer, load={"household_id": Household})
def reveal_id_number(household: Household, person_id: int):
    person = _member(household, person_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        number = services.reveal_id_number(current_user, person)
    except HouseholdError:
        abort(403)
    db.session.commit()
    # Rendered, not redirected: a flash message would carry the number in the session cookie.
    response = make_response(_render_household(household, {person.id: number}))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/households/<int:household_id>/address")
@access(Role.caseworker, Role.reviewer, load={"household_id": Household})
def reveal_address(household: Household):
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        address = services.reveal_address(current_user, household)
    except HouseholdError:
        abort(403)
    db.session.commit()
    # Rendered, not redirected (as the ID number): nothing of it in the session cookie.
    response = make_response(_render_household(household, address=address))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/households/<int:household_id>/edit", methods=["GET", "POST"])
@access(Role.caseworker, load={"household_id": Household})
def edit_household(household: Household):
    form = HouseholdForm(obj=household) if request.method == "GET" else HouseholdForm()
    form.region_code.choices = _region_choices(current_user)
    if form.validate_on_submit():
        try:
            services.update_household(current_user, household, _household_input(form))
        except (HouseholdError, IntegrityError) as exc:
            _refused(exc)
        else:
            db.session.commit()
            flash(_("Household updated."), "success")
            return redirect(url_for("households.view_household", household_id=household.id))
    status = 400 if request.method == "POST" else 200
    return render_template("households/edit_household.html", form=form,
                           household=household), status


@bp.route("/households/<int:household_id>/members/new", methods=["GET", "POST"])
@access(Role.caseworker, load={"household_id": Household})
def add_member(household: Household):
    form = MemberForm()
    if request.method == "GET":
        form.relation.data = "child"
    if form.validate_on_submit():
        try:
            services.add_member(current_user, household, form.to_input())
        except (HouseholdError, IntegrityError) as exc:
            _refused(exc)
        else:
            if _commit_or_report():
                flash(_("Member added."), "success")
                return redirect(url_for("households.view_household",
                                        household_id=household.id))
    status = 400 if request.method == "POST" else 200
    return render_template("households/edit_member.html", form=form, household=household,
                           person=None), status


@bp.route("/households/<int:household_id>/members/<int:person_id>/edit",
          methods=["GET", "POST"])
@access(Role.caseworker, load={"household_id": Household})
def edit_member(household: Household, person_id: int):
    person = _member(household, person_id)
    form = EditMemberForm(obj=person) if request.method == "GET" else EditMemberForm()
    if request.method == "GET":
        form.id_number.data = ""  # never pre-filled: reading the number is an audited action
        form.disability_grade.data = str(person.disability_grade or "")
        form.disability_type.data = person.disability_type or ""
    if form.validate_on_submit() and _keeps_matching_number(form, person):
        try:
            services.update_member(current_user, person, form.to_input())
        except (HouseholdError, IntegrityError) as exc:
            _refused(exc)
        else:
            if _commit_or_report():
                flash(_("Member updated."), "success")
                return redirect(url_for("households.view_household",
                                        household_id=household.id))
    status = 400 if request.method == "POST" else 200
    return render_template("households/edit_member.html", form=form, household=household,
                           person=person), status


def _keeps_matching_number(form: EditMemberForm, person: Person) -> bool:
    """When the number is kept, the entered birth date and sex must still agree with it."""
    if (form.id_number.data or "").strip():
        return True
    form.id_number.data = person.id_number
    ok = form.id_number.validate(form, [type(form).validate_id_number])
    form.id_number.data = ""
    return ok


@bp.post("/households/<int:household_id>/members/<int:person_id>/remove")
@access(Role.caseworker, load={"household_id": Household})
def remove_member(household: Household, person_id: int):
    person = _member(household, person_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        services.remove_member(current_user, person)
    except (HouseholdError, IntegrityError) as exc:
        _refused(exc)
    else:
        db.session.commit()
        flash(_("Member removed."), "success")
    return redirect(url_for("households.view_household", household_id=household.id))
