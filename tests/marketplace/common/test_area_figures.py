"""AreaFigures: an area's figures kept for ``ttl`` seconds per key, dropped when this process
commits a change (a flush or an ORM write statement), kept across read-only commits."""

from __future__ import annotations

from sqlalchemy import func, select, update

from marketplace.common import cache
from marketplace.common.cache import AreaFigures


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def counter():
    calls = []

    def build():
        calls.append(1)
        return len(calls)
    return build, calls


def test_built_once_per_key_within_ttl_and_again_after(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(cache.time, "monotonic", clock)
    figures = AreaFigures(ttl=10)
    build, calls = counter()
    assert figures.get("a", build)[0] == 1
    clock.now += 9.9
    assert figures.get("a", build)[0] == 1
    assert figures.get("b", build)[0] == 2  # another area is built on its own
    clock.now += 0.2
    assert figures.get("a", build)[0] == 3
    assert len(calls) == 3


def test_full_cache_starts_over_instead_of_growing():
    figures = AreaFigures(ttl=60, max_entries=2)
    build, _ = counter()
    for key in "abc":
        figures.get(key, build)
    assert len(figures._entries) == 1  # a, b dropped when c arrived


def test_committed_change_drops_figures_read_only_commit_keeps_them(app, demo):
    from marketplace.accounts.models import User
    from marketplace.extensions import db

    figures = AreaFigures(ttl=3600)
    build, calls = counter()
    with app.app_context():
        figures.get("k", build)
        db.session.scalar(select(func.count(User.id)))
        db.session.commit()  # nothing written
        figures.get("k", build)
        assert len(calls) == 1

        user = db.session.scalar(select(User).where(User.username == "admin"))
        user.display_name = "管理员甲"
        db.session.flush()
        db.session.rollback()  # a refused action: nothing changed, figures kept
        figures.get("k", build)
        assert len(calls) == 1

        user = db.session.scalar(select(User).where(User.username == "admin"))
        user.display_name = "管理员乙"
        db.session.commit()
        figures.get("k", build)
        assert len(calls) == 2

        db.session.execute(update(User).where(User.username == "admin")
                           .values(display_name="管理员丙"))
        db.session.commit()  # a bulk UPDATE does not flush; it counts as a change too
        figures.get("k", build)
        assert len(calls) == 3


def test_slow_figures_outlive_a_commit_but_not_their_ttl(app, demo, monkeypatch):
    """Figures that change slowly and cost much (clear_on_write=False) are kept across this
    process's commits, for their whole ttl; the fast ones are dropped."""
    from marketplace.accounts.models import User
    from marketplace.extensions import db

    clock = Clock()
    monkeypatch.setattr(cache.time, "monotonic", clock)
    slow, fast = AreaFigures(ttl=300, clear_on_write=False), AreaFigures(ttl=300)
    build_slow, slow_calls = counter()
    build_fast, fast_calls = counter()
    with app.app_context():
        slow.get("k", build_slow)
        fast.get("k", build_fast)
        db.session.scalar(select(User).where(User.username == "admin")).display_name = "管理员丁"
        db.session.commit()
        slow.get("k", build_slow)
        fast.get("k", build_fast)
        assert (len(slow_calls), len(fast_calls)) == (1, 2)
        clock.now += 300.1
        slow.get("k", build_slow)
        assert len(slow_calls) == 2
