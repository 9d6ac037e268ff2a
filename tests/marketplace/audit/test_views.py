"""The audit pages: search within the officer's region, one object's history, exports."""

from __future__ import annotations

import csv
import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.audit.models import AuditEvent
from marketplace.audit.services import record_event
from marketplace.extensions import db

EN = {"Accept-Language": "en"}


@pytest.fixture
def events(app, demo):
    """Events in 吉首市 (433101), 芙蓉区 (430102) and without a region, all committed."""
    with app.app_context():
        actor = db.session.scalar(select(User).where(User.username == "caseworker_jishou"))
        record_event(actor, "need.publish", object_type="test_objects", object_id=7,
                     region_code="433101", note="JISHOU-NOTE",
                     after={"status": "published", "phone": "13812345678"})
        record_event(actor, "need.fulfil", object_type="test_objects", object_id=7,
                     region_code="433101", before={"status": "covered"})
        record_event(None, "need.publish", object_type="test_objects", object_id=9,
                     region_code="430102", note="FURONG-NOTE")
        record_event(None, "catalog.edit", object_type="goods_items", object_id=1,
                     note="CATALOG-NOTE")
        db.session.commit()


def test_oversight_sees_its_prefecture_only(events, login):
    c = login("oversight_xx")
    body = c.get("/audit", headers=EN).get_data(as_text=True)
    assert "JISHOU-NOTE" in body and "need.fulfil" in body
    assert "FURONG-NOTE" not in body and "CATALOG-NOTE" not in body
    body = c.get("/audit?object_type=test_objects", headers=EN).get_data(as_text=True)
    assert "2 events match." in body


def test_page_masks_personal_data_unless_the_role_may_see_it(events, login):
    body = login("oversight_xx").get("/audit", headers=EN).get_data(as_text=True)
    assert "138****5678" in body and "13812345678" not in body
    body = login("reviewer_jishou").get("/audit", headers=EN).get_data(as_text=True)
    assert "13812345678" in body


def test_admin_sees_every_event(events, login):
    body = login("admin").get("/audit", headers=EN).get_data(as_text=True)
    assert all(n in body for n in ("JISHOU-NOTE", "FURONG-NOTE", "CATALOG-NOTE"))


def test_filters_by_object_actor_action_and_day(events, login, app):
    c = login("oversight_hn")
    def notes(query):
        return c.get("/audit?object_type=test_objects&" + query, headers=EN).get_data(as_text=True)
    assert "FURONG-NOTE" not in notes("object_id=7") and "JISHOU-NOTE" in notes("object_id=7")
    assert "FURONG-NOTE" not in notes("actor=caseworker_jishou")
    with app.app_context():
        uid = db.session.scalar(select(User.id).where(User.username == "caseworker_jishou"))
    assert "JISHOU-NOTE" in notes(f"actor={uid}")
    assert "No events match." in notes("actor=nobody")
    assert "need.fulfil" not in notes("action=need.publish")
    assert "need.fulfil" in notes("action=need")
    assert "No events match." in notes("action=nee")
    assert "No events match." in notes("date_from=2000-01-01&date_to=2000-01-02")


@pytest.mark.parametrize("query, message", [
    ("date_from=2026-03-01&date_to=2026-02-01", "The end day is before the start day."),
    ("date_from=1900-01-01", "Give a day between 2000-01-01 and"),
    ("date_to=9999-12-31", "Give a day between 2000-01-01 and"),
    ("date_from=2026-13-01", "Not a valid date value."),
    ("before=-3", "The page link is not valid."),
])
def test_bad_dates_answer_400_with_a_message(events, login, query, message):
    c = login("oversight_xx")
    for url in ("/audit?", "/audit/export.csv?"):
        response = c.get(url + query, headers=EN)
        assert response.status_code == 400
        body = response.get_data(as_text=True)
        assert message in body and "JISHOU-NOTE" not in body


def test_keyset_pages(app, demo, login):
    with app.app_context():
        for i in range(60):
            record_event(None, "t.x", object_type="t", object_id=i, region_code="433101",
                         note=f"event-{i:02d}.")
        db.session.commit()
    c = login("reviewer_jishou")
    first = c.get("/audit?object_type=t", headers=EN).get_data(as_text=True)
    assert "event-59." in first and "event-10." in first and "event-09." not in first
    assert "60 events match." in first and 'data-testid="older-events"' in first
    (before,) = re.findall(r"before=(\d+)", first)
    second = c.get(f"/audit?object_type=t&before={before}", headers=EN).get_data(as_text=True)
    assert "event-09." in second and "event-00." in second and "event-10." not in second
    assert 'data-testid="older-events"' not in second


