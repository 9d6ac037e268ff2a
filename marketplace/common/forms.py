"""Form parts shared by every area."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, SelectMultipleField, SubmitField
from wtforms.validators import ValidationError


class ButtonForm(FlaskForm):
    """An empty form for POST-only buttons: it carries the CSRF token."""

    submit = SubmitField(_l("Confirm"))


class RegionField(SelectField):
    """A region picker whose choices the view fills; an unknown code is a form error."""

    def pre_validate(self, form):
        if self.data not in {choice.value for choice in self.choices or []}:
            raise ValidationError(_l("Unknown region code."))


class RegionsField(SelectMultipleField):
    def pre_validate(self, form):
        known = {choice.value for choice in self.choices or []}
        if any(code not in known for code in self.data or []):
            raise ValidationError(_l("Unknown region code."))


def choices(pairs) -> list[SelectChoice]:
    """``[(value, label), ...]`` → the SelectChoice list WTForms wants."""
    return [SelectChoice(value, label) for value, label in pairs]
