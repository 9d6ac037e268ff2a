"""Catalogue forms: service types (oversight officers) and goods items (administrators)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DecimalField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp, ValidationError

from marketplace.catalog.editing import GOODS_UNITS
from marketplace.catalog.vocab import CATEGORIES, QUALIFICATIONS, SERVICE_UNITS
from marketplace.common.forms import choices

CODE = [DataRequired(), Regexp(r"^[a-z][a-z0-9_]{1,39}$", message=_l(
    "Use 2 to 40 lower-case letters, digits or underscores, starting with a letter."))]


class QualificationsField(SelectMultipleField):
    """Required qualifications; an unknown code is a form error with a clear message."""

    def pre_validate(self, form):
        if any(code not in QUALIFICATIONS for code in self.data or []):
            raise ValidationError(_l("Unknown qualification."))


class _ItemForm(FlaskForm):
    code = StringField(_l("Code"), CODE,
                       description=_l("A short English key; it cannot be changed later."))
    name_zh = StringField(_l("Chinese name"), [DataRequired(), Length(max=80)])
    name_en = StringField(_l("English name"), [DataRequired(), Length(max=80)])
    category = SelectField(_l("Category"), choices=choices(CATEGORIES.items()))


class ServiceTypeForm(_ItemForm):
    unit = SelectField(_l("Unit"), choices=choices(SERVICE_UNITS.items()))
    qualifications = QualificationsField(_l("Qualifications required"),
                                         choices=choices(QUALIFICATIONS.items()))
    reference_price = DecimalField(_l("Reference price per unit (CNY)"),
                                   [Optional(), NumberRange(min=0, message=_l(
                                       "The reference price cannot be negative."))], places=2)
    submit = SubmitField(_l("Save"))


class GoodsItemForm(_ItemForm):
    unit = SelectField(_l("Unit"), choices=choices(GOODS_UNITS.items()))
    perishable = BooleanField(_l("Perishable (offers need an expiry date)"))
    submit = SubmitField(_l("Save"))


class ActiveForm(FlaskForm):
    """Deactivate or reactivate an item (a POST button carrying the wanted state)."""

    active = HiddenField(validators=[DataRequired()])
