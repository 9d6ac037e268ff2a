"""commit_or_flash: a view's action lands whole with its message, or leaves nothing behind."""

from __future__ import annotations

from flask import get_flashed_messages
from sqlalchemy import func, select

from marketplace.catalog.models import GoodsItem
from marketplace.common.actions import commit_or_flash
from marketplace.extensions import db


class Refused(Exception):
    pass


def _add(code: str) -> GoodsItem:
    item = GoodsItem(code=code, name_zh="大米", name_en="Rice", unit="kg", category="living")
    db.session.add(item)
    db.session.flush()
    return item


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(GoodsItem))


def test_success_commits_returns_the_value_and_flashes(app):
    with app.test_request_context("/"):
        done = commit_or_flash(lambda: _add("rice_test"), Refused, done="Saved.")
        assert done and done.ok and done.value.code == "rice_test"
        db.session.remove()  # a new session sees only what was committed
        assert _count() == 1
        assert get_flashed_messages(with_categories=True) == [("success", "Saved.")]


def test_domain_error_rolls_back_everything_and_flashes_the_message(app):
    def half_then_refuse():
        _add("half_saved")
        raise Refused("Not allowed here.")

    with app.test_request_context("/"):
        done = commit_or_flash(half_then_refuse, Refused, done="Saved.")
        assert not done and done.value is None
        assert _count() == 0
        assert get_flashed_messages(with_categories=True) == [("danger", "Not allowed here.")]


def test_on_error_receives_the_error_instead_of_a_flash(app):
    seen: list[str] = []

    def refuse():
        raise Refused("Name taken.")

    with app.test_request_context("/"):
        assert not commit_or_flash(refuse, (ValueError, Refused),
                                   on_error=lambda exc: seen.append(str(exc)))
        assert seen == ["Name taken."]
        assert get_flashed_messages() == []


def test_other_errors_are_not_swallowed(app):
    def crash():
        raise KeyError("bug")

    with app.test_request_context("/"):
        try:
            commit_or_flash(crash, Refused)
        except KeyError:
            pass
        else:
            raise AssertionError("a programming error must propagate")
        db.session.rollback()


def test_a_service_returning_none_still_counts_as_done(app):
    with app.test_request_context("/"):
        done = commit_or_flash(lambda: None, Refused)
        assert done and done.value is None
