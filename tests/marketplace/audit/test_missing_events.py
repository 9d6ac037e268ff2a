"""Events that were missing from the trail: sign-in and sign-out, reading a household's full
address, region administration."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from marketplace.audit.models import AuditEvent
from marketplace.extensions import db
from marketplace.regions.models import Region
from marketplace.seed import DEMO_PASSWORD
from tests.marketplace.households.helpers import EN, person, user

ADDRESS = "世纪大道"


def _events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                                   .order_by(AuditEvent.id)))


@pytest.fixture
def household_id(app, demo):
    with app.app_context():
        return person("石小雨").household_id


def test_household_page_masks_the_address_for_every_role(login, household_id):
    for username in ("caseworker_jishou", "reviewer_jishou", "oversight_xx"):
        html = login(username).get(f"/households/{household_id}", headers=EN).get_data(
            as_text=True)
        assert ADDRESS not in html and "hidden" in html
        assert ("Show address" in html) == (username != "oversight_xx")


@pytest.mark.parametrize("username", ["caseworker_jishou", "reviewer_qianzhou"])
def test_show_address_is_an_audited_post(app, login, household_id, username):
    response = login(username).post(f"/households/{household_id}/address", {}, headers=EN)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    assert html.count(ADDRESS) == 1 and 'data-testid="full-address"' in html
    with app.app_context():
        [event] = _events("household.read_address")
        assert event.object_type == "households" and event.object_id == str(household_id)
        assert event.actor_id == user(username).id and event.region_code == "433101001"
        assert ADDRESS not in (event.note or "") and event.seq is not None


@pytest.mark.parametrize("username, status", [
    ("oversight_xx", 403), ("provider_staff", 403), ("admin", 403),
    ("caseworker_fenghuang", 404), ("reviewer_furong", 404)])
def test_show_address_refused(app, login, household_id, username, status):
    response = login(username).post(f"/households/{household_id}/address", {}, headers=EN)
    assert response.status_code == status
    assert ADDRESS not in response.get_data(as_text=True)
    with app.app_context():
        assert _events("household.read_address") == []


def test_show_address_without_csrf_token_is_refused(app, login, household_id):
    response = login("caseworker_jishou").raw.post(f"/households/{household_id}/address",
                                                   data={})
    assert response.status_code == 400
    with app.app_context():
        assert _events("household.read_address") == []


def test_sign_in_sign_out_and_failed_sign_in(app, demo, client):
    assert client.login("caseworker_jishou").status_code == 302
    client.post("/logout")
    client.login("caseworker_jishou", "wrong-password-123")
    client.login("no_such_user", "another-wrong-one")
    with app.app_context():
        uid = user("caseworker_jishou").id
        [login] = _events("user.login")
        assert login.actor_id == uid and login.object_id == str(uid)
        assert login.region_code == "433101001"
        [logout] = _events("user.logout")
        assert logout.actor_id == uid and logout.seq > login.seq
        known, unknown = _events("user.login_failed")
        assert known.actor_id is None and known.object_id == str(uid)
        assert known.region_code == "433101001" and known.note.startswith("username hash ")
        assert unknown.object_id == "" and unknown.region_code is None
        assert known.note != unknown.note
        everything = " ".join(f"{e.note} {e.before} {e.after}" for e in db.session.scalars(
            select(AuditEvent)))
        for secret in ("wrong-password-123", "another-wrong-one", DEMO_PASSWORD,
                       "no_such_user"):
            assert secret not in everything


def test_region_create_and_import_are_audited(app, demo, login):
    c = login("admin")
    response = c.post("/admin/regions/new", {"code": "433123199", "name_zh": "测试镇",
                                             "parent_code": "433123", "name_en": ""})
    assert response.status_code == 302
    data = "code,name_zh,parent_code\n433123199201,一村,433123199\n433123199202,二村,433123199\n"
    response = c.post("/admin/regions/import",
                      {"file": (io.BytesIO(data.encode()), "villages.csv")},
                      content_type="multipart/form-data")
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Region, "433123199202") is not None
        admin_id = user("admin").id
        created = _events("region.create")
        assert [e.object_id for e in created] == ["433123199", "433123199201", "433123199202"]
        assert all(e.actor_id == admin_id for e in created)
        assert created[0].after == {"name_zh": "测试镇", "parent_code": "433123",
                                    "level": "township"}
        [imported] = _events("region.import")
        assert imported.actor_id == admin_id and imported.after == {"rows": 2}


def test_failed_region_import_records_nothing(app, demo, login):
    data = "code,name_zh,parent_code\n433123199201,一村,999999\n"
    response = login("admin").post("/admin/regions/import",
                                   {"file": (io.BytesIO(data.encode()), "bad.csv")},
                                   content_type="multipart/form-data")
    assert response.status_code == 400
    with app.app_context():
        assert _events("region.create") == [] and _events("region.import") == []
