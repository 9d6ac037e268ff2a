"""Time limits per stage and region, working days, and which needs are overdue.

Limits are set per region (county, prefecture or province); the most specific row wins and
``DEFAULT_STAGE_DAYS`` (labelled [I]: our design choice, configurable) applies when no row does.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from marketplace.accounts.models import Role, User
from marketplace.audit.services import record_event
from marketplace.common.access import in_scope
from marketplace.common.cache import VersionedCache, table_version
from marketplace.common.models import utcnow
from marketplace.extensions import db
from marketplace.needs.lines import NeedError, NeedPermissionError
from marketplace.needs.models import Need, StageLimit
from marketplace.regions.models import Region

PROVINCE = "430000"

#: Days a need may wait in each stage before it is highlighted as overdue [I].
#: ``confirmation``: working days for the township to confirm an emergency advance (R3.5, T3).
DEFAULT_STAGE_DAYS: dict[str, int] = {
    "draft": 7,
    "returned": 5,
    "submitted": 5,
    "reviewed": 5,
    "approved": 2,
    "published": 30,
    "confirmation": 10,
}

STAGE_LABELS = {
    "draft": _l("Draft, waiting to be submitted"),
    "returned": _l("Returned, waiting for correction"),
    "submitted": _l("Submitted, waiting for the township review"),
    "reviewed": _l("Reviewed, waiting for the county approval"),
    "approved": _l("Approved, waiting to be published"),
    "published": _l("Published, waiting for providers"),
    "confirmation": _l("Emergency advance, working days to confirm"),
}


def chain(region_code: str) -> list[str]:
    """The county, prefecture and province above ``region_code``, most specific first."""
    county = region_code[:6]
    return list(dict.fromkeys([county, county[:4] + "00", PROVINCE]))


def _version() -> tuple:
    return table_version(StageLimit.updated_at)


def _load() -> dict[tuple[str, str], int]:
    return {(code, stage): days for code, stage, days in db.session.execute(
        select(StageLimit.region_code, StageLimit.stage, StageLimit.days))}


#: Every stage limit (a few hundred rows at most: counties, prefectures and the province times
#: seven stages), cached per process and checked against the table's version once a second.
_cache: VersionedCache[dict[tuple[str, str], int]] = VersionedCache(_version, _load)


class Limits:
    """The stage limits in force (the per-process cache's snapshot: dashboards check many
    needs against the same one)."""

    def __init__(self) -> None:
        self._rows: dict[tuple[str, str], int] = _cache.get()

    def days(self, region_code: str, stage: str) -> int:
        for code in chain(region_code):
            if (code, stage) in self._rows:
                return self._rows[(code, stage)]
        return DEFAULT_STAGE_DAYS[stage]


def stage_days(region_code: str, stage: str) -> int:
    """The limit of one stage in one region."""
    return Limits().days(region_code, stage)


def add_working_days(start: date, days: int) -> date:
    """``start`` plus ``days`` working days (Monday to Friday; public holidays not known)."""
    current = start
    while days > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            days -= 1
    return current


def due_at(need: Need, limits: Limits) -> datetime | None:
    """When ``need`` becomes overdue in its current stage, or None for final stages."""
    stage = str(need.status)
    if stage not in DEFAULT_STAGE_DAYS:
        return None
    return need.status_changed_at + timedelta(days=limits.days(need.region_code, stage))


def is_overdue(need: Need, limits: Limits, now: datetime | None = None) -> bool:
    due = due_at(need, limits)
    return due is not None and due < (now or utcnow())


def overdue(needs: list[Need]) -> list[Need]:
    """The needs among ``needs`` that have waited longer than their stage allows."""
    needs = [n for n in needs if str(n.status) in DEFAULT_STAGE_DAYS]
    if not needs:
        return []  # final stages have no limit: no need to load any
    limits = Limits()
    now = utcnow()
    return [n for n in needs if is_overdue(n, limits, now)]


def limits_for(actor: User, region_code: str) -> dict[str, tuple[int, bool]]:
    """Each stage's limit in ``region_code``: (days, whether set on that region itself)."""
    limits = Limits()
    own = {(stage) for (code, stage) in limits._rows if code == region_code}
    return {stage: (limits.days(region_code, stage), stage in own) for stage in DEFAULT_STAGE_DAYS}


def set_stage_limit(actor: User, region_code: str, stage: str, days: int) -> StageLimit:
    """Set one stage limit for a county, prefecture or the province (oversight, in scope)."""
    if actor.role not in (Role.oversight, Role.admin):
        raise NeedPermissionError(str(_l("Only oversight officers set stage time limits.")))
    region = db.session.get(Region, region_code)
    if region is None or len(region_code) != 6 or not in_scope(actor, region):
        raise NeedError(str(_l("Choose a county, prefecture or the province in your area.")))
    if stage not in DEFAULT_STAGE_DAYS:
        raise NeedError(str(_l("Unknown stage.")))
    if not 1 <= days <= 365:
        raise NeedError(str(_l("A time limit is between 1 and 365 days.")))
    row = db.session.scalar(select(StageLimit).where(
        StageLimit.region_code == region_code, StageLimit.stage == stage))
    before = {"days": row.days} if row else {"days": stage_days(region_code, stage)}
    if row is None:
        row = StageLimit(region_code=region_code, stage=stage, days=days, set_by_id=actor.id)
        db.session.add(row)
    else:
        row.days, row.set_by_id = days, actor.id
    db.session.flush()
    _cache.clear()  # this process sees the change at once, others within a second
    record_event(actor, "stage_limit.set", row, before=before,
                 after={"stage": stage, "days": days})
    return row
