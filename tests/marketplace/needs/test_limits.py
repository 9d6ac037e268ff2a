"""Stage time limits per region (province defaults, county overrides) and overdue needs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from marketplace.audit.services import events_for
from marketplace.common.models import utcnow
from marketplace.extensions import db
from marketplace.households.models import Household
from marketplace.needs import limits
from marketplace.needs.lines import NeedError, NeedPermissionError
from marketplace.needs.models import Need
from tests.marketplace.needs.factories import en, make_need, user


def _age(need, days):
    db.session.execute(update(Need).where(Need.id == need.id).values(
        status_changed_at=utcnow() - timedelta(days=days)))
    db.session.refresh(need)


def test_defaults_then_prefecture_then_county(app, homes):
    with en(app):
        assert limits.stage_days("433101001", "submitted") == 5
        limits.set_stage_limit(user("oversight_xx"), "433100", "submitted", 9)
        assert limits.stage_days("433101001", "submitted") == 9
        assert limits.stage_days("433123101", "submitted") == 9
        limits.set_stage_limit(user("oversight_xx"), "433101", "submitted", 2)
        assert limits.stage_days("433101001", "submitted") == 2
        assert limits.stage_days("433123101", "submitted") == 9
        assert limits.stage_days("430102001", "submitted") == 5
        row = limits.set_stage_limit(user("oversight_xx"), "433101", "submitted", 3)
        assert [e.after for e in events_for("stage_limits", row.id)][-1] == {
            "stage": "submitted", "days": 3}


@pytest.mark.parametrize("username, region, stage, days, error", [
    ("caseworker_jishou", "433101", "submitted", 3, NeedPermissionError),
    ("reviewer_jishou", "433101", "submitted", 3, NeedPermissionError),
    ("oversight_xx", "430102", "submitted", 3, NeedError),  # outside 湘西州
    ("oversight_xx", "433101001", "submitted", 3, NeedError),  # townships do not set limits
    ("oversight_xx", "433101", "nap", 3, NeedError),
    ("oversight_xx", "433101", "submitted", 0, NeedError),
    ("oversight_xx", "433101", "submitted", 366, NeedError),
])
def test_limits_are_set_by_oversight_in_their_area(app, homes, username, region, stage, days,
                                                   error):
    with en(app):
        with pytest.raises(error):
            limits.set_stage_limit(user(username), region, stage, days)


def test_overdue_needs_follow_their_regions_limit(app, homes):
    with en(app):
        need = make_need(db.session.get(Household, homes["jishou"]), "submitted")
        assert limits.overdue([need]) == []
        _age(need, 6)
        assert limits.overdue([need]) == [need]
        limits.set_stage_limit(user("oversight_xx"), "433101", "submitted", 10)
        assert limits.overdue([need]) == []
        assert limits.due_at(need, limits.Limits()) > utcnow()


def test_a_limit_changed_by_another_process_is_seen_once_checked(app, homes, monkeypatch):
    """Limits are cached per process; a change made elsewhere (here: straight in the table,
    without this process clearing its cache) shows once the cache checks its version."""
    from marketplace.needs.models import StageLimit
    with en(app):
        limits.set_stage_limit(user("oversight_xx"), "433100", "submitted", 9)
        db.session.commit()
        monkeypatch.setattr(limits._cache, "check_every", 3600)
        assert limits.stage_days("433101001", "submitted") == 9  # warm
        db.session.execute(update(StageLimit).values(days=11, updated_at=utcnow()))
        db.session.commit()
        assert limits.stage_days("433101001", "submitted") == 9  # not checked yet
        monkeypatch.setattr(limits._cache, "check_every", 0)
        assert limits.stage_days("433101001", "submitted") == 11
