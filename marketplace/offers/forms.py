"""Offer forms: one per kind, so each shows only the fields that apply."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    DecimalField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional

from marketplace.catalog.vocab import CATEGORIES, GROUPS, QUALIFICATIONS, LineKind
from marketplace.common.forms import RegionField, RegionsField, choices
from marketplace.offers.models import FundsSource, GoodsCondition, OfferState

STATE_LABELS = {
    OfferState.draft: _l("Draft"),
    # Contexts: "Open" and "New" are also notification words with other Chinese.
    OfferState.open: lazy_pgettext("offer state", "Open"),
    OfferState.fully_allocated: _l("Fully allocated"),
    OfferState.expired: _l("Expired"),
    OfferState.withdrawn: _l("Withdrawn"),
}
SOURCE_LABELS = {
    FundsSource.own_funds: _l("Own funds"),
    FundsSource.campaign: _l("A filed public fundraising campaign"),
}
CONDITION_LABELS = {GoodsCondition.new: lazy_pgettext("goods condition", "New"),
                    GoodsCondition.used: _l("Used")}
PUBLISH_CHOICES = (("draft", _l("Keep as a draft")), ("open", _l("Open it now")))


class _OfferForm(FlaskForm):
    valid_from = DateField(_l("Valid from"), [InputRequired()])
    valid_until = DateField(_l("Valid until (optional)"), [Optional()])
    groups = SelectMultipleField(_l("Only for households in these groups (optional)"),
                                 choices=choices(GROUPS.items()), validators=[Optional()])
    note = TextAreaField(_l("Note"), [Optional(), Length(max=2000)])
    publish = SelectField(_l("When saved"), choices=choices(PUBLISH_CHOICES))
    submit = SubmitField(_l("Save"))

    #: Shown after the fields of the kind (WTForms would put the base class's fields first).
    _TAIL = ("valid_from", "valid_until", "groups", "note", "publish", "submit")

    def __iter__(self):
        fields = list(super().__iter__())
        head = [f for f in fields if f.short_name not in self._TAIL]
        tail = sorted((f for f in fields if f.short_name in self._TAIL),
                      key=lambda f: self._TAIL.index(f.short_name))
        return iter(head + tail)


class FundsOfferForm(_OfferForm):
    capacity = DecimalField(_l("Amount (CNY)"), [InputRequired()], places=2)
    funds_source = SelectField(_l("Where the money comes from"),
                               choices=choices((s.value, label)
                                               for s, label in SOURCE_LABELS.items()))
    campaign_record_no = StringField(_l("Campaign record number (募捐方案备案编号)"),
                                     [Optional(), Length(max=64)])
    categories = SelectMultipleField(_l("Only for these purposes (optional)"),
                                     choices=choices(CATEGORIES.items()), validators=[Optional()])
    regions = RegionsField(_l("Only in these regions (optional)"), validators=[Optional()])


class GoodsOfferForm(_OfferForm):
    goods_item_id = SelectField(_l("Item"), coerce=int)
    capacity = DecimalField(_l("Quantity (in the item's unit)"), [InputRequired()], places=2)
    pickup_region_code = RegionField(_l("Pickup location"))
    regions = RegionsField(_l("Delivered to these regions (optional; default: pickup region)"),
                           validators=[Optional()])
    expiry_date = DateField(_l("Expiry date (perishables)"), [Optional()])
    condition = SelectField(_l("Condition"), choices=choices(
        (c.value, label) for c, label in CONDITION_LABELS.items()))


class ServiceOfferForm(_OfferForm):
    service_type_id = SelectField(_l("Service type"), coerce=int)
    capacity = DecimalField(_l("Hours or sessions available"), [InputRequired()], places=2)
    regions = RegionsField(_l("Regions covered"))
    qualifications = SelectMultipleField(_l("Qualifications your staff hold"),
                                         choices=choices(QUALIFICATIONS.items()),
                                         validators=[Optional()])
    unit_price = DecimalField(_l("Price per unit when purchased (CNY, optional)"), [Optional()],
                              places=2)


FORMS = {LineKind.funds: FundsOfferForm, LineKind.goods: GoodsOfferForm,
         LineKind.services: ServiceOfferForm}
