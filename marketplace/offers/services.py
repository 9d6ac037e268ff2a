"""Offer rules: creating, editing, opening and withdrawing offers; their derived state.

Remaining capacity and the states "fully allocated" and "expired" are computed from the
allocations and the dates (``allocations.services``), never stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from marketplace.accounts.models import Organization, Role, User
from marketplace.allocations.models import Allocation
from marketplace.allocations.services import committed_by_offer, open_allocation_count
from marketplace.audit.services import record_event
from marketplace.catalog.models import GoodsItem, ServiceType
from marketplace.catalog.vocab import CATEGORIES, GROUPS, QUALIFICATIONS, LineKind
from marketplace.common.access import scope_filter
from marketplace.common.models import utcnow
from marketplace.extensions import db
from marketplace.offers.models import (
    FundsSource,
    GoodsCondition,
    Offer,
    OfferState,
    OfferStatus,
    can_operate,
    is_expired,
)
from marketplace.regions.models import Region


class OfferError(Exception):
    """An offer rule was broken; the message is shown to the user as is."""


@dataclass
class OfferData:
    """What a provider enters for an offer (the fields that do not apply stay empty)."""

    kind: LineKind
    capacity: Decimal
    valid_from: date
    valid_until: date | None = None
    categories: list[str] = field(default_factory=list)
    goods_item_id: int | None = None
    service_type_id: int | None = None
    regions: list[str] = field(default_factory=list)
    qualifications: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    unit_price: Decimal | None = None
    funds_source: FundsSource | None = None
    campaign_record_no: str = ""
    pickup_region_code: str | None = None
    expiry_date: date | None = None
    condition: GoodsCondition | None = None
    note: str = ""


@dataclass
class OfferRow:
    """An offer with its derived figures, for lists and pages."""

    offer: Offer
    committed: Decimal
    state: OfferState

    @property
    def remaining(self) -> Decimal:
        return max(self.offer.capacity - self.committed, Decimal("0"))


def offer_state(offer: Offer, committed: Decimal, today: date | None = None) -> OfferState:
    """The displayed state: withdrawn and draft as stored, then expired, then fully allocated."""
    today = today or date.today()
    if offer.status == OfferStatus.withdrawn:
        return OfferState.withdrawn
    if offer.status == OfferStatus.draft:
        return OfferState.draft
    if is_expired(offer, today):
        return OfferState.expired
    if committed >= offer.capacity:
        return OfferState.fully_allocated
    return OfferState.open


def rows_for(offers: list[Offer]) -> list[OfferRow]:
    """Attach committed quantities and states to ``offers`` (one query)."""
    committed = committed_by_offer(o.id for o in offers)
    today = date.today()
    return [OfferRow(o, committed[o.id], offer_state(o, committed[o.id], today))
            for o in offers]


def row_for(offer: Offer) -> OfferRow:
    return rows_for([offer])[0]


def list_offers(actor: User, page: int = 1, per_page: int = 20):
    """The offers ``actor`` may see (own organisation; admins all), newest first."""
    return db.paginate(select(Offer).where(scope_filter(Offer, actor))
                       .order_by(Offer.id.desc()), page=page, per_page=per_page,
                       error_out=False)


def _org_for(actor: User) -> Organization:
    if actor.role != Role.provider_staff or actor.organization is None:
        raise OfferError(str(_l("Only staff of an organisation can make offers.")))
    if not can_operate(actor.organization):
        raise OfferError(str(_l("Your organisation is not verified or is suspended, so it "
                                "cannot offer or accept.")))
    return actor.organization


def _codes_known(codes: list[str], vocabulary) -> bool:
    return all(code in vocabulary for code in codes)


def _check(org: Organization, data: OfferData, today: date) -> dict:
    """Validate ``data``; return the column values to store."""
    if data.capacity is None or not Decimal(data.capacity).is_finite() or data.capacity <= 0:
        raise OfferError(str(_l("Enter a quantity greater than zero.")))
    if data.valid_until is not None and data.valid_until < data.valid_from:
        raise OfferError(str(_l("The offer cannot end before it starts.")))
    if data.valid_until is not None and data.valid_until < today:
        raise OfferError(str(_l("The end of validity is in the past.")))
    if data.expiry_date is not None and data.expiry_date < today:
        raise OfferError(str(_l("The expiry date is in the past.")))
    if data.unit_price is not None and data.unit_price < 0:
        raise OfferError(str(_l("The price cannot be negative.")))
    if not _codes_known(data.groups, GROUPS) or not _codes_known(
            data.qualifications, QUALIFICATIONS) or not _codes_known(data.categories, CATEGORIES):
        raise OfferError(str(_l("Unknown code in the restrictions.")))
    regions = list(dict.fromkeys(data.regions))
    if any(db.session.get(Region, code) is None for code in regions):
        raise OfferError(str(_l("Unknown region code.")))
    values = dict(kind=data.kind, capacity=Decimal(data.capacity), valid_from=data.valid_from,
                  valid_until=data.valid_until, regions=regions, groups=list(data.groups),
                  note=data.note.strip(), categories=[], category=None, goods_item_id=None,
                  service_type_id=None, qualifications=[], unit_price=None, funds_source=None,
                  campaign_record_no="", pickup_region_code=None, expiry_date=None,
                  condition=None)
    if data.kind == LineKind.funds:
        _check_funds(org, data, values)
    elif data.kind == LineKind.goods:
        _check_goods(data, values)
    else:
        _check_services(org, data, values)
    return values


def _check_funds(org: Organization, data: OfferData, values: dict) -> None:
    if data.funds_source is None:
        raise OfferError(str(_l("Say where the money comes from.")))
    if data.funds_source == FundsSource.campaign:
        # R8.1: only organisations with a public-fundraising qualification run campaigns.
        if not getattr(org, "public_fundraising", False):
            raise OfferError(str(_l(
                "Your organisation has no public-fundraising qualification, so this pledge "
                "cannot be campaign money. Pledge your own funds, or let a qualified charity "
                "run the campaign.")))
        if not data.campaign_record_no.strip():
            raise OfferError(str(_l("Give the record number of the filed fundraising "
                                    "campaign.")))
    values.update(categories=list(dict.fromkeys(data.categories)),
                  funds_source=data.funds_source,
                  campaign_record_no=data.campaign_record_no.strip()
                  if data.funds_source == FundsSource.campaign else "")


def _check_goods(data: OfferData, values: dict) -> None:
    item = db.session.get(GoodsItem, data.goods_item_id or 0)
    if item is None or not item.active:
        raise OfferError(str(_l("Choose an item from the catalogue.")))
    if data.pickup_region_code is None or db.session.get(Region, data.pickup_region_code) is None:
        raise OfferError(str(_l("Choose the pickup region.")))
    if item.perishable and data.expiry_date is None:
        raise OfferError(str(_l("Perishable goods need an expiry date.")))
    values.update(goods_item_id=item.id, category=item.category,
                  pickup_region_code=data.pickup_region_code, expiry_date=data.expiry_date,
                  condition=data.condition or GoodsCondition.new,
                  regions=values["regions"] or [data.pickup_region_code])


def _check_services(org: Organization, data: OfferData, values: dict) -> None:
    service = db.session.get(ServiceType, data.service_type_id or 0)
    if service is None or not service.active:
        raise OfferError(str(_l("Choose a service type from the catalogue.")))
    if not values["regions"]:
        raise OfferError(str(_l("Choose the regions the service covers.")))
    # An offer cannot claim staff qualifications beyond the verified organisation profile
    # (checked once the organisation has declared any).
    declared = set(getattr(org, "qualifications", None) or [])
    extra = set(data.qualifications) - declared
    if declared and extra:
        raise OfferError(str(_l(
            "Your organisation's verified profile does not list these qualifications: "
            "%(codes)s.", codes=", ".join(str(QUALIFICATIONS[c]) for c in sorted(extra)))))
    values.update(service_type_id=service.id, category=service.category,
                  qualifications=list(dict.fromkeys(data.qualifications)),
                  unit_price=data.unit_price)


def _summary(offer: Offer) -> dict:
    return {"kind": offer.kind.value, "capacity": str(offer.capacity),
            "status": offer.status.value, "valid_until": str(offer.valid_until or "")}


def build_offer(org: Organization, data: OfferData, publish: bool = False) -> Offer:
    """Check ``data`` for ``org`` and return a new, unsaved offer (no audit: see create_offer).

    Raises:
        OfferError: the data break a rule.
    """
    if not can_operate(org):
        raise OfferError(str(_l("Your organisation is not verified or is suspended, so it "
                                "cannot offer or accept.")))
    values = _check(org, data, date.today())
    return Offer(organization_id=org.id,
                 status=OfferStatus.open if publish else OfferStatus.draft, **values)


def create_offer(actor: User, data: OfferData, publish: bool = False) -> Offer:
    """Create an offer of the actor's organisation (a draft, or open when ``publish``)."""
    offer = build_offer(_org_for(actor), data, publish)
    offer.created_by_id = actor.id
    db.session.add(offer)
    db.session.flush()
    record_event(actor, "offer.create", offer, after=_summary(offer))
    return offer


