"""The officers' page of allocations that came back (declined, expired) and the re-match."""

from __future__ import annotations

from flask import abort, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from marketplace.accounts.models import Role
from marketplace.allocations import released as service
from marketplace.allocations.models import Allocation
from marketplace.allocations.views import bp, places_of
from marketplace.common.access import access
from marketplace.common.actions import commit_or_flash
from marketplace.common.forms import ButtonForm
from marketplace.common.ui import register_nav

register_nav("allocations.list_released", _l("Declined and expired"),
             roles=("oversight", "reviewer"), order=62)


@bp.get("/allocations/released")
@access(Role.oversight, Role.reviewer)
def list_released():
    from marketplace.runs.services import may_start

    rows = service.released(current_user)
    startable = {code: may_start(current_user, code) for code in {r.county_code for r in rows}}
    return render_template("allocations/list_released.html", rows=rows, startable=startable,
                           button=ButtonForm(),
                           places=places_of([row.allocation for row in rows]))


@bp.post("/allocations/<int:allocation_id>/rematch")
@access(Role.oversight, Role.reviewer, load={"allocation_id": Allocation})
def rematch(allocation: Allocation):
    from marketplace.runs.services import RunError

    if not ButtonForm().validate_on_submit():
        abort(400)
    done = commit_or_flash(lambda: service.rematch(current_user, allocation), RunError,
                           done=_("A matching run for this county, kind and category is "
                                  "queued."))
    if done:
        return redirect(url_for("runs.view_run", run_id=done.value.id))
    return redirect(url_for("allocations.list_released"))
