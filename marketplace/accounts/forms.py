"""Account forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    PasswordField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp, ValidationError

from marketplace.accounts.credit_code import credit_code_problem, normalize
from marketplace.accounts.models import OrgType, Role
from marketplace.accounts.profile_rules import CREDIT_CODE_MESSAGES
from marketplace.catalog.vocab import QUALIFICATIONS
from marketplace.common.forms import RegionField, RegionsField, choices

USERNAME = [DataRequired(), Length(min=3, max=64),
            Regexp(r"^[A-Za-z0-9_.-]+$",
                   message=_l("Use letters, digits, dot, dash or underscore."))]
PHONE = [Optional(), Regexp(r"^\+?[0-9 -]{7,20}$", message=_l("Enter a valid phone number."))]

ROLE_LABELS = {
    Role.caseworker: _l("Caseworker"),
    Role.reviewer: _l("Reviewer"),
    Role.provider_staff: _l("Provider staff"),
    Role.oversight: _l("Oversight officer"),
    Role.admin: _l("Administrator"),
}
ORG_TYPE_LABELS = {
    OrgType.charity: _l("Charity"),
    OrgType.social_org: _l("Social organisation"),
    OrgType.contractor: _l("Contracted service provider"),
    OrgType.enterprise: _l("Enterprise donor"),
    OrgType.volunteer_team: _l("Volunteer team"),
}


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), [DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), [DataRequired(), Length(max=256)])
    submit = SubmitField(_l("Sign in"))


class ChangePasswordForm(FlaskForm):
    current = PasswordField(_l("Current password"), [DataRequired(), Length(max=256)])
    new = PasswordField(_l("New password"), [DataRequired(), Length(max=256)])
    confirm = PasswordField(_l("Repeat the new password"),
                            [DataRequired(), EqualTo("new", message=_l("The passwords differ."))])
    submit = SubmitField(_l("Change password"))


class CreateUserForm(FlaskForm):
    username = StringField(_l("Username"), USERNAME)
    display_name = StringField(_l("Full name"), [DataRequired(), Length(max=80)])
    role = SelectField(_l("Role"), choices=choices((r.value, ROLE_LABELS[r]) for r in Role
                                                   if r != Role.provider_staff))
    region_code = RegionField(_l("Home region"), [Optional()])
    password = PasswordField(_l("Initial password"), [DataRequired(), Length(max=256)])
    submit = SubmitField(_l("Create account"))

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if self.role.data != Role.admin and not self.region_code.data:
            self.region_code.errors.append(_l("Government accounts need a home region."))
            ok = False
        return ok


def _credit_code(form, field) -> None:
    problem = credit_code_problem(normalize(field.data or ""))
    if problem:
        raise ValidationError(CREDIT_CODE_MESSAGES[problem])


QUALIFICATION_CHOICES = choices(QUALIFICATIONS.items())


class QualificationsField(SelectMultipleField):
    """Staff qualifications; an unknown code is a form error with a clear message."""

    def pre_validate(self, form):
        if any(code not in QUALIFICATIONS for code in self.data or []):
            raise ValidationError(_l("Unknown qualification."))


class ProfileFactsMixin:
    """The verified facts: credit code, public-fundraising qualification, qualifications."""

    credit_code = StringField(_l("Unified social credit code (统一社会信用代码)"),
                              [DataRequired(), Length(max=40), _credit_code],
                              description=_l("18 characters, as on the registration "
                                             "certificate or business licence."))
    public_fundraising = BooleanField(_l("Holds a public-fundraising qualification "
                                         "(charities only)"))
    fundraising_certificate_no = StringField(_l("Public-fundraising certificate number"),
                                             [Optional(), Length(max=64)])
    fundraising_certified_on = DateField(_l("Public-fundraising certificate date"),
                                         [Optional()])
    qualifications = QualificationsField(_l("Staff qualifications you can deliver"),
                                         choices=QUALIFICATION_CHOICES)


class OrgApplicationForm(ProfileFactsMixin, FlaskForm):
    name = StringField(_l("Organisation name"), [DataRequired(), Length(max=120)])
    type = SelectField(_l("Type"), choices=choices((t.value, label) for t, label in
                                                   ORG_TYPE_LABELS.items()))
    region_code = RegionField(_l("Registered in (county)"))
    service_area_codes = RegionsField(_l("Service area"))
    description = TextAreaField(_l("What you do"), [Optional(), Length(max=2000)])
    contact_name = StringField(_l("Contact person"), [DataRequired(), Length(max=80)])
    contact_phone = StringField(_l("Contact phone"), PHONE)
    username = StringField(_l("Username for your first account"), USERNAME)
    password = PasswordField(_l("Password"), [DataRequired(), Length(max=256)])
    submit = SubmitField(_l("Submit application"))


class ProfileForm(ProfileFactsMixin, FlaskForm):
    """The organisation's staff edit their profile; fact changes go to an officer."""

    description = TextAreaField(_l("What you do"), [Optional(), Length(max=2000)])
    contact_name = StringField(_l("Contact person"), [DataRequired(), Length(max=80)])
    contact_phone = StringField(_l("New contact phone"), PHONE,
                                description=_l("Leave empty to keep the current number."))
    service_area_codes = RegionsField(_l("Service area"), [DataRequired()])
    submit = SubmitField(_l("Save profile"))


class ReasonForm(FlaskForm):
    """Suspend or reinstate an organisation: the reason is required and audited."""

    reason = TextAreaField(_l("Reason"), [DataRequired(), Length(max=2000)])
    submit = SubmitField(_l("Confirm"))


class ChangesReviewForm(FlaskForm):
    reason = TextAreaField(_l("Reason (required when declining)"), [Optional(), Length(max=2000)])
    approve = SubmitField(_l("Approve changes"))
    decline = SubmitField(_l("Decline changes"))


class DirectoryFilterForm(FlaskForm):
    """Filters of the public directory (a GET form: no CSRF token needed)."""

    class Meta:
        csrf = False

    type = SelectField(_l("Type"), [Optional()],
                       choices=[SelectChoice("", _l("All types"))] + choices(
                           (t.value, label) for t, label in ORG_TYPE_LABELS.items()))
    region = RegionField(_l("Serving region"), [Optional()])


class DecisionForm(FlaskForm):
    reason = TextAreaField(_l("Reason (required when rejecting)"), [Optional(), Length(max=2000)])
    approve = SubmitField(_l("Verify"))
    reject = SubmitField(_l("Reject"))
