"""The notifications page: a user's own notifications, newest first; mark one or all read.

Notifications belong to one user and to no region or organisation, so the views look them up
by id among the signed-in user's own (another user's id answers 404 like a missing one).
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from marketplace.accounts.models import Role
from marketplace.common.access import access
from marketplace.common.forms import ButtonForm
from marketplace.extensions import db
from marketplace.notifications import services
from marketplace.notifications.messages import link_for, links_for, message

bp = Blueprint("notifications", __name__)

ALL_ROLES = tuple(Role)


@bp.get("/notifications")
@access(*ALL_ROLES)
def list_notifications():
    pagination = services.page_for(current_user, request.args.get("page", 1, type=int))
    links = links_for(pagination.items)
    rows = [(note, message(note), links[note.id]) for note in pagination.items]
    return render_template("notifications/list_notifications.html", pagination=pagination,
                           rows=rows, button=ButtonForm())


def _own_or_404(notification_id: int):
    if not ButtonForm().validate_on_submit():
        abort(400)
    note = services.get_own(current_user, notification_id)
    if note is None:
        abort(404)
    return note


@bp.post("/notifications/<int:notification_id>/read")
@access(*ALL_ROLES)
def read_notification(notification_id: int):
    note = _own_or_404(notification_id)
    services.mark_read(current_user, [note.id])
    db.session.commit()
    return redirect(url_for("notifications.list_notifications",
                            page=request.args.get("page", 1, type=int)))


@bp.post("/notifications/<int:notification_id>/open")
@access(*ALL_ROLES)
def open_notification(notification_id: int):
    """Mark it read and go to the page of what it is about."""
    note = _own_or_404(notification_id)
    services.mark_read(current_user, [note.id])
    db.session.commit()
    return redirect(link_for(note) or url_for("notifications.list_notifications"))


@bp.post("/notifications/read")
@access(*ALL_ROLES)
def read_all_notifications():
    if not ButtonForm().validate_on_submit():
        abort(400)
    count = services.mark_read(current_user)
    db.session.commit()
    if count:
        flash(_("%(count)s notifications marked as read.", count=count), "success")
    return redirect(url_for("notifications.list_notifications"))
