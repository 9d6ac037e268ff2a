"""Forms of the allocation flow: decline, delivery, confirmation, feedback."""

from __future__ import annotations

import secrets

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    DecimalField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional

from marketplace.common.forms import choices

CHANNEL_LABELS = {
    "bank_transfer": _l("Bank transfer"),
    "mobile_payment": _l("Mobile payment"),
    "cash": _l("Cash"),
    "cheque": _l("Cheque"),
}


def new_form_key() -> str:
    """A one-time key for a form: the same form sent twice records once."""
    return secrets.token_urlsafe(24)


class DeclineForm(FlaskForm):
    reason = TextAreaField(_l("Why you decline"), [InputRequired(), Length(max=2000)])
    submit = SubmitField(_l("Decline"))


class DeliveryForm(FlaskForm):
    delivered_on = DateField(_l("Date delivered"), [InputRequired()])
    quantity = DecimalField(_l("Quantity delivered"), [InputRequired()], places=2)
    note = TextAreaField(_l("Note"), [Optional(), Length(max=2000)])
    form_key = HiddenField()
    submit = SubmitField(_l("Record the delivery"))


class ServiceDeliveryForm(DeliveryForm):
    delivered_on = DateField(_l("Date of the visit"), [InputRequired()])
    quantity = DecimalField(_l("Hours delivered in this visit"), [InputRequired()], places=2)


class PaymentDeliveryForm(DeliveryForm):
    delivered_on = DateField(_l("Date paid"), [InputRequired()])
    quantity = DecimalField(_l("Amount paid (CNY)"), [InputRequired()], places=2)
    channel = SelectField(_l("Paid by"), choices=choices(CHANNEL_LABELS.items()))
    reference = StringField(_l("Transaction reference"), [Optional(), Length(max=64)])
    submit = SubmitField(_l("Record the payment"))


CONFIRM_CHOICES = (("ok", _l("Received as recorded")), ("problem", _l("There is a problem")))


class ConfirmForm(FlaskForm):
    outcome = RadioField(_l("What the household says"), choices=choices(CONFIRM_CHOICES),
                         validators=[InputRequired()])
    note = TextAreaField(_l("Note (required for a problem)"), [Optional(), Length(max=2000)])
    submit = SubmitField(_l("Save"))


SATISFACTION = tuple((str(n), str(n)) for n in range(5, 0, -1))


class FeedbackForm(FlaskForm):
    satisfaction = RadioField(_l("The household's satisfaction (5 = very satisfied)"),
                              choices=choices(SATISFACTION), validators=[InputRequired()])
    note = TextAreaField(_l("Note"), [Optional(), Length(max=2000)])
    submit = SubmitField(_l("Save the feedback"))

