"""Household and member forms. The checks here give field-level messages; the services check
everything again (they are the rule), so a form and a service can never disagree silently."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    FieldList,
    Form,
    FormField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from marketplace.catalog.vocab import GROUPS
from marketplace.common.forms import RegionField, choices
from marketplace.households.idnumbers import (
    IdNumberError,
    normalise_id_number,
    normalise_phone,
    parse_id_number,
    valid_phone,
)
from marketplace.households.services import MemberInput

SEX_LABELS = {"male": _l("Male"), "female": _l("Female")}
RELATION_LABELS = {
    "head": _l("Head"), "spouse": _l("Spouse"), "child": _l("Child"),
    "child_in_law": _l("Child-in-law"), "grandchild": _l("Grandchild"), "parent": _l("Parent"),
    "parent_in_law": _l("Parent-in-law"), "grandparent": _l("Grandparent"),
    "sibling": _l("Sibling"), "other": _l("Other"),
}
# "Hearing" alone is the hearing before a benefit cut (陈述申辩): the context keeps them apart.
DISABILITY_LABELS = {
    "visual": _l("Visual"), "hearing": lazy_pgettext("disability", "Hearing"),
    "speech": _l("Speech"),
    "physical": _l("Physical"), "intellectual": _l("Intellectual"), "mental": _l("Mental"),
    "multiple": _l("Multiple"),
}
HEALTH_LABELS = {"healthy": _l("Healthy"), "chronic_illness": _l("Chronic illness"),
                 "serious_illness": _l("Serious illness")}
WORK_LABELS = {"full": _l("Able to work"), "partial": _l("Partly able to work"),
               "none": _l("Unable to work")}
SCHOOLING_LABELS = {
    "not_applicable": _l("Not in school"), "preschool": _l("Preschool"),
    "primary": _l("Primary school"), "junior_secondary": _l("Junior secondary"),
    "senior_secondary": _l("Senior secondary"), "vocational": _l("Vocational school"),
    "higher": _l("Higher education"), "out_of_school": _l("Dropped out"),
}
LABELS = {"sex": SEX_LABELS, "relation": RELATION_LABELS, "disability": DISABILITY_LABELS,
          "health": HEALTH_LABELS, "work": WORK_LABELS, "schooling": SCHOOLING_LABELS,
          "groups": GROUPS}


def _today_or_earlier(form, field) -> None:
    if field.data and field.data > date.today():
        raise ValidationError(_l("The birth date is in the future."))


def _valid_phone(form, field) -> None:
    if field.data and not valid_phone(normalise_phone(field.data)):
        raise ValidationError(_l("Enter a mobile number (11 digits starting 13-19) or a "
                                 "landline with its area code, e.g. 0743-8521234."))


class MemberFields(Form):
    """The fields of one member (no CSRF token: used inside other forms)."""

    #: On edit the stored number is kept when this is left empty (it is never pre-filled).
    id_optional = False

    name = StringField(_l("Name"), [DataRequired(message=_l("Enter the name.")),
                                    Length(max=80)])
    id_number = StringField(_l("ID number"), [Length(max=22)])
    sex = SelectField(_l("Sex"), choices=choices(SEX_LABELS.items()))
    birth_date = DateField(_l("Birth date"), [DataRequired(message=_l("Enter the birth date.")),
                                              _today_or_earlier])
    relation = SelectField(_l("Relation to head"), choices=choices(RELATION_LABELS.items()))
    phone = StringField(_l("Phone"), [Optional(), Length(max=24), _valid_phone])
    disability_type = SelectField(_l("Disability"), choices=choices(
        [("", _l("None"))] + list(DISABILITY_LABELS.items())))
    disability_grade = SelectField(_l("Disability grade"), choices=choices(
        [("", "—")] + [(str(g), str(g)) for g in range(1, 5)]))
    health = SelectField(_l("Health"), choices=choices(HEALTH_LABELS.items()))
    work_ability = SelectField(_l("Ability to work"), choices=choices(WORK_LABELS.items()))
    schooling = SelectField(_l("School enrolment"), choices=choices(SCHOOLING_LABELS.items()))

    def validate_id_number(self, field) -> None:
        if not (field.data or "").strip():
            if self.id_optional:
                return
            raise ValidationError(_l("Enter the ID number."))
        try:
            parsed = parse_id_number(field.data)
        except IdNumberError as exc:
            raise ValidationError(str(exc)) from None
        if self.birth_date.data and parsed.birth_date != self.birth_date.data:
            raise ValidationError(_l("The ID number gives the birth date %(date)s.",
                                     date=parsed.birth_date.isoformat()))
        if parsed.sex != self.sex.data:
            raise ValidationError(_l("The ID number is that of a man.") if parsed.sex == "male"
                                  else _l("The ID number is that of a woman."))

    def to_input(self) -> MemberInput:
        """The entered values for the services (an empty ID number on edit means "keep")."""
        number = normalise_id_number(self.id_number.data)
        return MemberInput(
            name=(self.name.data or "").strip(), sex=self.sex.data,
            birth_date=self.birth_date.data, relation=self.relation.data,
            id_number=number or (None if self.id_optional else ""),
            phone=self.phone.data or "", disability_type=self.disability_type.data or None,
            disability_grade=int(self.disability_grade.data) if self.disability_grade.data
            else None, health=self.health.data, work_ability=self.work_ability.data,
            schooling=self.schooling.data)


class MemberRow(MemberFields):
    """A row of the registration form: a row left entirely empty is ignored."""

    def is_blank(self) -> bool:
        texts = (self.name.data, self.id_number.data, self.phone.data)
        dates = self.birth_date.raw_data or []
        return not any((t or "").strip() for t in texts) and not any(d.strip() for d in dates)

    def validate(self, extra_validators=None) -> bool:
        if self.is_blank():
            for f in self:
                f.errors = []
            return True
        return super().validate(extra_validators)


class HouseholdForm(FlaskForm):
    region_code = RegionField(_l("Where the household lives"))
    address_detail = StringField(_l("Address (street, house number)"), [Length(max=200)],
                                 description=_l("Stored encrypted; never shown publicly."))
    groups = SelectMultipleField(_l("Assistance categories and special groups"),
                                 choices=choices(GROUPS.items()))
    submit = SubmitField(_l("Save"))


class RegisterHouseholdForm(HouseholdForm):
    """A new household with its members: the first row is meant for the head."""

    members = FieldList(FormField(MemberRow), min_entries=4, max_entries=20)
    submit = SubmitField(_l("Register household"))

    @property
    def list_errors(self) -> list[str]:
        """Messages about the member list as a whole (not those of a single row)."""
        return [str(e) for e in self.members.errors if not isinstance(e, dict | list)]

    def filled_rows(self) -> list[MemberRow]:
        return [entry.form for entry in self.members if not entry.form.is_blank()]

    def validate_members(self, field) -> None:
        rows = self.filled_rows()
        if not rows:
            raise ValidationError(_l("Enter at least the household head."))
        if sum(1 for r in rows if r.relation.data == "head") != 1:
            raise ValidationError(_l("Exactly one member must be the household head."))
        seen: set[str] = set()
        for row in rows:
            number = normalise_id_number(row.id_number.data)
            if number and number in seen:
                row.id_number.errors = [*row.id_number.errors,
                                        _l("This ID number is entered twice in this form.")]
                raise ValidationError(_l("The same ID number is entered twice."))
            seen.add(number)


class MemberForm(FlaskForm, MemberFields):
    """Add or edit one member."""

    submit = SubmitField(_l("Save member"))


class EditMemberForm(MemberForm):
    id_optional = True
