"""Audit pages for officers: search the trail within their region, one object's history, and
the export of a search (itself audited)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from marketplace.accounts.models import Role
from marketplace.audit import search as audit_search
from marketplace.audit.forms import AuditSearchForm
from marketplace.audit.search import AuditFilters
from marketplace.audit.services import record_event
from marketplace.common.access import access
from marketplace.common.ui import register_nav
from marketplace.exports.writers import FORMATS, export_response
from marketplace.extensions import db
from marketplace.regions import directory

bp = Blueprint("audit", __name__)
register_nav("audit.search_events", _l("Audit log"), roles=("oversight", "reviewer", "admin"),
             order=90)

OFFICERS = (Role.oversight, Role.reviewer, Role.admin)


@bp.app_template_filter("audit_json")
def audit_json(value: Any) -> str:
    """A before/after summary on the page, personal data masked unless the role may see it
    (as in exports)."""
    return audit_search.summary(value, audit_search.may_see_personal_data(current_user))


def _page(form: AuditSearchForm, filters: AuditFilters | None, template: str, status: int = 200,
          **context: Any):
    page = None
    if filters is not None:
        page = audit_search.search(current_user, filters, form.before.data)
    return render_template(template, form=form, page=page, places=directory.places(),
                           params=filters.as_params() if filters else {},
                           formats=FORMATS, **context), status


@bp.get("/audit")
@access(*OFFICERS)
def search_events():
    form = AuditSearchForm(request.args)
    if not form.validate():
        return _page(form, None, "audit/search_events.html", 400)
    return _page(form, form.filters(), "audit/search_events.html")


@bp.get("/audit/objects/<object_type>/<object_id>")
@access(*OFFICERS)
def object_history(object_type: str, object_id: str):
    """The events of one object that lie in the officer's scope; none at all answers 404, like
    an object out of scope."""
    form = AuditSearchForm(request.args)
    if not form.validate():
        abort(400)
    filters = AuditFilters(object_type=object_type[:40], object_id=object_id[:40])
    page = audit_search.search(current_user, filters, form.before.data)
    if not page.rows and form.before.data is None:
        abort(404)
    return render_template("audit/object_history.html", form=form, page=page,
                           places=directory.places(), params={}, object_type=object_type,
                           object_id=object_id)


def export_header() -> list[str]:
    return [_("Seq"), _("Time"), _("Done by"), _("Role"), _("Action"), _("Object type"),
            _("Object ID"), _("Region"), _("Note"), _("Before"), _("After"), _("Hash")]


@bp.get("/audit/export.<fmt>")
@access(*OFFICERS)
def export_events(fmt: str):
    """The search's events as CSV or XLSX. Recorded (filters, row count, whether personal data
    was shown in full) and committed before the rows stream: the download runs after the view
    has returned."""
    if fmt not in FORMATS:
        abort(404)
    form = AuditSearchForm(request.args)
    if not form.validate():
        return _page(form, None, "audit/search_events.html", 400)
    filters = form.filters()
    unmasked = audit_search.may_see_personal_data(current_user)
    count = audit_search.count_matches(current_user, filters)
    record_event(current_user, "export.audit", object_type="exports", object_id=fmt,
                 region_code=current_user.region_code,
                 note="personal data unmasked" if unmasked else "",
                 after={"filters": filters.as_params(), "rows": count, "format": fmt,
                        "unmasked": unmasked})
    db.session.commit()
    return export_response(fmt, _("Audit log"), export_header(),
                           audit_search.export_rows(current_user, filters, unmasked))