def update_offer(actor: User, offer: Offer, data: OfferData) -> Offer:
    """Change an offer; its capacity may go down only to what is already committed."""
    org = _org_for(actor)
    if offer.organization_id != org.id:
        raise OfferError(str(_l("This offer belongs to another organisation.")))
    if offer.contract_line_id is not None:
        raise OfferError(str(_l("This offer comes from a contract; change the contract.")))
    if offer.status == OfferStatus.withdrawn:
        raise OfferError(str(_l("A withdrawn offer cannot be changed.")))
    if data.kind != offer.kind:
        raise OfferError(str(_l("The kind of an offer cannot be changed.")))
    offer = db.session.scalar(select(Offer).where(Offer.id == offer.id).with_for_update())
    values = _check(org, data, date.today())
    committed = committed_by_offer([offer.id])[offer.id]
    if values["capacity"] < committed:
        raise OfferError(str(_l("%(committed)s %(unit)s are already committed; the quantity "
                                "cannot go below that.", committed=committed, unit=offer.unit)))
    if committed > 0 and (values["goods_item_id"] != offer.goods_item_id
                          or values["service_type_id"] != offer.service_type_id):
        raise OfferError(str(_l("The item or service cannot change once something is "
                                "committed.")))
    before = _summary(offer)
    for name, value in values.items():
        setattr(offer, name, value)
    db.session.flush()
    record_event(actor, "offer.update", offer, before=before, after=_summary(offer))
    return offer


