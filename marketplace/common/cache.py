"""Per-process caches of small, rarely changed tables, checked against a cheap version.

Every web request would otherwise load the same few rows (the province, prefectures and
counties; the stage time limits). A :class:`VersionedCache` keeps the built value and checks a
version — a query cheap enough to run often, such as the count and the latest ``updated_at`` of
the rows — at most every ``check_every`` seconds, rebuilding when it changed: every server
process sees a change made by another process within that time. ``clear()`` drops the value
at once in the process that made the change. Values derived from the cached one (e.g. filter
options per language) are kept with :meth:`VersionedCache.memo` and dropped together with it.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from sqlalchemy import func, select

from marketplace.extensions import db

T = TypeVar("T")

_instances: weakref.WeakSet[VersionedCache] = weakref.WeakSet()


def clear_all() -> None:
    """Forget every cached value (tests empty the tables between tests)."""
    for cache in list(_instances):
        cache.clear()


def table_version(updated_at, *conditions) -> tuple:
    """A cheap version of a table's rows (those matching ``conditions``): their count and the
    latest ``updated_at``; it changes when a row is added, removed or edited."""
    count, latest = db.session.execute(
        select(func.count(), func.max(updated_at)).where(*conditions)).one()
    return (count, str(latest))


@dataclass
class _Entry(Generic[T]):
    version: Hashable
    value: T
    checked: float
    derived: dict[Any, Any] = field(default_factory=dict)


class VersionedCache(Generic[T]):
    """``build()``'s value, rebuilt when ``version()`` changes (checked every ``check_every`` s).

    Both functions run inside an app context (they query the database). The value is shared by
    the process's threads, so it must not be changed after it is built.
    """

    def __init__(self, version: Callable[[], Hashable], build: Callable[[], T],
                 check_every: float = 1.0):
        self._version = version
        self._build = build
        self.check_every = check_every
        self._entry: _Entry[T] | None = None
        self._lock = threading.Lock()
        _instances.add(self)

    def get(self) -> T:
        """The cached value, its version checked at most every ``check_every`` seconds."""
        return self._current().value

    def memo(self, key: Hashable, derive: Callable[[T], Any]) -> Any:
        """``derive(get())``, computed once per ``key`` until the value changes."""
        entry = self._current()
        try:
            return entry.derived[key]
        except KeyError:
            value = derive(entry.value)
            with self._lock:
                entry.derived[key] = value
            return value

    def clear(self) -> None:
        """Forget the value (called by the code that changed the rows, in its own process)."""
        with self._lock:
            self._entry = None

    def _current(self) -> _Entry[T]:
        entry = self._entry
        if entry is not None and time.monotonic() - entry.checked < self.check_every:
            return entry
        version = self._version()
        entry = self._entry
        if entry is not None and entry.version == version:
            entry.checked = time.monotonic()
            return entry
        entry = _Entry(version, self._build(), time.monotonic())
        with self._lock:
            self._entry = entry
        return entry
