"""A per-process cache of the province, prefectures and counties (names and levels).

Pages that show many places (the public board: a filter with every prefecture and county, a
county name on every row) read them from here instead of loading ~140 regions per request.
These levels change only when the division file is loaded again (``flask load-regions``, from
another process), so reads check a cheap version — the count and the latest ``updated_at`` of
those rows — at most once a second and rebuild when it changed: every server process sees a
change within a second. ``clear()`` drops the cache at once in the process that changed
regions (``load_divisions``, ``add_region``).
Values derived from the directory (e.g. the board's filter options per language) are kept with
:func:`memo` and dropped together with it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.regions.models import Region, RegionLevel

UPPER_LEVELS = (RegionLevel.province, RegionLevel.prefecture, RegionLevel.county)


@dataclass(frozen=True)
class Place:
    """A province, prefecture or county, detached from the session (safe to share)."""

    code: str
    level: RegionLevel
    name_zh: str
    name_en: str

    def display_name(self, locale: str) -> str:
        return self.name_zh if locale.startswith("zh") else self.name_en


@dataclass
class _Entry:
    version: tuple
    places: dict[str, Place]
    derived: dict[Any, Any]
    checked: float


_lock = threading.Lock()
_entry: _Entry | None = None


def _version() -> tuple:
    """Changes whenever a province, prefecture or county is added, removed or edited."""
    count, latest = db.session.execute(
        select(func.count(), func.max(Region.updated_at))
        .where(Region.level.in_(UPPER_LEVELS))).one()
    return (count, str(latest))


#: Seconds during which a checked directory is used without checking its version again.
CHECK_EVERY = 1.0


def _current() -> _Entry:
    """The directory, its version checked at most every ``CHECK_EVERY`` seconds (a change
    made in this process clears it at once)."""
    entry = _entry
    if entry is not None and time.monotonic() - entry.checked < CHECK_EVERY:
        return entry
    return _checked()


def _checked() -> _Entry:
    global _entry
    version = _version()
    entry = _entry
    if entry is not None and entry.version == version:
        entry.checked = time.monotonic()
        return entry
    rows = db.session.execute(
        select(Region.code, Region.level, Region.name_zh, Region.name_en)
        .where(Region.level.in_(UPPER_LEVELS)).order_by(Region.code))
    entry = _Entry(version, {code: Place(code, level, zh, en)
                             for code, level, zh, en in rows}, {}, time.monotonic())
    with _lock:
        _entry = entry
    return entry


def places() -> dict[str, Place]:
    """Province, prefectures and counties by code, in code order (one small query)."""
    return _current().places


def memo(key: Any, build: Callable[[dict[str, Place]], Any]) -> Any:
    """``build(places())``, computed once per ``key`` until the directory changes."""
    entry = _current()
    try:
        return entry.derived[key]
    except KeyError:
        value = build(entry.places)
        with _lock:
            entry.derived[key] = value
        return value


def clear() -> None:
    """Forget the cached directory (called where regions are loaded or added)."""
    global _entry
    with _lock:
        _entry = None
