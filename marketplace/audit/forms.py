"""The audit search form (GET): filters by object, actor, action and China-time days."""

from __future__ import annotations

from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, StringField
from wtforms.validators import Length, NumberRange, Optional, ValidationError

from marketplace.audit.search import AuditFilters

#: The trail starts with the site; no date before this is meaningful.
EARLIEST = date(2000, 1, 1)


class AuditSearchForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search form

    object_type = StringField(_l("Object type"), [Optional(), Length(max=40)],
                              description=_l("e.g. needs, households, allocations"))
    object_id = StringField(_l("Object ID"), [Optional(), Length(max=40)])
    actor = StringField(_l("Done by (username or user ID)"), [Optional(), Length(max=64)])
    action = StringField(_l("Action"), [Optional(), Length(max=64)],
                         description=_l("An action (need.publish) or its area (need)"))
    date_from = DateField(_l("From (day)"), [Optional()])
    date_to = DateField(_l("To (day, included)"), [Optional()])
    before = IntegerField(validators=[Optional(), NumberRange(min=1)])

    def validate_date_from(self, field: DateField) -> None:
        _check_day(field.data)

    def validate_date_to(self, field: DateField) -> None:
        _check_day(field.data)
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("The end day is before the start day."))

    def filters(self) -> AuditFilters:
        """The validated filters (call after ``validate()``)."""
        return AuditFilters(
            object_type=(self.object_type.data or "").strip(),
            object_id=(self.object_id.data or "").strip(),
            actor=(self.actor.data or "").strip(),
            action=(self.action.data or "").strip().rstrip("."),
            date_from=self.date_from.data, date_to=self.date_to.data)


def _check_day(day: date | None) -> None:
    if day is None:
        return
    latest = date.today() + timedelta(days=366)
    if not EARLIEST <= day <= latest:
        raise ValidationError(_l("Give a day between %(first)s and %(last)s.",
                                 first=EARLIEST.isoformat(), last=latest.isoformat()))