def publish_offer(actor: User, offer: Offer) -> None:
    """Open a draft so it can be pledged and matched."""
    org = _org_for(actor)
    if offer.organization_id != org.id:
        raise OfferError(str(_l("This offer belongs to another organisation.")))
    if offer.status != OfferStatus.draft:
        raise OfferError(str(_l("Only drafts can be opened.")))
    if is_expired(offer, date.today()):
        raise OfferError(str(_l("This offer has expired.")))
    offer.status = OfferStatus.open
    db.session.flush()
    record_event(actor, "offer.open", offer, before={"status": "draft"},
                 after={"status": "open"})


def withdraw_offer(actor: User | None, offer: Offer, note: str = "",
                   system: bool = False) -> None:
    """Withdraw an offer; refused while allocations on it are in progress.

    ``system`` is set when a contract ends: the organisation's standing does not matter then.
    """
    if not system:
        org = _org_for(actor)
        if offer.organization_id != org.id:
            raise OfferError(str(_l("This offer belongs to another organisation.")))
        if offer.contract_line_id is not None:
            raise OfferError(str(_l("This offer comes from a contract; it ends with the "
                                    "contract.")))
    if offer.status == OfferStatus.withdrawn:
        raise OfferError(str(_l("This offer is already withdrawn.")))
    offer = db.session.scalar(select(Offer).where(Offer.id == offer.id).with_for_update())
    waiting = open_allocation_count(offer)
    if waiting and not system:
        raise OfferError(str(_l(
            "This offer cannot be withdrawn: %(n)d allocations on it are still in progress. "
            "Cancel or complete them first.", n=waiting)))
    before = offer.status.value
    offer.status = OfferStatus.withdrawn
    offer.withdrawn_at = utcnow()
    db.session.flush()
    record_event(actor, "offer.withdraw", offer, before={"status": before},
                 after={"status": "withdrawn"}, note=note)


def provider_offer_rows(organization_id: int, limit: int = 10) -> list[OfferRow]:
    """The organisation's open offers with their remaining capacity (dashboard)."""
    offers = list(db.session.scalars(
        select(Offer).where(Offer.organization_id == organization_id,
                            Offer.status == OfferStatus.open)
        .order_by(Offer.id.desc()).limit(limit)))
    return rows_for(offers)


def allocations_of(offer: Offer) -> list:
    """Every allocation of ``offer``, newest first (for the offer page)."""
    return list(db.session.scalars(select(Allocation).where(Allocation.offer_id == offer.id)
                                   .order_by(Allocation.id.desc())))
