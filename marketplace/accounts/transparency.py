"""Donor transparency: where an organisation's help went, per offer, county and category.

Totals only, computed in the database with GROUP BY over allocations → need lines → needs. No
household, person, need or allocation row leaves this module: the page shows sums per
(offer, county, category), which is what donors ask (Charity Law art. 75–82, policy rule R8.4)
without exposing beneficiaries (art. 63).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import case, func, select

from marketplace.accounts.models import Organization
from marketplace.allocations.models import DELIVERED, OPEN, Allocation
from marketplace.catalog.vocab import LineKind
from marketplace.extensions import db
from marketplace.needs.models import Need, NeedLine
from marketplace.offers.models import Offer, OfferStatus
from marketplace.regions.models import Region

ZERO = Decimal("0")
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Flow:
    """Help of one offer that went to one county for one purpose."""

    county_code: str
    county: Region | None
    category: str
    #: Delivered or confirmed, in the offer's unit.
    delivered: Decimal
    #: Pledged, proposed or accepted but not delivered yet.
    in_progress: Decimal


@dataclass
class OfferReport:
    offer: Offer
    flows: list[Flow] = field(default_factory=list)

    @property
    def delivered(self) -> Decimal:
        return sum((f.delivered for f in self.flows), ZERO)

    @property
    def in_progress(self) -> Decimal:
        return sum((f.in_progress for f in self.flows), ZERO)


@dataclass
class Report:
    offers: list[OfferReport]

    @property
    def funds_delivered(self) -> Decimal:
        """Money delivered, all funds pledges together (the one unit that adds up)."""
        return sum((o.delivered for o in self.offers if o.offer.kind == LineKind.funds), ZERO)


def _sum_where(statuses) -> object:
    return func.coalesce(func.sum(case(
        (Allocation.status.in_([s.value for s in statuses]), Allocation.quantity),
        else_=0)), 0)


def report_for(org: Organization) -> Report:
    """Published offers of ``org`` (not drafts) with their totals per county and category."""
    offers = list(db.session.scalars(
        select(Offer).where(Offer.organization_id == org.id, Offer.status != OfferStatus.draft)
        .order_by(Offer.valid_from.desc(), Offer.id.desc())))
    reports = {offer.id: OfferReport(offer) for offer in offers}
    if not reports:
        return Report([])
    rows = db.session.execute(
        select(Allocation.offer_id, Need.county_code, NeedLine.category,
               _sum_where(DELIVERED).label("delivered"),
               _sum_where(OPEN).label("in_progress"))
        .join(NeedLine, NeedLine.id == Allocation.need_line_id)
        .join(Need, Need.id == NeedLine.need_id)
        .where(Allocation.offer_id.in_(list(reports)),
               Allocation.status.in_([s.value for s in DELIVERED | OPEN]))
        .group_by(Allocation.offer_id, Need.county_code, NeedLine.category)
        .order_by(Allocation.offer_id, Need.county_code, NeedLine.category)).all()
    counties = {r.code: r for r in db.session.scalars(
        select(Region).where(Region.code.in_({row.county_code for row in rows})))}
    for row in rows:
        reports[row.offer_id].flows.append(Flow(
            county_code=row.county_code, county=counties.get(row.county_code),
            category=row.category, delivered=_decimal(row.delivered),
            in_progress=_decimal(row.in_progress)))
    return Report(list(reports.values()))


def _decimal(value) -> Decimal:
    """A sum as Decimal cents, whatever numeric type the database driver returned."""
    return Decimal(str(value)).quantize(CENT)
