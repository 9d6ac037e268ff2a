"""What each role's dashboard shows: the things that need the user's attention."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select

from marketplace.accounts.models import Organization, OrgStatus, Role, User
from marketplace.common.access import scope_filter
from marketplace.common.ui import Section, area_figures, dashboard_sections
from marketplace.extensions import db
from marketplace.regions.models import Region, RegionLevel


@dataclass(frozen=True)
class PendingOrg:
    """An organisation application on an officer's card (plain data: the card is shared)."""

    id: int
    name: str
    type: str
    region_code: str


@dataclass
class Dashboard:
    role: Role
    counts: dict[str, int] = field(default_factory=dict)
    pending_orgs: list[PendingOrg] = field(default_factory=list)
    organization: Organization | None = None
    #: Cards added by other areas through ``marketplace.common.ui.dashboard_section``.
    sections: list[Section] = field(default_factory=list)


def dashboard_for(user: User) -> Dashboard:
    """Gather the dashboard of ``user``'s role, limited to their scope."""
    board = Dashboard(role=user.role)
    if user.role in (Role.oversight, Role.admin):
        board.pending_orgs, pending, verified = area_figures(
            "organizations", user, lambda: _organizations(user))
        board.counts["pending_orgs"] = pending
        board.counts["verified_orgs"] = verified
    if user.role == Role.admin:
        board.counts["users"] = db.session.scalar(select(func.count(User.id)))
        board.counts["counties"] = db.session.scalar(
            select(func.count(Region.code)).where(Region.level == RegionLevel.county))
        board.counts["townships"] = db.session.scalar(
            select(func.count(Region.code)).where(Region.level == RegionLevel.township))
    if user.role == Role.provider_staff:
        board.organization = user.organization
    board.sections = dashboard_sections(user)
    return board


def _organizations(user: User) -> tuple[list[PendingOrg], int, int]:
    """The 10 oldest applications in ``user``'s area, and the pending and verified counts."""
    scope = scope_filter(Organization, user)
    oldest = [PendingOrg(*row) for row in db.session.execute(
        select(Organization.id, Organization.name, Organization.type, Organization.region_code)
        .where(Organization.status == OrgStatus.pending, scope)
        .order_by(Organization.created_at).limit(10))]
    counts = dict(db.session.execute(
        select(Organization.status, func.count(Organization.id))
        .where(Organization.status.in_((OrgStatus.pending, OrgStatus.verified)), scope)
        .group_by(Organization.status)).all())
    return oldest, counts.get(OrgStatus.pending, 0), counts.get(OrgStatus.verified, 0)
