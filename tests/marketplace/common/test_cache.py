"""VersionedCache: built once, rebuilt only when its version changes, checked at most every
``check_every`` seconds; clear() and clear_all() drop it at once."""

from __future__ import annotations

from marketplace.common.cache import VersionedCache, clear_all


class Table:
    """A stand-in for a database table: a version and the rows, with call counts."""

    def __init__(self):
        self.version, self.rows = 1, {"a": 1}
        self.version_reads = self.builds = 0

    def read_version(self):
        self.version_reads += 1
        return self.version

    def build(self):
        self.builds += 1
        return dict(self.rows)


def test_built_once_and_not_checked_again_within_the_interval():
    table = Table()
    cache = VersionedCache(table.read_version, table.build, check_every=3600)
    assert cache.get() == {"a": 1}
    assert cache.get() == {"a": 1}
    assert (table.version_reads, table.builds) == (1, 1)


def test_rebuilt_when_the_version_changes_and_only_then():
    table = Table()
    cache = VersionedCache(table.read_version, table.build, check_every=0)
    cache.get()
    cache.get()
    assert table.builds == 1  # checked twice, unchanged
    table.rows, table.version = {"a": 2}, 2  # another process changed the table
    assert cache.get() == {"a": 2}
    assert table.builds == 2


def test_a_change_is_seen_after_the_interval_not_before(monkeypatch):
    table = Table()
    cache = VersionedCache(table.read_version, table.build, check_every=3600)
    cache.get()
    table.rows, table.version = {"a": 3}, 2
    assert cache.get() == {"a": 1}  # within the interval the cached value stands
    monkeypatch.setattr(cache, "check_every", 0)  # the interval has passed
    assert cache.get() == {"a": 3}


def test_memo_is_dropped_with_the_value():
    table = Table()
    cache = VersionedCache(table.read_version, table.build, check_every=0)
    derived = []
    assert cache.memo("double", lambda rows: derived.append(1) or rows["a"] * 2) == 2
    assert cache.memo("double", lambda rows: derived.append(1) or rows["a"] * 2) == 2
    assert len(derived) == 1
    table.rows, table.version = {"a": 5}, 2
    assert cache.memo("double", lambda rows: rows["a"] * 2) == 10


def test_clear_and_clear_all_rebuild_at_once():
    table = Table()
    cache = VersionedCache(table.read_version, table.build, check_every=3600)
    cache.get()
    table.rows = {"a": 7}  # changed in this process, which clears
    cache.clear()
    assert cache.get() == {"a": 7}
    table.rows = {"a": 8}
    clear_all()
    assert cache.get() == {"a": 8}
