"""Sentences that read out a rule's working (the steps of ``rules.Outcome``), translated."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

STEP_TEXT = {
    "income_total": _l("Monthly household income: %(income)s yuan."),
    "deductions": _l("Deductible rigid spending (medical, education, disability…): "
                     "%(deductions)s yuan."),
    "per_capita": _l("(Income − deductions) %(net)s ÷ %(members)s members = %(per_capita)s "
                     "yuan per person per month."),
    "not_below_standard": _l("Per-capita income %(per_capita)s is not below the local dibao "
                             "standard %(standard)s, so no dibao is proposed."),
    "gap": _l("Standard %(standard)s − per-capita income %(per_capita)s = gap %(gap)s yuan."),
    "gap_total": _l("Gap %(gap)s × %(members)s members = %(amount)s yuan per month "
                    "(rounded to whole yuan)."),
    "band": _l("The gap is %(share)s%% of the standard, within the band up to %(band)s: "
               "%(per_person)s × %(members)s members = %(amount)s yuan per month."),
    "tekun_basic": _l("Tekun basic living: %(factor)s × dibao standard %(standard)s = "
                      "%(amount)s yuan per month."),
    "care_base": _l("Care standard: %(share)s%% of the minimum wage %(wage)s = %(base)s yuan."),
    "care_uplift": _l("Plus %(uplift)s%% for institutional or special care: %(amount)s yuan."),
    "care_total": _l("Care amount: %(amount)s yuan per month."),
    "low_income_line": _l("Low-income line: %(factor)s × standard %(standard)s = %(line)s; "
                          "per-capita income %(per_capita)s → %(result)s."),
    "rigid_income": _l("Per-capita income %(per_capita)s below last year's local disposable "
                       "income %(disposable)s: %(result)s."),
    "rigid_spending": _l("Essential spending in 12 months %(spending)s above %(share)s%% of "
                         "income (%(threshold)s): %(result)s."),
    "deposit_cap": _l("Deposits %(deposits)s against the limit %(months)s months × standard "
                      "%(standard)s × %(members)s members = %(cap)s: %(result)s."),
    "property": _l("Vehicles %(vehicles)s, second homes %(extra_homes)s: %(result)s."),
    "temporary_cap": _l("Temporary assistance (%(kind)s): %(multiple)s × standard %(standard)s "
                        "× %(members)s members = %(amount)s yuan."),
    "advance_limit": _l("Small advance: %(multiple)s months × standard %(standard)s × "
                        "%(members)s members = %(amount)s yuan."),
}

RULE_TITLES = {
    "per_capita": _l("Per-capita income (R1.10)"),
    "assets": _l("Assets (R1.12, illustrative limits)"),
    "dibao": _l("Dibao amount (R1.1, R1.2)"),
    "tekun": _l("Tekun basic living (R2.1)"),
    "tekun_care": _l("Tekun care (R2.2)"),
    "low_income": _l("Low-income marginal (R5.2)"),
    "rigid_expense": _l("Hardship from rigid expenses (R5.3)"),
}

CLASS_LABELS = {
    "dibao": _l("Minimum living allowance (dibao)"),
    "tekun": _l("Extreme poverty support (tekun)"),
    "low_income": _l("Low-income marginal"),
    "rigid_expense": _l("Hardship from rigid expenses"),
    "none": _l("Not eligible on these facts"),
}

CASE_STATUS_LABELS = {
    "applied": _l("Application registered"),
    "investigated": _l("Home investigation done"),
    "proposed": _l("Township proposal"),
    "notice": _l("Under public notice"),
    "approved": _l("Approved by the county"),
    "refused": _l("Refused"),
    "hearing": _l("Hearing before a cut"),
    "stopped": _l("Stopped"),
}


def sentence(step: dict) -> str:
    """One step of stored working as a sentence in the current language."""
    values = dict(step.get("values", {}))
    for key, value in values.items():
        if value in ("True", "False"):
            values[key] = str(_l("yes")) if value == "True" else str(_l("no"))
    template = STEP_TEXT.get(step.get("code", ""))
    return str(template) % values if template else step.get("code", "")
