"""The bell, the notifications page and marking read: each user sees and touches only their own."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from marketplace.accounts.models import Organization, User
from marketplace.catalog.vocab import LineKind
from marketplace.extensions import db
from marketplace.notifications import messages, services
from marketplace.notifications.models import Notification, NotificationKind
from marketplace.runs.models import MatchingRun
from tests.marketplace.allocations.factories import goods_id
from tests.marketplace.querycount import counted

EN = {"Accept-Language": "en"}
K = NotificationKind


def _notify(app, username: str, kind: NotificationKind = K.allocation_waiting,
            params: dict | None = None, times: int = 1) -> list[int]:
    with app.app_context():
        uid = db.session.scalar(select(User.id).where(User.username == username))
        obj = db.session.scalar(select(Organization).where(Organization.name.startswith("湘西州")))
        ids = [services.notify([uid], kind, obj, params)[0].id for _ in range(times)]
        db.session.commit()
        return ids


def _unread(app, username: str) -> int:
    with app.app_context():
        return db.session.scalar(select(User.unread_notifications)
                                 .where(User.username == username))


def _read_at(app, note_id: int):
    with app.app_context():
        return db.session.get(Notification, note_id).read_at


def test_the_bell_shows_the_unread_count_and_links_to_the_page(app, login):
    c = login("provider_staff")
    html = c.get("/dashboard", headers=EN).get_data(as_text=True)
    assert 'data-testid="bell"' in html and 'href="/notifications"' in html
    assert 'data-testid="unread-count"' not in html
    _notify(app, "provider_staff", times=3)
    html = c.get("/dashboard", headers=EN).get_data(as_text=True)
    assert re.search(r'data-testid="unread-count">3<', html)


def test_the_bell_reads_no_notifications_table(app, login):
    """The count comes with the signed-in user's row: no query on notifications per page."""
    c = login("caseworker_jishou")
    _notify(app, "caseworker_jishou", times=2)
    c.get("/password")
    with counted(app) as statements:
        html = c.get("/password", headers=EN).get_data(as_text=True)
    assert re.search(r'data-testid="unread-count">2<', html)
    assert not [s for s in statements if re.search(r"\bFROM notifications\b", s)], statements


def test_messages_in_words_per_kind_newest_first(app, login):
    c = login("caseworker_jishou")
    _notify(app, "caseworker_jishou", K.allocation_waiting,
            {"quantity": "3", "unit": "kg", "respond_by": "2026-12-01T08:00:00+00:00"})
    _notify(app, "caseworker_jishou", K.acceptance_overdue, {"quantity": "2", "unit": "piece"})
    _notify(app, "caseworker_jishou", K.delivery_to_confirm, {"quantity": "5", "name": "大米"})
    _notify(app, "caseworker_jishou", K.run_finished,
            {"status": "failed", "error": "the worker stopped"})
    _notify(app, "caseworker_jishou", K.run_finished, {"status": "done"})
    with app.app_context():  # the object the helper notifies about stands in for the run
        run_id = db.session.scalar(select(Organization.id)
                                   .where(Organization.name.startswith("湘西州")))
    html = c.get("/notifications", headers=EN).get_data(as_text=True)
    texts = [
        f"Matching run {run_id} has finished; its result is ready for review.",
        f"Matching run {run_id} failed: the worker stopped",
        "大米: A delivery of 5 is waiting for your confirmation.",
        "The allocation of 2 piece was not accepted in time; its need line is back in the pool.",
        "An allocation of 3 kg is waiting for your acceptance. Please accept or decline by",
    ]
    positions = [html.find(t) for t in texts]
    assert -1 not in positions, [t for t, p in zip(texts, positions, strict=True) if p < 0]
    assert positions == sorted(positions)  # newest first


def test_the_page_is_paginated(app, login):
    c = login("caseworker_jishou")
    ids = _notify(app, "caseworker_jishou", times=23)
    first = c.get("/notifications").get_data(as_text=True)
    second = c.get("/notifications?page=2").get_data(as_text=True)
    shown = lambda html: {int(i) for i in re.findall(r'data-testid="notification-(\d+)"', html)}  # noqa: E731
    assert shown(first) == set(ids[-20:]) and shown(second) == set(ids[:3])


@pytest.mark.parametrize("username", ["admin", "oversight_xx", "reviewer_jishou",
                                      "caseworker_jishou", "provider_staff"])
def test_each_role_sees_only_its_own(app, login, username):
    mine = _notify(app, username)[0]
    theirs = _notify(app, "donor_staff", K.delivery_to_confirm, {"quantity": "4321"})[0]
    html = login(username).get("/notifications", headers=EN).get_data(as_text=True)
    assert f'data-testid="notification-{mine}"' in html
    assert f'data-testid="notification-{theirs}"' not in html and "A delivery of 4321" not in html


