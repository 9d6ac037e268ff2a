"""A per-process cache of the province, prefectures and counties (names and levels).

Pages that show many places (the public board: a filter with every prefecture and county, a
county name on every row) read them from here instead of loading ~140 regions per request.
These levels change only when the division file is loaded again (``flask load-regions``, from
another process), so reads check a cheap version — the count and the latest ``updated_at`` of
those rows — at most once a second (``common/cache.VersionedCache``): every server process sees
a change within a second. ``clear()`` drops the cache at once in the process that changed
regions (``load_divisions``, ``add_region``). Values derived from the directory (e.g. the
board's filter options per language) are kept with :func:`memo` and dropped together with it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from marketplace.common.cache import VersionedCache, table_version
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


def _version() -> tuple:
    """Changes whenever a province, prefecture or county is added, removed or edited."""
    return table_version(Region.updated_at, Region.level.in_(UPPER_LEVELS))


def _load() -> dict[str, Place]:
    rows = db.session.execute(
        select(Region.code, Region.level, Region.name_zh, Region.name_en)
        .where(Region.level.in_(UPPER_LEVELS)).order_by(Region.code))
    return {code: Place(code, level, zh, en) for code, level, zh, en in rows}


#: The directory, its version checked at most once a second (``_cache.check_every``).
_cache: VersionedCache[dict[str, Place]] = VersionedCache(_version, _load)


def places() -> dict[str, Place]:
    """Province, prefectures and counties by code, in code order (one small query)."""
    return _cache.get()


def memo(key: Any, build: Callable[[dict[str, Place]], Any]) -> Any:
    """``build(places())``, computed once per ``key`` until the directory changes."""
    return _cache.memo(key, build)


def clear() -> None:
    """Forget the cached directory (called where regions are loaded or added)."""
    _cache.clear()
