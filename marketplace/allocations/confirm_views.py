"""The caseworker's pages: deliveries to confirm, confirm or record a problem, feedback."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from marketplace.accounts.models import Role
from marketplace.allocations import confirm
from marketplace.allocations.forms import ConfirmForm, FeedbackForm
from marketplace.allocations.models import Delivery, DeliveryStatus, Feedback
from marketplace.allocations.services import AllocationError
from marketplace.allocations.views import bp, places_of
from marketplace.common.access import access
from marketplace.common.actions import commit_or_flash
from marketplace.common.ui import register_nav
from marketplace.extensions import db
from marketplace.needs.services import NeedError

register_nav("allocations.list_deliveries", _l("Deliveries"), roles=("caseworker",), order=25)

DELIVERY_STATUS_LABELS = {
    DeliveryStatus.recorded: _l("Waiting for confirmation"),
    DeliveryStatus.confirmed: _l("Confirmed"),
    DeliveryStatus.problem: _l("Problem recorded"),
}


@bp.app_context_processor
def delivery_labels():
    return {"delivery_status_labels": DELIVERY_STATUS_LABELS}


@bp.get("/deliveries")
@access(Role.caseworker)
def list_deliveries():
    work = confirm.worklist(current_user)
    return render_template("allocations/list_deliveries.html", work=work,
                           places=places_of(work.to_confirm))


def _page(template: str, form, delivery: Delivery, status: int, **extra):
    payment = confirm.payments_of([delivery.id]).get(delivery.id)
    return render_template(template, form=form, delivery=delivery, payment=payment,
                           places=places_of([delivery, delivery.allocation]), **extra), status


@bp.route("/deliveries/<int:delivery_id>/confirm", methods=["GET", "POST"])
@access(Role.caseworker, load={"delivery_id": Delivery})
def confirm_delivery(delivery: Delivery):
    form = ConfirmForm()
    status = 200
    if form.validate_on_submit():
        ok = form.outcome.data == "ok"
        done = commit_or_flash(
            lambda: confirm.confirm_delivery(current_user, delivery, ok, form.note.data or ""),
            (AllocationError, NeedError),
            done=_("Receipt confirmed.") if ok else _("The problem is recorded."),
            on_error=lambda exc: form.note.errors.append(str(exc)))
        if done:
            return redirect(url_for("allocations.list_deliveries"))
        status = 400
    elif request.method == "POST":
        status = 400
    return _page("allocations/confirm_delivery.html", form, delivery, status)


@bp.route("/deliveries/<int:delivery_id>/feedback", methods=["GET", "POST"])
@access(Role.caseworker, load={"delivery_id": Delivery})
def record_feedback(delivery: Delivery):
    form = FeedbackForm()
    status = 200
    if form.validate_on_submit():
        try:
            done = commit_or_flash(
                lambda: confirm.record_feedback(current_user, delivery,
                                                int(form.satisfaction.data), form.note.data),
                AllocationError, done=_("Thank you: the feedback is recorded."),
                on_error=lambda exc: form.satisfaction.errors.append(str(exc)))
        except IntegrityError:  # sent twice at the same moment: the other one got in
            db.session.rollback()
            form.satisfaction.errors.append(_("Feedback was already recorded for this delivery."))
            done = None
        if done:
            return redirect(url_for("allocations.list_deliveries"))
        status = 400
    elif request.method == "POST":
        status = 400
    feedback = db.session.scalar(select(Feedback).where(Feedback.delivery_id == delivery.id))
    return _page("allocations/record_feedback.html", form, delivery, status, feedback=feedback)
