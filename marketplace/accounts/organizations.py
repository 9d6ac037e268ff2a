"""Organisation profiles after the application: edits, re-verification, suspension, directory.

Who changes what (the choice this module implements):

* The organisation's own staff edit the description, contacts and service area directly
  (audited, ``organization.update_profile``).
* The facts an oversight officer vouched for — unified social credit code, public-fundraising
  qualification and staff qualifications — are only *proposed* by the staff
  (``organization.propose_changes``). The old values stay in force until an oversight officer
  of the organisation's region approves (``organization.approve_changes``) or declines with a
  reason (``organization.decline_changes``). An organisation keeps operating meanwhile.
* An oversight officer of its region suspends a verified organisation and reinstates it, each
  with a reason (``organization.suspend`` / ``organization.reinstate``). Suspension ends its
  staff's sessions; a suspended organisation cannot sign in, offer or accept
  (``Organization.can_operate``).

Services flush, never commit: the view commits once per request.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, or_, select

from marketplace.accounts.models import (
    Organization,
    OrgStatus,
    OrgType,
    Role,
    User,
    organization_service_areas,
)
from marketplace.accounts.profile_rules import ProfileFacts, apply_facts, check_facts
from marketplace.accounts.services import AccountError, known_regions, local_today
from marketplace.audit.services import record_event
from marketplace.common.access import scope_filter
from marketplace.common.crypto import mask_phone
from marketplace.common.models import utcnow
from marketplace.extensions import db
from marketplace.regions.models import Region, scope_prefix


@dataclass(frozen=True)
class ProfileEdit:
    """What the organisation's staff send from the profile form."""

    description: str
    contact_name: str
    #: Empty keeps the stored number (the form never shows it in full).
    contact_phone: str
    service_area_codes: tuple[str, ...]
    facts: ProfileFacts


def _direct_summary(org: Organization) -> dict:
    return {
        "description": org.description,
        "contact_name": org.contact_name,
        "contact_phone": mask_phone(org.contact_phone),
        "service_areas": sorted(r.code for r in org.service_areas),
    }


def update_profile(actor: User, org: Organization, data: ProfileEdit) -> bool:
    """Save the staff's edit of their own organisation; return True when facts await review.

    Raises:
        AccountError: the actor is not staff of ``org``, unknown region codes.
        ProfileError: the proposed facts break a profile rule (nothing is saved).
    """
    if actor.role != Role.provider_staff or actor.organization_id != org.id:
        raise AccountError(str(_l("Only the organisation's own staff edit its profile.")))
    if not data.service_area_codes:
        raise AccountError(str(_l("Choose at least one region of the service area.")))
    areas = known_regions(data.service_area_codes)
    facts = check_facts(data.facts, org.type, local_today(), exclude_org_id=org.id)

    before = _direct_summary(org)
    org.description = data.description.strip()
    org.contact_name = data.contact_name.strip()
    if data.contact_phone.strip():
        org.contact_phone = data.contact_phone.strip()
    org.service_areas = areas
    after = _direct_summary(org)
    if after != before:
        changed = [key for key in after if after[key] != before[key]]
        record_event(actor, "organization.update_profile", org,
                     before={k: before[k] for k in changed}, after={k: after[k] for k in changed})

    current = ProfileFacts.of(org)
    if org.status == OrgStatus.pending:
        # Not verified yet: the officer checks these together with the application.
        if facts != current:
            apply_facts(org, facts)
            record_event(actor, "organization.update_facts", org, before=current.as_dict(),
                         after=facts.as_dict())
        db.session.flush()
        return False
    if facts == current:
        if org.pending_changes is not None:
            record_event(actor, "organization.withdraw_changes", org,
                         before=org.pending_changes)
        org.pending_changes = None
        org.pending_changes_at = None
        db.session.flush()
        return False
    if org.pending_changes != facts.as_dict():
        org.pending_changes = facts.as_dict()
        org.pending_changes_at = utcnow()
        record_event(actor, "organization.propose_changes", org, before=current.as_dict(),
                     after=facts.as_dict())
    db.session.flush()
    return True


