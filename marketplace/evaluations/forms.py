"""The officer's evaluation form: one weight per indicator, a comment, publish or not."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from marketplace.evaluations.indicators import BEHIND_SCHEDULE, NEAR_BUDGET
from marketplace.evaluations.models import Grade
from marketplace.evaluations.services import DEFAULT_WEIGHTS

#: The weighted indicators' names, in the form's order.
INDICATOR_LABELS = {
    "delivery": _l("Units delivered against contracted"),
    "households": _l("Households served against target"),
    "satisfaction": _l("Satisfaction rate"),
    "on_time_acceptance": _l("On-time acceptance rate"),
    "on_time_delivery": _l("On-time delivery rate"),
    "budget_execution": _l("Budget execution rate"),
    "complaints": _l("Complaints"),
}
#: Short words that mean something else elsewhere: a context keeps them apart.
GRADE_LABELS = {
    Grade.excellent: lazy_pgettext("evaluation grade", "Excellent"),
    Grade.good: lazy_pgettext("evaluation grade", "Good"),
    Grade.passed: lazy_pgettext("evaluation grade", "Pass"),
    Grade.fail: lazy_pgettext("evaluation grade", "Fail"),
}
WARNING_LABELS = {
    BEHIND_SCHEDULE: _l("Behind schedule"),
    NEAR_BUDGET: _l("Budget nearly used"),
}


def _weight(key: str) -> IntegerField:
    return IntegerField(
        _l("Weight: %(indicator)s", indicator=INDICATOR_LABELS[key]),
        [InputRequired(_l("Enter a weight from 0 to 100.")),
         NumberRange(0, 100, _l("Enter a weight from 0 to 100."))],
        default=DEFAULT_WEIGHTS[key])


class EvaluationForm(FlaskForm):
    """Weights must add up to 100 (checked by the service, shown on the form)."""

    weight_delivery = _weight("delivery")
    weight_households = _weight("households")
    weight_satisfaction = _weight("satisfaction")
    weight_on_time_acceptance = _weight("on_time_acceptance")
    weight_on_time_delivery = _weight("on_time_delivery")
    weight_budget_execution = _weight("budget_execution")
    weight_complaints = _weight("complaints")
    comment = TextAreaField(_l("Comment"), [Optional(), Length(max=4000)])
    publish = BooleanField(_l("Publish the grade and score on the provider's public page"))
    submit = SubmitField(_l("Save evaluation"))

    def weight_fields(self):
        """(indicator key, field) in the form's order."""
        return [(key, getattr(self, f"weight_{key}")) for key in DEFAULT_WEIGHTS]

    def weights(self) -> dict[str, int | None]:
        return {key: field.data for key, field in self.weight_fields()}
