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

from sqlalchemy import event, func, select

from marketplace.extensions import db

T = TypeVar("T")

_instances: weakref.WeakSet[VersionedCache] = weakref.WeakSet()


def clear_all() -> None:
    """Forget every cached value (tests empty the tables between tests)."""
    for cache in list(_instances):
        cache.clear()
    clear_area_figures()


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


class AreaFigures:
    """Figures about a whole area (counts, oldest items, budget use) kept for ``ttl`` seconds.

    An oversight officer's dashboard summarises a county, a prefecture or the whole province;
    building it reads thousands of rows, and the figures are the same for every officer of the
    area. They are kept per key (the card and the area) in the process for ``ttl`` seconds and
    dropped at once when this process commits a change (:func:`listen_for_writes`), so an
    officer who acts sees the result on the next page; another server process shows it within
    ``ttl`` seconds. Values must be plain data (no ORM objects: they outlive the session) and
    must not be changed after they are built.
    """

    def __init__(self, ttl: float = 10.0, max_entries: int = 512, clear_on_write: bool = True):
        self.ttl = ttl
        self.max_entries = max_entries
        #: False for figures that change slowly and cost much (kept for their whole ``ttl``).
        self.clear_on_write = clear_on_write
        self._entries: dict[Hashable, tuple[float, float, Any]] = {}
        self._lock = threading.Lock()
        _area_figures.add(self)

    def get(self, key: Hashable, build: Callable[[], T]) -> tuple[T, float]:
        """``build()``'s value for ``key`` and the wall-clock time it was built at."""
        now = time.monotonic()
        entry = self._entries.get(key)
        if entry is not None and now - entry[0] < self.ttl:
            return entry[2], entry[1]
        value, built_at = build(), time.time()
        with self._lock:
            if len(self._entries) >= self.max_entries:
                self._entries.clear()
            self._entries[key] = (now, built_at, value)
        return value, built_at

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


_area_figures: weakref.WeakSet[AreaFigures] = weakref.WeakSet()
_WROTE = "nuanxin.wrote"


def clear_area_figures(written: bool = False) -> None:
    """Drop the :class:`AreaFigures` values of this process (after a write, only those kept
    until the next write)."""
    for figures in list(_area_figures):
        if not written or figures.clear_on_write:
            figures.clear()


def listen_for_writes(session_class: type) -> None:
    """Drop the area figures when a session of ``session_class`` commits a change: a flush, or
    an ORM INSERT/UPDATE/DELETE statement (bulk updates do not flush)."""
    if event.contains(session_class, "after_commit", _after_commit):
        return
    event.listen(session_class, "after_flush", _mark_flush)
    event.listen(session_class, "do_orm_execute", _mark_statement)
    event.listen(session_class, "after_commit", _after_commit)
    event.listen(session_class, "after_rollback", _forget)


def _mark_flush(session, flush_context) -> None:
    session.info[_WROTE] = True


def _mark_statement(state) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info[_WROTE] = True


def _after_commit(session) -> None:
    if session.info.pop(_WROTE, False):
        clear_area_figures(written=True)


def _forget(session) -> None:
    session.info.pop(_WROTE, None)