def review_changes(actor: User, org: Organization, approve: bool, reason: str) -> None:
    """An oversight officer puts the proposed facts into force, or declines them with a reason.

    Raises:
        AccountError: nothing is waiting, or a decline without a reason.
        ProfileError: the proposal no longer passes the rules (e.g. the credit code has been
            registered by another organisation since).
    """
    if org.pending_changes is None:
        raise AccountError(str(_l("There are no profile changes waiting for review.")))
    if not approve and not reason.strip():
        raise AccountError(str(_l("Give a reason for declining the changes.")))
    proposed = ProfileFacts.from_dict(org.pending_changes)
    current = ProfileFacts.of(org)
    if approve:
        proposed = check_facts(proposed, org.type, local_today(), exclude_org_id=org.id)
        apply_facts(org, proposed)
    org.pending_changes = None
    org.pending_changes_at = None
    record_event(actor, "organization.approve_changes" if approve
                 else "organization.decline_changes", org, note=reason.strip(),
                 before=current.as_dict(), after=proposed.as_dict())
    db.session.flush()


def suspend_organization(actor: User, org: Organization, reason: str) -> None:
    """Suspend a verified organisation: its staff are signed out and it may not operate.

    Raises:
        AccountError: not verified (pending, rejected or already suspended), or no reason.
    """
    if org.status != OrgStatus.verified:
        raise AccountError(str(_l("Only a verified organisation can be suspended.")))
    if not reason.strip():
        raise AccountError(str(_l("Give a reason for the suspension.")))
    org.status = OrgStatus.suspended
    org.suspended_at = utcnow()
    org.suspension_reason = reason.strip()
    for user in org.staff:  # end open sessions: signing in again is refused while suspended
        user.session_token = secrets.token_hex(16)
    record_event(actor, "organization.suspend", org, note=org.suspension_reason,
                 before={"status": "verified"}, after={"status": "suspended"})
    db.session.flush()


def reinstate_organization(actor: User, org: Organization, reason: str) -> None:
    """Lift a suspension; the organisation is verified again.

    Raises:
        AccountError: not suspended, or no reason.
    """
    if org.status != OrgStatus.suspended:
        raise AccountError(str(_l("This organisation is not suspended.")))
    if not reason.strip():
        raise AccountError(str(_l("Give a reason for the reinstatement.")))
    org.status = OrgStatus.verified
    org.suspended_at = None
    org.suspension_reason = ""
    record_event(actor, "organization.reinstate", org, note=reason.strip(),
                 before={"status": "suspended"}, after={"status": "verified"})
    db.session.flush()


def organizations_for_oversight(actor: User, page: int, status: OrgStatus | None = None,
                                changes_only: bool = False):
    """Organisations registered in the actor's region, by name (paginated)."""
    query = select(Organization).where(scope_filter(Organization, actor))
    if status is not None:
        query = query.where(Organization.status == status)
    if changes_only:
        query = query.where(Organization.pending_changes.is_not(None))
    query = query.order_by(Organization.name, Organization.id)
    return db.paginate(query, page=page, per_page=current_app.config["PAGE_SIZE"],
                       error_out=False)


def count_waiting_changes(actor: User) -> int:
    """How many organisations in the actor's region have profile changes waiting."""
    return db.session.scalar(
        select(func.count(Organization.id)).where(Organization.pending_changes.is_not(None),
                                                  scope_filter(Organization, actor)))


def serves_region(region_code: str):
    """A WHERE clause: the organisation serves some place in ``region_code``'s subtree.

    True when one of its service-area regions lies inside that region (one serving 吉首市
    serves somewhere in 湘西州) or contains it (one serving all of Hunan serves 吉首市).
    """
    area = organization_service_areas.c.region_code
    return exists().where(
        organization_service_areas.c.organization_id == Organization.id,
        or_(area.startswith(scope_prefix(region_code), autoescape=True),
            area.in_(_ancestors(region_code))),
    )


def _ancestors(region_code: str) -> list[str]:
    """``region_code`` and the codes of every region above it."""
    codes = [region_code]
    region = db.session.get(Region, region_code)
    while region is not None and region.parent_code:
        codes.append(region.parent_code)
        region = db.session.get(Region, region.parent_code)
    return codes


def directory(page: int, org_type: OrgType | None = None, region_code: str | None = None):
    """The public directory: organisations that may operate, by name (paginated)."""
    query = select(Organization).where(Organization.status == OrgStatus.verified)
    if org_type is not None:
        query = query.where(Organization.type == org_type)
    if region_code:
        query = query.where(serves_region(region_code))
    query = query.order_by(Organization.name, Organization.id)
    return db.paginate(query, page=page, per_page=current_app.config["PAGE_SIZE"],
                       error_out=False)
