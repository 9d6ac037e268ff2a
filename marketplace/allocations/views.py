"""Allocation actions of providers (pledges are made from the public needs board)."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from marketplace.accounts.models import Role
from marketplace.allocations import confirm, flow, services
from marketplace.allocations.forms import (
    CHANNEL_LABELS,
    DeclineForm,
    DeliveryForm,
    PaymentDeliveryForm,
    ServiceDeliveryForm,
    new_form_key,
)
from marketplace.allocations.models import Allocation, AllocationStatus
from marketplace.catalog.vocab import LineKind
from marketplace.common.access import access
from marketplace.common.actions import Done, commit_or_flash
from marketplace.common.forms import ButtonForm
from marketplace.common.models import utcnow
from marketplace.common.ui import register_nav
from marketplace.extensions import db
from marketplace.regions.services import place_labels

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
    return {"allocation_status_labels": STATUS_LABELS, "payment_channel_labels": CHANNEL_LABELS}


@bp.post("/allocations/<int:allocation_id>/cancel")
@access(Role.provider_staff, load={"allocation_id": Allocation})
def cancel_allocation(allocation: Allocation):
    if not ButtonForm().validate_on_submit():
        abort(400)
    commit_or_flash(lambda: services.cancel(current_user, allocation), services.AllocationError,
                    done=_("The pledge was cancelled."))
    return redirect(url_for("offers.view_offer", offer_id=allocation.offer_id))


def places_of(rows) -> dict[str, str]:
    """Place labels ("吉首市 乾州街道") for the region codes of ``rows``, in one query."""
    return place_labels((r.region_code for r in rows), str(get_locale()))


register_nav("allocations.inbox", _l("Allocations"), roles=("provider_staff",), order=32)


@bp.get("/allocations")
@access(Role.provider_staff)
def inbox():
    org_id = current_user.organization_id
    waiting = flow.inbox(current_user)
    return render_template("allocations/inbox.html", inbox=waiting,
                           button=ButtonForm(), now=utcnow(), is_overdue=flow.is_overdue,
                           rating=confirm.ratings([org_id]).get(org_id),
                           places=places_of(waiting.waiting + waiting.to_deliver))


@bp.post("/allocations/<int:allocation_id>/accept")
@access(Role.provider_staff, load={"allocation_id": Allocation})
def accept_allocation(allocation: Allocation):
    if not ButtonForm().validate_on_submit():
        abort(400)
    commit_or_flash(lambda: flow.accept(current_user, allocation), services.AllocationError,
                    done=_("Accepted: you can record deliveries now."))
    return redirect(url_for("allocations.inbox"))


@bp.route("/allocations/<int:allocation_id>/decline", methods=["GET", "POST"])
@access(Role.provider_staff, load={"allocation_id": Allocation})
def decline_allocation(allocation: Allocation):
    form = DeclineForm()
    status = 200
    if request.method == "GET" and (problem := flow.answer_problem(allocation)):
        # Accepted, declined, expired or too late: say so rather than offer a form that
        # can only fail.
        return render_template("allocations/decline_allocation.html", form=None,
                               allocation=allocation, problem=problem,
                               places=places_of([allocation]))
    if form.validate_on_submit():
        done = commit_or_flash(lambda: flow.decline(current_user, allocation, form.reason.data),
                               services.AllocationError,
                               done=_("Declined: the need goes back to the pool."),
                               on_error=lambda exc: form.reason.errors.append(str(exc)))
        if done:
            return redirect(url_for("allocations.inbox"))
        status = 400
    elif request.method == "POST":
        status = 400
    return render_template("allocations/decline_allocation.html", form=form,
                           allocation=allocation, problem=None,
                           places=places_of([allocation])), status


def _delivery_error(form: DeliveryForm, allocation: Allocation):
    """Show a refused delivery next to the field to change; a refusal about the allocation
    itself above the form (its state: the page says it in place of the form)."""
    def show(exc: Exception) -> None:
        field = getattr(form, getattr(exc, "field", ""), None)
        if field is not None:
            field.errors.append(str(exc))
        elif flow.delivery_problem(allocation) is None:  # e.g. the contract budget
            flash(str(exc), "danger")
    return show


def _delivery_form(offer) -> DeliveryForm:
    if offer.kind == LineKind.funds:
        return PaymentDeliveryForm()
    if offer.kind == LineKind.services:
        return ServiceDeliveryForm()
    return DeliveryForm()


@bp.route("/allocations/<int:allocation_id>/deliver", methods=["GET", "POST"])
@access(Role.provider_staff, load={"allocation_id": Allocation})
def record_delivery(allocation: Allocation):
    form = _delivery_form(allocation.offer)
    status = 200
    if request.method == "GET":
        form.form_key.data = new_form_key()
        form.delivered_on.data = date.today()
    elif form.validate_on_submit():
        data = flow.DeliveryInput(
            form.delivered_on.data, form.quantity.data, form.note.data or "",
            form_key=form.form_key.data or None,
            channel=getattr(form, "channel", None) and form.channel.data or "",
            reference=getattr(form, "reference", None) and form.reference.data or "")
        try:
            done = commit_or_flash(lambda: flow.record_delivery(current_user, allocation, data),
                                   services.AllocationError,
                                   on_error=_delivery_error(form, allocation))
        except IntegrityError:  # the same form sent at the very same moment: one got in
            db.session.rollback()
            done = Done(True, None)
            flash(_("This delivery was already recorded."), "info")
        else:
            if done and done.value.new:
                flash(_("The delivery is recorded; the caseworker will confirm it."), "success")
            elif done:
                flash(_("This delivery was already recorded."), "info")
        if done:
            return redirect(url_for("allocations.inbox"))
        status = 400
    else:
        status = 400
    delivered = flow.delivered_by_allocation([allocation.id])[allocation.id]
    return render_template("allocations/record_delivery.html", form=form, allocation=allocation,
                           delivered=delivered, left=allocation.quantity - delivered,
                           problem=flow.delivery_problem(allocation),
                           button=ButtonForm(), places=places_of([allocation])), status


@bp.post("/allocations/<int:allocation_id>/close")
@access(Role.provider_staff, load={"allocation_id": Allocation})
def close_allocation(allocation: Allocation):
    if not ButtonForm().validate_on_submit():
        abort(400)
    done = commit_or_flash(lambda: flow.close_short(current_user, allocation),
                           services.AllocationError,
                           done=_("Finished at what was delivered; the rest goes back to the "
                                  "pool."))
    if done:
        return redirect(url_for("allocations.inbox"))
    return redirect(url_for("allocations.record_delivery", allocation_id=allocation.id))

# The caseworker's and the officers' pages live in their own modules on the same blueprint.
from marketplace.allocations import confirm_views, officer_views  # noqa: E402,F401,I001
