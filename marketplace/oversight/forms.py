"""The period chooser of the balance pages: ``?year=2026&from=1&to=3`` (a GET form).

The form only renders and echoes the fields; the period itself is parsed and checked by
``marketplace.balance.queries.parse_period`` (one rule for pages and exports), whose message is
shown next to the form with HTTP 400.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField
from wtforms.validators import Optional


class PeriodForm(FlaskForm):
    """Year and month range; a GET form, so no CSRF token (it changes nothing)."""

    class Meta:
        csrf = False

    year = IntegerField(_l("Year"), validators=[Optional()])
    to = IntegerField(_l("To month"), validators=[Optional()])


# ``from`` is a Python keyword: the field is added under that name so that the query string
# reads ``?year=&from=&to=`` (templates use ``form['from']``).
setattr(PeriodForm, "from", IntegerField(_l("From month"), validators=[Optional()]))  # noqa: B010
