"""The review workflow: every transition, refusals by role and order, compare-and-set races."""

from __future__ import annotations

import os
import threading

import pytest
from sqlalchemy import select, update

from marketplace.audit.services import events_for
from marketplace.extensions import db
from marketplace.households.models import Household
from marketplace.needs import services
from marketplace.needs.lines import NeedError, NeedPermissionError
from marketplace.needs.models import Need, NeedStatus
from tests.marketplace.needs.factories import en, make_need, need_input, user


def _home(homes, key="jishou"):
    return db.session.get(Household, homes[key])


def test_full_path_with_audited_history(app, homes):
    with en(app):
        need = make_need(_home(homes), "published")
        assert need.status == NeedStatus.published and need.published_at is not None
        services.refresh_match_status(user("caseworker_jishou"), need,
                                      covered={need.lines[0].id: need.lines[0].quantity})
        assert need.status == NeedStatus.partially_matched
        services.refresh_match_status(None, need, covered={
            line.id: line.quantity for line in need.lines})
        assert need.status == NeedStatus.matched
        assert all(line.status == "covered" for line in need.lines)
        services.fulfil(user("caseworker_jishou"), need, "delivered")
        services.close(user("reviewer_jishou"), need, "done")
        db.session.commit()
        history = events_for("needs", need.id)
        assert [e.action for e in history] == [
            "need.create", "need.submit", "need.review", "need.approve", "need.publish",
            "need.match_status", "need.match_status", "need.fulfil", "need.close"]
        assert [e.actor_role for e in history[:5]] == [
            "caseworker", "caseworker", "reviewer", "reviewer", "reviewer"]
        assert history[-1].note == "done" and history[-1].after == {"status": "closed"}


def test_return_with_reason_then_resubmit(app, homes):
    with en(app):
        need = make_need(_home(homes), "submitted")
        with pytest.raises(NeedError, match="reason"):
            services.return_need(user("reviewer_qianzhou"), need, "  ")
        services.return_need(user("reviewer_qianzhou"), need, "add the hospital bill")
        assert need.status == NeedStatus.returned
        assert need.return_reason == "add the hospital bill"
        services.update_need(user("caseworker_jishou"), need, need_input(cause="accident"))
        services.submit(user("caseworker_jishou"), need)
        assert need.status == NeedStatus.submitted and need.return_reason == ""
        services.review(user("reviewer_qianzhou"), need)
        services.return_need(user("reviewer_jishou"), need, "amount too high")
        assert need.status == NeedStatus.returned


def test_withdraw_needs_reason_and_ends_the_need(app, homes):
    with en(app):
        need = make_need(_home(homes), "approved")
        with pytest.raises(NeedError):
            services.withdraw(user("caseworker_jishou"), need, "")
        services.withdraw(user("caseworker_jishou"), need, "family moved")
        assert need.status == NeedStatus.withdrawn
        with pytest.raises(NeedError, match="not possible"):
            services.submit(user("caseworker_jishou"), need)


@pytest.mark.parametrize("step, username, status", [
    ("review", "caseworker_jishou", "submitted"),  # caseworkers do not review
    ("review", "reviewer_jishou", "submitted"),  # county reviewer: the township reviews
    ("approve", "reviewer_qianzhou", "reviewed"),  # township reviewer cannot approve
    ("approve", "caseworker_jishou", "reviewed"),
    ("approve", "reviewer_furong", "reviewed"),  # another county's reviewer
    ("submit", "reviewer_jishou", "draft"),
    ("submit", "caseworker_fenghuang", "draft"),  # another county's caseworker
    ("publish", "reviewer_qianzhou", "approved"),
    ("withdraw", "reviewer_jishou", "draft"),
    ("fulfil", "reviewer_jishou", "published"),
])
def test_wrong_role_is_refused_and_nothing_changes(app, homes, step, username, status):
    with en(app):
        need = make_need(_home(homes), status)
        db.session.commit()
        action = {"review": services.review, "approve": services.approve,
                  "submit": services.submit, "publish": services.publish,
                  "withdraw": lambda u, n: services.withdraw(u, n, "x"),
                  "fulfil": services.fulfil}[step]
        with pytest.raises(NeedPermissionError):
            action(user(username), need)
        db.session.rollback()
        assert db.session.get(Need, need.id).status == status


@pytest.mark.parametrize("step, username, status", [
    ("approve", "reviewer_jishou", "submitted"),  # not reviewed yet
    ("review", "reviewer_qianzhou", "draft"),
    ("publish", "caseworker_jishou", "reviewed"),  # normal needs publish after approval
    ("publish", "caseworker_jishou", "draft"),  # only emergencies skip review
    ("fulfil", "caseworker_jishou", "published"),  # nothing matched yet
    ("close", "caseworker_jishou", "published"),
    ("submit", "caseworker_jishou", "submitted"),
])
def test_out_of_order_is_refused(app, homes, step, username, status):
    with en(app):
        need = make_need(_home(homes), status)
        db.session.commit()
        events = len(events_for("needs", need.id))
        action = getattr(services, step)
        with pytest.raises(NeedError) as info:
            action(user(username), need)
        assert not isinstance(info.value, NeedPermissionError)
        assert "not possible" in str(info.value) or "already" in str(info.value)
        db.session.rollback()
        assert db.session.get(Need, need.id).status == status
        assert len(events_for("needs", need.id)) == events


def test_second_approval_is_told_already_approved(app, homes):
    """Compare-and-set: the second reviewer's stale copy does not overwrite the first."""
    with en(app):
        need = make_need(_home(homes), "reviewed")
        db.session.commit()
        need_id = need.id
        # Another reviewer approves in another transaction while this one still sees "reviewed".
        with db.engine.begin() as other:
            other.execute(update(Need).where(Need.id == need_id).values(status="approved"))
        assert need.status == NeedStatus.reviewed  # the stale copy
        with pytest.raises(NeedError, match="already been approved"):
            services.approve(user("reviewer_jishou"), need)
        assert need.status == NeedStatus.approved
        db.session.rollback()
        assert [e.action for e in events_for("needs", need_id)].count("need.approve") == 0


def test_approving_twice_in_one_session_says_already_approved(app, homes):
    with en(app):
        need = make_need(_home(homes), "approved")
        with pytest.raises(NeedError, match="already been approved"):
            services.approve(user("reviewer_jishou"), need)


@pytest.mark.postgres
@pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgresql"),
                    reason="needs two real PostgreSQL sessions")
def test_two_reviewers_approve_at_once_on_postgresql(app, homes):
    with en(app):
        need = make_need(_home(homes), "reviewed")
        db.session.commit()
        need_id = need.id
        db.session.remove()
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def reviewer():
        with en(app):
            session_need = db.session.get(Need, need_id)
            actor = user("reviewer_jishou")
            barrier.wait()
            try:
                services.approve(actor, session_need)
                db.session.commit()
                outcomes.append("approved")
            except NeedError as exc:
                db.session.rollback()
                outcomes.append(str(exc))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=reviewer) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["This need has already been approved.", "approved"]
    with en(app):
        actions = db.session.scalars(select(Need.status).where(Need.id == need_id)).all()
        assert actions == ["approved"]
        assert [e.action for e in events_for("needs", need_id)].count("need.approve") == 1
