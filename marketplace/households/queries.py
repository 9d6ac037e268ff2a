"""Reading the registry: scoped lists, search, and the caseworker's dashboard card.

Every query is limited with ``scope_filter`` so a list never shows what the household page
would refuse, and members are loaded in one extra query per page (no N+1).
"""

from __future__ import annotations

from typing import Any

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from marketplace.accounts.models import Role, User
from marketplace.common.access import scope_filter
from marketplace.common.crypto import keyed_hash
from marketplace.common.ui import Section, dashboard_section
from marketplace.extensions import db
from marketplace.households.idnumbers import normalise_id_number
from marketplace.households.models import Household, HouseholdStatus, Person, Relation

PER_PAGE = 25
#: Roles that may see households at all (always masked except for an audited read).
VIEWER_ROLES = (Role.caseworker, Role.reviewer, Role.oversight)


def _looks_like_id_number(text: str) -> bool:
    number = normalise_id_number(text)
    return len(number) == 18 and number[:17].isdigit()


def search_households(user: User, q: str = "", page: int = 1,
                      per_page: int = PER_PAGE) -> Pagination:
    """Households in ``user``'s scope, newest first.

    ``q`` is either a full ID number (matched through its keyed hash, against every member) or
    part of the household head's name.
    """
    query = select(Household).where(scope_filter(Household, user))
    q = (q or "").strip()
    if q and _looks_like_id_number(q):
        members = select(Person.household_id).where(
            Person.id_hash == keyed_hash(normalise_id_number(q)))
        query = query.where(Household.id.in_(members))
    elif q:
        # Correlated: the scoped households drive the search, so a county's caseworker scans
        # the heads of that county only, not every person of the province.
        query = query.where(select(Person.id).where(
            Person.household_id == Household.id, Person.relation == Relation.head,
            Person.name.contains(q, autoescape=True)).exists())
    query = query.options(selectinload(Household.members), selectinload(Household.region))
    return db.paginate(query.order_by(Household.id.desc()), page=page, per_page=per_page,
                       error_out=False)


def household_counts(user: User) -> dict[str, int]:
    """Active households in scope, those the user registered, and their members."""
    scoped = scope_filter(Household, user)
    active = Household.status == HouseholdStatus.active
    total = db.session.scalar(select(func.count(Household.id)).where(scoped, active)) or 0
    mine = db.session.scalar(select(func.count(Household.id)).where(
        scoped, active, Household.created_by_id == user.id)) or 0
    people = db.session.scalar(
        select(func.count(Person.id)).join(Household).where(scoped, active)) or 0
    return {"total": total, "mine": mine, "people": people}


def recent_households(user: User, limit: int = 5) -> list[Household]:
    """The households of ``user``'s scope changed most recently."""
    return list(db.session.scalars(
        select(Household).where(scope_filter(Household, user))
        .options(selectinload(Household.members))
        .order_by(Household.updated_at.desc(), Household.id.desc()).limit(limit)))


@dashboard_section
def my_households_card(user: Any):
    """Caseworker dashboard: "my households" with counts and the latest changes."""
    if not getattr(user, "is_authenticated", False) or user.role != Role.caseworker:
        return None
    return Section(template="households/_dashboard.html", order=20,
                   data={"counts": household_counts(user), "recent": recent_households(user)})
