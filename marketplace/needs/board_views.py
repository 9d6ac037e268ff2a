"""The public need board (no sign-in) and the providers' pledge form (a manual match)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from marketplace.accounts.models import Role
from marketplace.common.access import PUBLIC, access
from marketplace.common.forms import choices
from marketplace.extensions import db
from marketplace.needs import board, services
from marketplace.needs.forms import PledgeForm
from marketplace.needs.views import _locale, bp


@bp.get("/board")
@access(PUBLIC)
def board_page():
    flt = board.BoardFilter.from_args(request.args)
    page = request.args.get("page", 1, type=int)
    per_page = request.args.get("per_page", current_app.config["PAGE_SIZE"], type=int)
    locale = _locale()
    pagination, rows = board.board_page(flt, page, per_page, locale)
    return render_template("needs/board.html", pagination=pagination, rows=rows, flt=flt,
                           region_options=board.region_options(locale, flt.region),
                           labels=board.board_labels(locale), sorts=board.SORTS)


def _line_or_404(line_id: int):
    line = board.public_line(line_id)
    if line is None:
        abort(404)
    return line


@bp.route("/board/lines/<int:line_id>/pledge", methods=["GET", "POST"])
@access(Role.provider_staff)
def pledge(line_id: int):
    from marketplace.allocations import services as allocations

    line = _line_or_404(line_id)
    organization = current_user.organization
    offers = allocations.open_offers_for_line(organization, line)
    form = PledgeForm()
    form.offer_id.choices = choices(
        [(str(o.id), _("Offer %(id)d: %(left)s %(unit)s left", id=o.id,
                       left=allocations.remaining_capacity(o), unit=line.unit))
         for o in offers])
    status = 200
    if form.validate_on_submit():
        offer = next((o for o in offers if str(o.id) == form.offer_id.data), None)
        try:
            quantity = Decimal(form.quantity.data.strip())
        except InvalidOperation:
            quantity = None
        if offer is None or quantity is None or not quantity.is_finite():
            flash(_("Choose one of your offers and give a quantity."), "danger")
            status = 400
        else:
            try:
                allocations.pledge(current_user, offer, line, quantity)
                services.refresh_match_status(current_user, line.need)
            except (allocations.AllocationError, services.NeedError) as exc:
                db.session.rollback()
                flash(str(exc), "danger")
                status = 400
            else:
                db.session.commit()
                flash(_("Thank you: your pledge is recorded."), "success")
                return redirect(url_for("needs.board_page"))
    elif request.method == "POST":
        status = 400
    row = board.board_row(line, _locale())
    return render_template("needs/pledge.html", form=form, row=row, offers=offers), status
