"""Fixed vocabularies used by households, needs, offers and the matching adapter.

The codes are the values stored in the database and sent to the matching engine; the labels
are translated for display.
"""

from __future__ import annotations

import enum

from flask_babel import lazy_gettext as _l


class LineKind(enum.StrEnum):
    """The three forms of help (资金 + 物资 + 服务)."""

    funds = "funds"
    goods = "goods"
    services = "services"


KIND_LABELS = {
    LineKind.funds: _l("Funds"),
    LineKind.goods: _l("Goods"),
    LineKind.services: _l("Services"),
}

#: Purpose categories of funds, goods and services (the matching engine's ``category``).
CATEGORIES = {
    "living": _l("Basic living"),
    "food": _l("Food"),
    "clothing": _l("Clothing and bedding"),
    "housing": _l("Housing"),
    "medical": _l("Medical"),
    "education": _l("Education"),
    "disability": _l("Disability aids and rehabilitation"),
    "care": _l("Care"),
    "psychological": _l("Psychological support"),
    "employment": _l("Employment"),
    "social": _l("Social integration"),
    "disaster": _l("Disaster and emergency"),
}

#: Assistance categories and special groups of a household (donor restrictions use them too).
GROUPS = {
    "dibao": _l("Minimum living allowance (dibao)"),
    "tekun": _l("Extreme poverty support (tekun)"),
    "low_income": _l("Low-income marginal"),
    "rigid_expense": _l("Hardship from rigid expenses"),
    "relapse_monitoring": _l("Monitored against relapse into poverty"),
    "disabled": _l("Disabled"),
    "orphan": _l("Orphan"),
    "unsupported_child": _l("De-facto unsupported child"),
    "elderly_alone": _l("Elderly living alone"),
    "seriously_ill": _l("Seriously ill"),
}

#: Staff qualifications a service may require and a provider may hold.
QUALIFICATIONS = {
    "social_worker": _l("Licensed social worker"),
    "nurse": _l("Nurse"),
    "rehab_therapist": _l("Rehabilitation therapist"),
    "counsellor": _l("Psychological counsellor"),
    "teacher": _l("Teacher"),
    "first_aid": _l("First aid"),
    "care_worker": _l("Care worker"),
}

#: Units of service capacity.
SERVICE_UNITS = {"hour": _l("hour"), "session": _l("session")}
