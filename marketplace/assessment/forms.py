"""Assessment, standard and eligibility forms."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from marketplace.common.forms import RegionField, choices

AMOUNT = [InputRequired(), NumberRange(min=0, max=10_000_000,
                                       message=_l("Enter an amount between 0 and 10,000,000."))]


def _amount(label):
    return DecimalField(label, AMOUNT, places=2, default=0)


class AssessmentForm(FlaskForm):
    assessed_on = DateField(_l("Assessment date"), [DataRequired()], default=date.today)
    members_counted = IntegerField(_l("Members counted in the household"),
                                   [InputRequired(), NumberRange(min=1, max=30)])
    wages = _amount(_l("Wages (monthly)"))
    business = _amount(_l("Business income (monthly)"))
    farming = _amount(_l("Farming income (monthly)"))
    pensions = _amount(_l("Pensions (monthly)"))
    transfers = _amount(_l("Transfers and support received (monthly)"))
    property = _amount(_l("Property income (monthly)"))
    medical = _amount(_l("Deductible medical costs (monthly)"))
    education = _amount(_l("Deductible education costs (monthly)"))
    disability = _amount(_l("Disability-related costs (monthly)"))
    other = _amount(_l("Other deductible costs (monthly)"))
    deposits = _amount(_l("Deposits and financial assets"))
    vehicles = IntegerField(_l("Motor vehicles (not disability scooters)"),
                            [InputRequired(), NumberRange(min=0, max=20)], default=0)
    extra_homes = IntegerField(_l("Homes beyond the one lived in"),
                               [InputRequired(), NumberRange(min=0, max=20)], default=0)
    rigid_spending_12m = _amount(_l("Essential spending in the last 12 months"))
    tekun_candidate = BooleanField(_l("No ability to work, no income and no supporter able to "
                                      "pay (tekun, R2.3)"))
    self_care = SelectField(_l("Self-care ability"), choices=choices([
        ("self_care", _l("Fully self-caring")), ("partial", _l("Partly dependent")),
        ("full", _l("Fully dependent"))]))
    institutional = BooleanField(_l("Cared for in an institution, or special care needs"))
    submit = SubmitField(_l("Compute assessment"))

    def validate_assessed_on(self, field):
        if field.data and field.data > date.today():
            raise ValidationError(_l("The date cannot be in the future."))


class StandardForm(FlaskForm):
    region_code = RegionField(_l("Region"))
    effective_from = DateField(_l("Effective from"), [DataRequired()], default=date.today)
    dibao_urban_monthly = DecimalField(_l("Urban dibao standard (yuan per person per month)"),
                                       [InputRequired(), NumberRange(min=1, max=100000)],
                                       places=2)
    dibao_rural_monthly = DecimalField(_l("Rural dibao standard (yuan per person per month)"),
                                       [InputRequired(), NumberRange(min=1, max=100000)],
                                       places=2)
    disposable_income_urban_monthly = DecimalField(
        _l("Urban per-capita disposable income last year (per month)"),
        [InputRequired(), NumberRange(min=1, max=1000000)], places=2)
    disposable_income_rural_monthly = DecimalField(
        _l("Rural per-capita disposable income last year (per month)"),
        [InputRequired(), NumberRange(min=1, max=1000000)], places=2)
    minimum_wage_monthly = DecimalField(_l("Minimum wage last year (per month)"),
                                        [InputRequired(), NumberRange(min=1, max=100000)],
                                        places=2)
    tekun_factor = DecimalField(_l("Tekun factor (default, at least 1.3)"),
                                [InputRequired(), NumberRange(min=1, max=5)], default=1.3)
    low_income_factor = DecimalField(_l("Low-income line factor (default 1.5)"),
                                     [InputRequired(), NumberRange(min=1, max=5)], default=1.5)
    note = StringField(_l("Document reference"), [Optional(), Length(max=200)])
    submit = SubmitField(_l("Save standard"))


class CaseForm(FlaskForm):
    category = SelectField(_l("Assistance applied for"), choices=choices([
        ("dibao", _l("Minimum living allowance (dibao)")),
        ("tekun", _l("Extreme poverty support (tekun)")),
        ("low_income", _l("Low-income marginal")),
        ("rigid_expense", _l("Hardship from rigid expenses"))]))
    filed_by = SelectField(_l("Filed by"), choices=choices([
        ("applicant", _l("The applicant")),
        ("committee", _l("The village or community committee on their behalf"))]))
    submit = SubmitField(_l("Register application"))


class CaseStepForm(FlaskForm):
    note = TextAreaField(_l("Note or reasons"), [Optional(), Length(max=4000)])
    amount = DecimalField(_l("Monthly amount (yuan)"), [Optional(), NumberRange(min=0)],
                          places=2)
    days = IntegerField(_l("Notice days"), [Optional(), NumberRange(min=1, max=30)], default=7)
    submit = SubmitField(_l("Confirm"))
