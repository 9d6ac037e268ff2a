"""What each role's dashboard shows: the things that need the user's attention."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select

from marketplace.accounts.models import Organization, OrgStatus, Role, User
from marketplace.common.access import scope_filter
from marketplace.common.ui import Section, dashboard_sections
from marketplace.extensions import db
from marketplace.regions.models import Region, RegionLevel


@dataclass
class Dashboard:
    role: Role
    counts: dict[str, int] = field(default_factory=dict)
    pending_orgs: list[Organization] = field(default_factory=list)
    organization: Organization | None = None
    #: Cards added by other areas through ``marketplace.common.ui.dashboard_section``.
    sections: list[Section] = field(default_factory=list)


def dashboard_for(user: User) -> Dashboard:
    """Gather the dashboard of ``user``'s role, limited to their scope."""
    board = Dashboard(role=user.role)
    if user.role in (Role.oversight, Role.admin):
        board.pending_orgs = list(db.session.scalars(
            select(Organization)
            .where(Organization.status == OrgStatus.pending, scope_filter(Organization, user))
            .order_by(Organization.created_at).limit(10)))
        board.counts["pending_orgs"] = db.session.scalar(
            select(func.count(Organization.id))
            .where(Organization.status == OrgStatus.pending, scope_filter(Organization, user)))
        board.counts["verified_orgs"] = db.session.scalar(
            select(func.count(Organization.id))
            .where(Organization.status == OrgStatus.verified, scope_filter(Organization, user)))
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
