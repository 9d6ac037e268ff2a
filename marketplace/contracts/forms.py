"""Contract forms: the contract with a fixed number of line rows and its targets."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    DecimalField,
    FieldList,
    Form,
    FormField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from marketplace.common.forms import RegionField, choices
from marketplace.contracts.models import ContractStatus, TargetMetric

#: Line rows offered on the form; empty rows are ignored.
LINE_ROWS = 5

STATUS_LABELS = {
    ContractStatus.draft: _l("Draft"),
    ContractStatus.signed: _l("Signed"),
    ContractStatus.active: _l("Active"),
    ContractStatus.ended: _l("Ended"),
    ContractStatus.terminated: _l("Terminated"),
}
METRIC_LABELS = {
    TargetMetric.hours_delivered: _l("Hours delivered"),
    TargetMetric.households_served: _l("Households served"),
    TargetMetric.satisfaction_rate: _l("Satisfaction rate (%)"),
    TargetMetric.response_time_hours: _l("Response time (hours)"),
}
ACTION_LABELS = {
    ContractStatus.signed: _l("Sign"),
    ContractStatus.active: _l("Activate"),
    ContractStatus.ended: _l("End"),
    ContractStatus.terminated: _l("Terminate"),
}


class LineForm(Form):
    # Unused rows may be left out entirely; the service checks the service type.
    service_type_id = SelectField(_l("Service type"), coerce=int, validate_choice=False)
    unit_price = DecimalField(_l("Unit price (CNY)"), [Optional()], places=2)
    quantity = DecimalField(_l("Contracted quantity"), [Optional()], places=2)


class ContractForm(FlaskForm):
    title = StringField(_l("Project title"), [DataRequired(), Length(max=160)])
    region_code = RegionField(_l("Purchaser (civil-affairs office of) and service area"))
    provider_id = SelectField(_l("Provider"), coerce=int)
    period_start = DateField(_l("Period from"), [InputRequired()])
    period_end = DateField(_l("Period to"), [InputRequired()])
    budget = DecimalField(_l("Total budget (CNY)"), [InputRequired()], places=2)
    lines = FieldList(FormField(LineForm), min_entries=LINE_ROWS, max_entries=LINE_ROWS)
    target_hours_delivered = DecimalField(METRIC_LABELS[TargetMetric.hours_delivered],
                                          [Optional()])
    target_households_served = DecimalField(METRIC_LABELS[TargetMetric.households_served],
                                            [Optional()])
    target_satisfaction_rate = DecimalField(METRIC_LABELS[TargetMetric.satisfaction_rate],
                                            [Optional()])
    target_response_time_hours = DecimalField(METRIC_LABELS[TargetMetric.response_time_hours],
                                              [Optional()])
    overlap_reason = TextAreaField(
        _l("Reason for overlapping another contract of this provider (if any)"),
        [Optional(), Length(max=2000)])
    note = TextAreaField(_l("Note"), [Optional(), Length(max=2000)])
    submit = SubmitField(_l("Save draft"))

    def set_service_choices(self, pairs) -> None:
        for row in self.lines:
            row.form.service_type_id.choices = choices([(0, "—")] + list(pairs))


class TransitionForm(FlaskForm):
    to = SelectField(choices=choices((s.value, label) for s, label in ACTION_LABELS.items()))
    note = TextAreaField(_l("Note (required to terminate)"), [Optional(), Length(max=2000)])
    submit = SubmitField(_l("Confirm"))


class FilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search form

    status = SelectField(_l("Status"), [Optional()])
    provider_id = SelectField(_l("Provider"), [Optional()])
    period_from = DateField(_l("Running on or after"), [Optional()])
    period_to = DateField(_l("Running on or before"), [Optional()])
