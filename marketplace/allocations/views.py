"""Allocation actions of providers (pledges are made from the public needs board)."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from marketplace.accounts.models import Role
from marketplace.allocations import services
from marketplace.allocations.models import Allocation, AllocationStatus
from marketplace.common.access import access
from marketplace.common.actions import commit_or_flash
from marketplace.common.forms import ButtonForm

bp = Blueprint("allocations", __name__)

STATUS_LABELS = {
    AllocationStatus.pledged: _l("Pledged"),
    AllocationStatus.proposed: _l("Proposed"),
    AllocationStatus.accepted: _l("Accepted"),
    AllocationStatus.declined: _l("Declined"),
    AllocationStatus.expired: _l("Expired"),
    AllocationStatus.delivered: _l("Delivered"),
    AllocationStatus.confirmed: _l("Confirmed"),
    AllocationStatus.cancelled: _l("Cancelled"),
}


@bp.app_context_processor
def allocation_labels():
    return {"allocation_status_labels": STATUS_LABELS}


@bp.post("/allocations/<int:allocation_id>/cancel")
@access(Role.provider_staff, load={"allocation_id": Allocation})
def cancel_allocation(allocation: Allocation):
    if not ButtonForm().validate_on_submit():
        abort(400)
    commit_or_flash(lambda: services.cancel(current_user, allocation), services.AllocationError,
                    done=_("The pledge was cancelled."))
    return redirect(url_for("offers.view_offer", offer_id=allocation.offer_id))
