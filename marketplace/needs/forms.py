"""Forms of the needs area. Checks of substance (ceilings, catalogue, workflow) live in the
services; these forms only parse what was typed."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from marketplace.catalog.vocab import CATEGORIES, KIND_LABELS, QUALIFICATIONS
from marketplace.common.forms import RegionField, choices
from marketplace.needs.limits import STAGE_LABELS
from marketplace.needs.lines import LineInput
from marketplace.needs.services import (
    ASSISTANCE_LABELS,
    CAUSE_LABELS,
    URGENCY_LABELS,
    NeedInput,
)

BLANK = [("", "—")]
LINE_ROWS = 5


class LineForm(Form):
    """One row of the lines table; a row without kind and quantity is ignored."""

    kind = SelectField(_l("Kind"), choices=choices(BLANK + list(KIND_LABELS.items())),
                       validators=[Optional()])
    category = SelectField(_l("Purpose (funds)"), choices=choices(BLANK + list(CATEGORIES.items())),
                           validators=[Optional()])
    goods_item_id = SelectField(_l("Goods item"), validators=[Optional()])
    service_type_id = SelectField(_l("Service type"), validators=[Optional()])
    quantity = StringField(_l("Amount (CNY) or quantity"), validators=[Optional(), Length(max=20)])
    requires = SelectMultipleField(_l("Extra qualifications required"),
                                   choices=choices(QUALIFICATIONS.items()),
                                   validators=[Optional()])
    window_start = DateField(_l("From"), validators=[Optional()])
    window_end = DateField(_l("Until"), validators=[Optional()])

    def is_blank(self) -> bool:
        return not (self.kind.data or (self.quantity.data or "").strip())

    def to_input(self) -> LineInput:
        kind = self.kind.data or ""
        item = self.goods_item_id.data if kind == "goods" else self.service_type_id.data
        return LineInput(kind=kind, quantity=(self.quantity.data or "").strip() or "0",
                         category=self.category.data or "",
                         item_id=int(item) if item and str(item).isdigit() else None,
                         requires=tuple(self.requires.data or ()),
                         window_start=self.window_start.data, window_end=self.window_end.data)


class NeedForm(FlaskForm):
    cause = SelectField(_l("Cause"), choices=choices(CAUSE_LABELS.items()),
                        validators=[DataRequired()])
    # Normal first and by default: an emergency is a deliberate choice (it unlocks the fast path).
    urgency = SelectField(_l("Urgency"), choices=choices(sorted(
        URGENCY_LABELS.items(), key=lambda item: item[0] != "normal")),
                          default="normal", validators=[DataRequired()])
    region_code = RegionField(
        _l("Where help is needed"),
        description=_l("For an emergency: where it happened, whatever the household's "
                       "registration (R3.1). Otherwise the household's own place is used."))
    deadline = DateField(_l("Deadline"), validators=[InputRequired()])
    assistance_type = SelectField(
        _l("Temporary assistance type (optional)"),
        choices=choices(BLANK + list(ASSISTANCE_LABELS.items())), validators=[Optional()])
    summary = TextAreaField(_l("Notes for officers (never published)"),
                            validators=[Optional(), Length(max=2000)])
    lines = FieldList(FormField(LineForm), min_entries=LINE_ROWS, max_entries=20)
    submit = SubmitField(_l("Save draft"))

    def fill_catalogue(self, goods, services, regions) -> None:
        """Give every row the catalogue choices and the place picker its regions."""
        for row in self.lines:
            row.goods_item_id.choices = choices(BLANK + goods)
            row.service_type_id.choices = choices(BLANK + services)
        self.region_code.choices = choices(regions)

    def to_input(self) -> NeedInput:
        return NeedInput(
            cause=self.cause.data, urgency=self.urgency.data, deadline=self.deadline.data,
            region_code=self.region_code.data or None,
            assistance_type=self.assistance_type.data or None,
            summary=self.summary.data or "",
            lines=[row.form.to_input() for row in self.lines if not row.form.is_blank()])


class EmergencyNeedForm(NeedForm):
    """An emergency for a household registered anywhere (R3.1), found by a member's ID."""

    id_number = StringField(_l("ID number of a household member"),
                            validators=[DataRequired(), Length(min=18, max=18)])
    submit = SubmitField(_l("Save emergency draft"))


class NoteForm(FlaskForm):
    """A workflow step; the note is required for returning and withdrawing (services check)."""

    note = TextAreaField(_l("Note or reason"), validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Confirm"))


class AdvanceForm(FlaskForm):
    amount = StringField(_l("Advance paid (CNY)"), validators=[DataRequired(), Length(max=20)])
    note = TextAreaField(_l("How it was paid"), validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Record advance"))


class AdvanceDecisionForm(FlaskForm):
    note = TextAreaField(_l("Note (required to reject)"), validators=[Optional(), Length(max=2000)])
    confirm = SubmitField(_l("Confirm advance"))
    reject = SubmitField(_l("Reject advance"))


class StageLimitForm(FlaskForm):
    region_code = RegionField(_l("Region"))
    stage = SelectField(_l("Stage"), choices=choices(STAGE_LABELS.items()))
    days = IntegerField(_l("Days allowed"), validators=[InputRequired(),
                                                        NumberRange(min=1, max=365)])
    submit = SubmitField(_l("Save limit"))


class PledgeForm(FlaskForm):
    offer_id = SelectField(_l("From which offer"), validators=[DataRequired()])
    quantity = StringField(_l("Quantity pledged"), validators=[DataRequired(), Length(max=20)])
    submit = SubmitField(_l("Pledge"))