def test_mark_one_read(app, login):
    c = login("caseworker_jishou")
    first, second = _notify(app, "caseworker_jishou", times=2)
    response = c.post(f"/notifications/{first}/read")
    assert response.status_code == 302
    assert _read_at(app, first) is not None and _read_at(app, second) is None
    assert _unread(app, "caseworker_jishou") == 1
    c.post(f"/notifications/{first}/read")  # again: still counted once
    assert _unread(app, "caseworker_jishou") == 1


@pytest.mark.parametrize("action", ["read", "open"])
def test_another_users_notification_is_not_found(app, login, action):
    theirs = _notify(app, "caseworker_fenghuang")[0]
    c = login("caseworker_jishou")
    assert c.post(f"/notifications/{theirs}/{action}").status_code == 404
    assert c.post(f"/notifications/{theirs + 1000}/{action}").status_code == 404
    assert _read_at(app, theirs) is None and _unread(app, "caseworker_fenghuang") == 1


def test_marking_needs_the_csrf_token(app, login):
    note = _notify(app, "caseworker_jishou")[0]
    c = login("caseworker_jishou")
    assert c.raw.post(f"/notifications/{note}/read").status_code == 400
    assert c.raw.post("/notifications/read").status_code == 400
    assert _read_at(app, note) is None


def test_mark_all_read_touches_only_the_users_own(app, login):
    _notify(app, "caseworker_jishou", times=3)
    other = _notify(app, "caseworker_fenghuang")[0]
    c = login("caseworker_jishou")
    response = c.post("/notifications/read", headers=EN, follow_redirects=True)
    assert "3 notifications marked as read." in response.get_data(as_text=True)
    assert _unread(app, "caseworker_jishou") == 0
    assert _read_at(app, other) is None and _unread(app, "caseworker_fenghuang") == 1


def test_open_marks_read_and_goes_to_the_object(app, login, monkeypatch):
    c = login("provider_staff")
    with app.app_context():
        org_id = db.session.scalar(select(Organization.id)
                                   .where(Organization.name.startswith("湘西州")))
    # No page for it: back to the list, marked read.
    monkeypatch.setitem(messages.LINKS, K.allocation_waiting, [("no.such_endpoint", None)])
    note = _notify(app, "provider_staff")[0]
    response = c.post(f"/notifications/{note}/open")
    assert response.headers["Location"].endswith("/notifications")
    assert _read_at(app, note) is not None
    # The first endpoint the app has wins.
    monkeypatch.setitem(messages.LINKS, K.allocation_waiting,
                        [("no.such_endpoint", None), ("accounts.view_organization", "org_id")])
    note = _notify(app, "provider_staff")[0]
    response = c.post(f"/notifications/{note}/open")
    assert response.headers["Location"].endswith(f"/organizations/{org_id}")


def test_links_lead_where_the_recipient_acts(app, login):
    """Provider → the allocations inbox; caseworker → the delivery's confirmation; officer of
    an overdue allocation → the need, whose line is back in the pool; officer → the run."""
    from marketplace.allocations.models import Delivery
    from tests.marketplace.allocations.factories import goods_data, make_line, offer, proposed

    with app.app_context():
        line = make_line(LineKind.goods, category="food", quantity="4",
                         goods_item_id=goods_id("rice"))
        allocation = proposed(offer("provider_staff", goods_data()), line, quantity="4")
        delivery = Delivery(allocation_id=allocation.id, delivered_on=date.today(),
                            quantity=Decimal("4"), organization_id=allocation.organization_id,
                            region_code=allocation.region_code)
        db.session.add(delivery)
        db.session.flush()
        run = MatchingRun(region_code="433101")
        db.session.add(run)
        db.session.flush()
        ids = {name: db.session.scalar(select(User.id).where(User.username == name))
               for name in ("provider_staff", "caseworker_jishou", "reviewer_jishou",
                            "oversight_xx")}
        waiting = services.notify([ids["provider_staff"]], K.allocation_waiting, allocation)
        confirm = services.notify([ids["caseworker_jishou"]], K.delivery_to_confirm, delivery)
        overdue = services.notify([ids["reviewer_jishou"]], K.acceptance_overdue, allocation)
        finished = services.notify([ids["oversight_xx"]], K.run_finished, run)
        expected = {waiting[0].id: "/allocations",
                    confirm[0].id: f"/deliveries/{delivery.id}/confirm",
                    overdue[0].id: f"/needs/{line.need_id}",
                    finished[0].id: f"/runs/{run.id}"}
        db.session.commit()
    for username, (note_id, url) in zip(ids, expected.items(), strict=True):
        c = login(username)
        html = c.get("/notifications").get_data(as_text=True)
        assert f'action="/notifications/{note_id}/open"' in html
        response = c.post(f"/notifications/{note_id}/open")
        assert response.headers["Location"].endswith(url), (username, response.headers)
        assert c.get(url).status_code == 200  # the recipient may open it


def test_signed_out_users_are_sent_to_sign_in(client):
    assert client.get("/notifications").status_code == 302
    assert client.raw.post("/notifications/read").status_code in (302, 400)
