"""Account forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp

from marketplace.accounts.models import OrgType, Role
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


class OrgApplicationForm(FlaskForm):
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


class DecisionForm(FlaskForm):
    reason = TextAreaField(_l("Reason (required when rejecting)"), [Optional(), Length(max=2000)])
    approve = SubmitField(_l("Verify"))
    reject = SubmitField(_l("Reject"))
