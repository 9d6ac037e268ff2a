"""The local 低保 standard and the temporary-assistance limits derived from it (R3.4, R3.5).

The standard and its multiples are the assessment area's data (``assistance_standards``, set
per county and date by oversight officers); the arithmetic is ``marketplace.assessment.rules``.
For an emergency the standard is the one of the place where it happened (R3.1), which for other
needs is the household's own region.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from marketplace.assessment import rules
from marketplace.assessment.services import dibao_monthly_standard, local_standards
from marketplace.extensions import db
from marketplace.households.models import Household
from marketplace.regions.models import Region


@dataclass(frozen=True)
class AdvanceLimit:
    amount: Decimal
    monthly_standard: Decimal
    multiple: Decimal
    household_size: int


def monthly_standard(household: Household, region_code: str, on: date) -> Decimal:
    """The monthly 低保 standard per person at ``region_code`` (urban or rural by the place)."""
    if region_code == household.region_code:
        return dibao_monthly_standard(household, on)
    region = db.session.get(Region, region_code)
    return local_standards(region_code, on).dibao_monthly(bool(region and region.is_urban))


def advance_limit(household: Household, region_code: str, on: date | None = None) -> AdvanceLimit:
    """R3.5: the most a caseworker may advance at once: ``multiple`` months' standard per person
    × household size (the multiple is set per county with the standards; default 2)."""
    on = on or date.today()
    standard = monthly_standard(household, region_code, on)
    multiple = Decimal(str(local_standards(region_code, on).advance_multiple))
    size = max(household.size, 1)
    outcome = rules.advance_grant_limit(standard, size, multiple)
    return AdvanceLimit(Decimal(outcome.value), standard, multiple, size)


def temporary_cap(household: Household, region_code: str, kind: str,
                  on: date | None = None) -> Decimal:
    """R3.4: the cap of one temporary-assistance need of type ``kind`` (急难型 / 支出型)."""
    on = on or date.today()
    standard = monthly_standard(household, region_code, on)
    tiers = local_standards(region_code, on).temporary_multiples or {}
    multiples = {key: Decimal(str(value)) for key, value in tiers.items()}
    if kind not in multiples:
        multiples = None  # the rule's own defaults
    outcome = rules.temporary_assistance_cap(kind, standard, max(household.size, 1), multiples)
    return Decimal(outcome.value)