def test_object_history_in_scope_only(events, login):
    c = login("oversight_xx")
    body = c.get("/audit/objects/test_objects/7", headers=EN).get_data(as_text=True)
    assert "JISHOU-NOTE" in body and "need.fulfil" in body
    response = login("oversight_xx").get("/audit/objects/test_objects/9", headers=EN)
    assert response.status_code == 404 and "FURONG-NOTE" not in response.get_data(as_text=True)
    assert login("oversight_xx").get("/audit/objects/test_objects/12345").status_code == 404


@pytest.mark.parametrize("username", ["caseworker_jishou", "provider_staff", "charity_staff"])
@pytest.mark.parametrize("url", ["/audit", "/audit/objects/test_objects/7", "/audit/export.csv",
                                 "/audit/export.xlsx"])
def test_wrong_role_is_forbidden(events, login, username, url):
    response = login(username).get(url)
    assert response.status_code == 403
    assert "JISHOU-NOTE" not in response.get_data(as_text=True)


@pytest.mark.parametrize("username", ["reviewer_qianzhou", "reviewer_furong", "oversight_xx"])
def test_out_of_scope_officers_see_nothing_of_jishou(events, login, username):
    c = login(username)
    assert c.get("/audit/objects/test_objects/7").status_code in (200, 404)
    for url in ("/audit?object_type=test_objects", "/audit/export.csv"):
        body = c.get(url).get_data(as_text=True)
        if username != "oversight_xx":
            assert "JISHOU-NOTE" not in body
        if username != "reviewer_furong":
            assert "FURONG-NOTE" not in body
    if username != "oversight_xx":
        response = c.get("/audit/objects/test_objects/7")
        assert response.status_code == 404 and "JISHOU" not in response.get_data(as_text=True)


def _csv(response):
    data = response.get_data()
    assert data.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_csv_export_masks_personal_data_and_is_audited(events, login, app):
    response = login("oversight_xx").get("/audit/export.csv?object_type=test_objects", headers=EN)
    assert response.status_code == 200
    rows = _csv(response)
    assert rows[0][:5] == ["Seq", "Time", "Done by", "Role", "Action"]
    assert [r[4] for r in rows[1:]] == ["need.fulfil", "need.publish"]
    assert "138****5678" in rows[2][10] and "13812345678" not in response.get_data(as_text=True)
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "export.audit"))
        assert event.seq is not None and event.object_id == "csv"
        assert event.after == {"filters": {"object_type": "test_objects"}, "rows": 2,
                               "format": "csv", "unmasked": False}
        assert event.region_code == "433100"


def test_reviewer_export_shows_personal_data_and_says_so(events, login, app):
    response = login("reviewer_jishou").get("/audit/export.csv", headers=EN)
    assert "13812345678" in response.get_data(as_text=True)
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "export.audit"))
        assert event.note == "personal data unmasked" and event.after["unmasked"] is True


def test_xlsx_export_opens(events, login):
    response = login("oversight_xx").get("/audit/export.xlsx?object_type=test_objects",
                                         headers=EN)
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.get_data()), read_only=True).active
    values = list(sheet.values)
    assert values[0][4] == "Action" and {v[4] for v in values[1:]} == {"need.publish",
                                                                        "need.fulfil"}


def test_unknown_export_format_is_404(events, login):
    assert login("oversight_xx").get("/audit/export.pdf").status_code == 404


def test_events_show_role_labels_and_colons_in_the_reader_s_language(events, login):
    """The role is the site's label, not the stored key; the colon after "before"/"after" is
    part of the translated string (Chinese uses the full-width colon)."""
    c = login("admin")
    body = c.get("/audit?object_type=test_objects", headers=EN).get_data(as_text=True)
    assert "(caseworker_jishou, Caseworker)" in body
    assert '<span class="text-muted">before:</span>' in body
    assert '<span class="text-muted">after:</span>' in body
    zh = c.get("/audit?object_type=test_objects",
               headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "(caseworker_jishou, 社工)" in zh
    assert '<span class="text-muted">变更前：</span>' in zh
    assert "下载：" in zh and "下载:" not in zh
