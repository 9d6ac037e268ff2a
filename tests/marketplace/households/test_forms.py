"""Registering and editing through the pages: bad input gives a clear message and saves nothing."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select

from marketplace.audit.models import AuditEvent
from marketplace.extensions import db
from marketplace.households.models import Household, Person
from tests.marketplace.households.helpers import EN, form_data, new_id, person, registry_events

HEAD = {"name": "新户主", "sex": "female", "birth_date": "1985-02-03", "relation": "head",
        "id_number": new_id(date(1985, 2, 3), "female", 1), "phone": "13912340000"}
CHILD = {"name": "新孩子", "sex": "male", "birth_date": "2015-07-08", "relation": "child",
         "id_number": new_id(date(2015, 7, 8), "male", 2), "schooling": "primary"}


def _counts(app):
    with app.app_context():
        return (db.session.scalar(select(func.count(Household.id))),
                db.session.scalar(select(func.count(Person.id))),
                db.session.scalar(select(func.count(AuditEvent.id)).where(  # not sign-ins
                    ~AuditEvent.action.startswith("user."))))


def test_register_household_through_the_form(app, login):
    c = login("caseworker_jishou")
    page = c.get("/households/new", headers=EN).get_data(as_text=True)
    assert "433101001" in page and "433123" not in page  # region picker limited to the area
    response = c.post("/households/new", form_data([HEAD, {}, CHILD],
                                                   groups=["dibao", "disabled"]), headers=EN)
    assert response.status_code == 302
    with app.app_context():
        household = db.session.scalar(select(Household).order_by(Household.id.desc()))
        assert household.head.name == "新户主" and household.size == 2
        assert household.groups == ["dibao", "disabled"] and household.region_code == "433101001"
        assert [m.schooling for m in household.ordered_members] == ["not_applicable", "primary"]
        assert [e.action for e in registry_events()] == ["household.create"]
    html = c.get(response.headers["Location"], headers=EN).get_data(as_text=True)
    assert "Household registered." in html and HEAD["id_number"] not in html


BAD = [
    ("wrong check digit", [{**HEAD, "id_number": HEAD["id_number"][:17] + (
        "0" if HEAD["id_number"][17] != "0" else "1")}], "check digit"),
    ("impossible date", [{**HEAD, "id_number": "433101198502301023"}], "does not exist"),
    ("future birth date", [{**HEAD, "birth_date": (date.today() + timedelta(days=2)).isoformat()}],
     "The birth date is in the future."),
    ("future date in number", [HEAD, {**CHILD, "birth_date": "2030-01-01", "id_number": new_id(
        date(2030, 1, 1), "male", 3)}], "in the future"),
    ("empty name", [{**HEAD, "name": " "}], "Enter the name."),
    ("sex differs from the number", [{**HEAD, "sex": "male"}], "that of a woman"),
    ("id and date disagree", [{**HEAD, "birth_date": "1985-02-04"}],
     "The ID number gives the birth date 1985-02-03."),
    ("missing id", [{**HEAD, "id_number": ""}], "Enter the ID number."),
    ("bad phone", [{**HEAD, "phone": "12345678901"}], "Enter a mobile number"),
    ("same id twice", [HEAD, {**CHILD, "id_number": HEAD["id_number"], "sex": "female",
                              "birth_date": HEAD["birth_date"]}], "entered twice"),
    ("two heads", [HEAD, {**CHILD, "relation": "head"}], "Exactly one member"),
    ("no head", [{**HEAD, "relation": "spouse"}], "Exactly one member"),
    ("nobody", [], "Enter at least the household head."),
    ("disability without grade", [{**HEAD, "disability_type": "visual"}], "grade"),
]


def test_bad_input_is_explained_and_nothing_is_saved(app, login):
    """Each case of BAD in turn (one test: the demo data is seeded once)."""
    before = _counts(app)
    c = login("caseworker_jishou")
    for case, rows, message in BAD:
        response = c.post("/households/new", form_data(rows), headers=EN)
        assert response.status_code == 400, case
        assert message in response.get_data(as_text=True), case
        assert _counts(app) == before, case


def test_region_outside_the_area_is_refused(app, login):
    before = _counts(app)
    response = login("caseworker_jishou").post("/households/new",
                                               form_data([HEAD], region="433123101"), headers=EN)
    assert response.status_code == 400 and "Unknown region code." in response.get_data(
        as_text=True)
    assert _counts(app) == before


def test_duplicate_of_another_county_points_to_it_without_its_data(app, login):
    with app.app_context():
        other = person("吴明辉")
        row = {**HEAD, "name": "冒名者", "sex": "male", "id_number": other.id_number,
               "birth_date": other.birth_date.isoformat()}
    before = _counts(app)
    response = login("caseworker_furong").post("/households/new",
                                               form_data([row], region="430102001"), headers=EN)
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "already registered" in html and "凤凰县" in html
    # The number typed is echoed back in the form; nothing of the existing household is shown.
    for secret in ("吴明辉", "麻春花", "麻冲乡", "老洞村", "13907432217", "139****2217"):
        assert secret not in html
    assert _counts(app) == before


def test_edit_member_keeps_the_number_when_left_empty(app, login):
    with app.app_context():
        member = person("石小雨")
        h, p, number = member.household_id, member.id, member.id_number
    c = login("caseworker_jishou")
    page = c.get(f"/households/{h}/members/{p}/edit", headers=EN).get_data(as_text=True)
    assert number not in page and "Leave empty to keep" in page
    data = {"name": "石小雨", "sex": "female", "birth_date": "2012-06-21", "relation": "child",
            "id_number": "", "phone": "", "disability_type": "", "disability_grade": "",
            "health": "chronic_illness", "work_ability": "full", "schooling": "senior_secondary"}
    response = c.post(f"/households/{h}/members/{p}/edit", {**data, "birth_date": "2012-06-22"},
                      headers=EN)
    assert response.status_code == 400 and "gives the birth date 2012-06-21" in response.get_data(
        as_text=True)
    assert c.post(f"/households/{h}/members/{p}/edit", data).status_code == 302
    with app.app_context():
        member = person("石小雨")
        assert member.id_number == number and member.schooling == "senior_secondary"
        [event] = registry_events()
        assert event.action == "household.update_member"
        assert event.before["id_number"] != number and number not in str(event.after)


def test_add_and_remove_member_through_the_pages(app, login):
    with app.app_context():
        h = person("向德福").household_id
    c = login("caseworker_jishou")
    row = {k: v for k, v in CHILD.items()}
    row.update({"relation": "grandchild", "health": "healthy", "work_ability": "full",
                "disability_type": "", "disability_grade": "", "phone": ""})
    assert c.post(f"/households/{h}/members/new", row).status_code == 302
    response = c.post(f"/households/{h}/members/new", row, headers=EN)
    assert response.status_code == 400 and "already registered" in response.get_data(as_text=True)
    with app.app_context():
        added = person("新孩子")
        head = person("向德福")
        assert added.household_id == h
    response = c.post(f"/households/{h}/members/{head.id}/remove", {}, headers=EN,
                      follow_redirects=True)
    assert "The household head cannot be removed." in response.get_data(as_text=True)
    assert c.post(f"/households/{h}/members/{added.id}/remove", {}).status_code == 302
    with app.app_context():
        assert person("新孩子") is None and person("向德福") is not None


def test_edit_household_region_and_groups(app, login):
    with app.app_context():
        h = person("吴明辉").household_id
    c = login("caseworker_fenghuang")
    response = c.post(f"/households/{h}/edit", {"region_code": "433123",
                                                 "address_detail": "新地址",
                                                 "groups": ["tekun"]})
    assert response.status_code == 302
    response = c.post(f"/households/{h}/edit", {"region_code": "433101001", "groups": []},
                      headers=EN)
    assert response.status_code == 400
    with app.app_context():
        household = db.session.get(Household, h)
        assert household.region_code == "433123" and household.groups == ["tekun"]
        assert household.address_detail == "新地址"


def test_concurrent_duplicate_caught_by_the_unique_index(app, login, monkeypatch):
    """If two registrations of one number pass the duplicate check at the same moment, the
    unique index refuses the second; the page says so and nothing is saved."""
    from marketplace.households import services

    monkeypatch.setattr(services, "_refuse_duplicate", lambda number, **kwargs: None)
    with app.app_context():
        other = person("陈志刚")
        row = {**HEAD, "sex": "male", "id_number": other.id_number,
               "birth_date": other.birth_date.isoformat()}
    before = _counts(app)
    response = login("caseworker_furong").post("/households/new",
                                               form_data([row], region="430102001"), headers=EN)
    assert response.status_code == 400
    assert "at the same moment" in response.get_data(as_text=True)
    assert _counts(app) == before
