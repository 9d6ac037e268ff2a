"""Organisation profiles: credit codes, applications, staff edits and re-verification,
suspension, the public directory and transparency pages, and the access rules of each URL."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from marketplace.accounts.credit_code import (
    ALPHABET,
    check_character,
    credit_code_problem,
    is_valid_credit_code,
    normalize,
)
from marketplace.accounts.demo import seed_organization_profiles
from marketplace.accounts.models import Organization, OrgStatus, User
from marketplace.audit.models import AuditEvent
from marketplace.extensions import db
from marketplace.seed import DEMO_PASSWORD

EN = {"Accept-Language": "en"}
SUNSHINE = "湘西州阳光社会工作服务中心"  # provider_staff's organisation, registered in 吉首市
CHARITY = "湖南省暖心慈善基金会"  # charity_staff's, registered in 长沙 芙蓉区
VOLUNTEERS = "凤凰县青年志愿者协会"  # volunteer_staff's, 凤凰县
PENDING = "吉首市社区养老服务社"


# --- credit codes -------------------------------------------------------------------------

@pytest.mark.parametrize("code", [
    "91110000802100433B",  # a real published code (a Beijing-registered enterprise)
    "91350100M000100Y43",  # the worked example of GB 32100-2015
    "52430181MJ00000012",  # computed with the algorithm for these tests
    "53430000MJ40001236",
    "52433101MJ1000456W",
])
def test_valid_credit_codes(code):
    assert is_valid_credit_code(code)
    assert check_character(code[:17]) == code[17]


def test_the_other_published_example_does_not_pass_the_check():
    # 11100000000013127F circulates as an example, but its check character by the
    # standard's algorithm is D, not F: it is refused, like any mistyped code.
    assert check_character("11100000000013127") == "D"
    assert credit_code_problem("11100000000013127F") == "check"


@pytest.mark.parametrize("code, problem", [
    ("91110000802100433", "length"),
    ("91110000802100433BB", "length"),
    ("91110000802100433I", "characters"),  # I, O, S, V, Z are not in the alphabet
    ("9111000080210O433B", "characters"),
    ("91110000802100433C", "check"),
    ("91110000802100434B", "check"),
])
def test_invalid_credit_codes(code, problem):
    assert credit_code_problem(code) == problem
    assert not is_valid_credit_code(code)


def test_normalize_accepts_lower_case_and_spaces():
    assert normalize(" 9111 0000-8021 0043 3b ") == "91110000802100433B"
    assert is_valid_credit_code("91110000802100433b")


@given(st.text(alphabet=ALPHABET, min_size=17, max_size=17), st.integers(0, 16),
       st.sampled_from(ALPHABET))
def test_every_single_character_typo_is_caught(body, position, replacement):
    code = body + check_character(body)
    typo = code[:position] + replacement + code[position + 1:]
    assert is_valid_credit_code(typo) == (typo == code)


def test_check_character_needs_a_proper_body():
    with pytest.raises(ValueError):
        check_character("ABC")


# --- applications -------------------------------------------------------------------------

def _apply(client, **overrides):
    data = {"name": "浏阳市爱心互助会", "type": "social_org", "region_code": "430181",
            "service_area_codes": ["430181"], "description": "助老助残",
            "contact_name": "刘先生", "contact_phone": "13900001111",
            "credit_code": "52430181MJ00000012", "qualifications": ["social_worker", "nurse"],
            "username": "liuyang_aixin", "password": "Liuyang help 2026"}
    data.update(overrides)
    return client.post("/organizations/apply", data, headers=EN)


def _org(name):
    return db.session.scalar(select(Organization).where(Organization.name == name))


def test_application_records_the_profile(client, app):
    response = _apply(client, type="charity", public_fundraising="y",
                      fundraising_certificate_no="湘民慈公募字〔2024〕012号",
                      fundraising_certified_on="2024-03-01", credit_code="52430181mj0000 0012")
    assert response.status_code == 302
    with app.app_context():
        org = _org("浏阳市爱心互助会")
        assert org.credit_code == "52430181MJ00000012"
        assert org.qualifications == ["social_worker", "nurse"]
        assert org.public_fundraising and org.fundraising_certified_on.isoformat() == "2024-03-01"
        assert not org.can_operate  # pending until an officer verifies it
        assert db.session.scalar(select(AuditEvent.action).where(
            AuditEvent.object_id == str(org.id))) == "organization.apply"


@pytest.mark.parametrize("overrides, message", [
    ({"credit_code": "52430181MJ00000013"}, "its last character does not match"),
    ({"credit_code": "52430181MJ0000001"}, "exactly 18 characters"),
    ({"credit_code": "52430181MJ0000O012"}, "only digits and capital letters"),
    ({"public_fundraising": "y", "fundraising_certificate_no": "X1",
      "fundraising_certified_on": "2024-01-01"},
     "Only charitable organisations can hold a public-fundraising qualification."),
    ({"type": "charity", "public_fundraising": "y"},
     "Give the number and the date of the public-fundraising certificate."),
    ({"type": "charity", "public_fundraising": "y", "fundraising_certificate_no": "X1",
      "fundraising_certified_on": "2999-01-01"}, "The certificate date cannot be in the future."),
    ({"qualifications": ["social_worker", "astronaut"]}, "Unknown qualification."),
    ({"service_area_codes": ["430181", "439999"]}, "Unknown region code."),
])
def test_bad_applications_save_nothing(client, app, overrides, message):
    response = _apply(client, **overrides)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Organization)) is None
        assert db.session.scalar(select(User)) is None


def test_a_credit_code_is_registered_once(client, app, demo):
    with app.app_context():
        seed_organization_profiles()
        db.session.commit()
        taken = _org(SUNSHINE).credit_code
    response = _apply(client, credit_code=taken.lower())
    assert response.status_code == 200
    assert "already registered" in response.get_data(as_text=True)
    with app.app_context():
        assert _org("浏阳市爱心互助会") is None


def test_the_database_refuses_fundraising_for_non_charities(app, demo):
    from sqlalchemy.exc import IntegrityError
    with app.app_context():
        org = _org(VOLUNTEERS)
        org.public_fundraising = True
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()


# --- staff edit their own profile ---------------------------------------------------------

@pytest.fixture
def profiles(app, demo):
    with app.app_context():
        seed_organization_profiles()
        db.session.commit()


def _org_id(app, name):
    with app.app_context():
        return _org(name).id


def _profile_data(app, name, **overrides):
    with app.app_context():
        org = _org(name)
        data = {"description": org.description, "contact_name": org.contact_name,
                "contact_phone": "", "service_area_codes": [r.code for r in org.service_areas],
                "credit_code": org.credit_code, "qualifications": list(org.qualifications)}
    data.update(overrides)
    return data


def test_staff_edit_contacts_and_service_area_directly(app, login, profiles):
    org_id = _org_id(app, SUNSHINE)
    staff = login("provider_staff")
    form = staff.get(f"/organizations/{org_id}/profile").get_data(as_text=True)
    assert "13807430000" not in form  # the stored number is never shown in full
    response = staff.post(f"/organizations/{org_id}/profile", _profile_data(
        app, SUNSHINE, description="社工服务", contact_phone="13912345678",
        service_area_codes=["433100", "430100"]))
    assert response.status_code == 302
    with app.app_context():
        org = _org(SUNSHINE)
        assert org.description == "社工服务" and org.contact_phone == "13912345678"
        assert {r.code for r in org.service_areas} == {"433100", "430100"}
        assert org.pending_changes is None
        event = db.session.scalar(select(AuditEvent).where(
            AuditEvent.action == "organization.update_profile"))
        assert event.after["contact_phone"] == "139****5678"
    page = staff.get(f"/organizations/{org_id}").get_data(as_text=True)
    assert "139****5678" in page and "13912345678" not in page


def test_fact_changes_wait_for_an_officer_and_then_apply(app, login, profiles):
    org_id = _org_id(app, SUNSHINE)
    with app.app_context():
        old_code = _org(SUNSHINE).credit_code
    staff = login("provider_staff")
    taken = staff.post(f"/organizations/{org_id}/profile", _profile_data(
        app, SUNSHINE, credit_code="52433101MJ30009993"), headers=EN)  # 吉首市社区养老服务社's
    assert "already registered" in taken.get_data(as_text=True)
    response = staff.post(f"/organizations/{org_id}/profile", _profile_data(
        app, SUNSHINE, credit_code="52433101MJ50001238", qualifications=["nurse"]))
    assert response.status_code == 302
    with app.app_context():
        org = _org(SUNSHINE)
        assert org.credit_code == old_code and "nurse" not in org.qualifications  # still old
        assert org.pending_changes["credit_code"] == "52433101MJ50001238"
        assert org.can_operate
    officer = login("oversight_xx")
    page = officer.get(f"/organizations/{org_id}", headers=EN).get_data(as_text=True)
    assert "Profile changes waiting for review" in page and "52433101MJ50001238" in page
    dashboard = officer.get("/dashboard").get_data(as_text=True)
    assert 'data-testid="org-changes-count">1<' in dashboard
    assert officer.post(f"/organizations/{org_id}/changes",
                        {"approve": "1"}).status_code == 302
    with app.app_context():
        org = _org(SUNSHINE)
        assert org.credit_code == "52433101MJ50001238" and org.qualifications == ["nurse"]
        assert org.pending_changes is None
        actions = list(db.session.scalars(select(AuditEvent.action).where(
            AuditEvent.object_id == str(org_id)).order_by(AuditEvent.id)))
        assert actions[-2:] == ["organization.propose_changes", "organization.approve_changes"]


def test_declining_fact_changes_needs_a_reason(app, login, profiles):
    org_id = _org_id(app, SUNSHINE)
    login("provider_staff").post(f"/organizations/{org_id}/profile",
                                 _profile_data(app, SUNSHINE, qualifications=["teacher"]))
    officer = login("oversight_xx")
    response = officer.post(f"/organizations/{org_id}/changes", {"decline": "1"}, headers=EN)
    assert "Give a reason for declining the changes." in response.get_data(as_text=True)
    with app.app_context():
        assert _org(SUNSHINE).pending_changes is not None
    officer.post(f"/organizations/{org_id}/changes", {"decline": "1", "reason": "无证书"})
    with app.app_context():
        org = _org(SUNSHINE)
        assert org.pending_changes is None and "teacher" not in org.qualifications


def test_bad_profile_edit_saves_nothing(app, login, profiles):
    org_id = _org_id(app, VOLUNTEERS)
    staff = login("volunteer_staff")
    response = staff.post(f"/organizations/{org_id}/profile", _profile_data(
        app, VOLUNTEERS, description="changed", public_fundraising="y",
        fundraising_certificate_no="X", fundraising_certified_on="2020-01-01"), headers=EN)
    assert response.status_code == 200
    assert "Only charitable organisations" in response.get_data(as_text=True)
    response = staff.post(f"/organizations/{org_id}/profile", _profile_data(
        app, VOLUNTEERS, description="changed", service_area_codes=["999999"]), headers=EN)
    assert "Unknown region code." in response.get_data(as_text=True)
    with app.app_context():
        org = _org(VOLUNTEERS)
        assert org.description == "" and org.pending_changes is None
        assert not org.public_fundraising


def test_staff_of_another_organisation_cannot_edit(app, login, profiles):
    org_id = _org_id(app, SUNSHINE)
    intruder = login("volunteer_staff")
    assert intruder.get(f"/organizations/{org_id}/profile").status_code == 404
    response = intruder.post(f"/organizations/{org_id}/profile",
                             _profile_data(app, SUNSHINE, description="hacked"))
    assert response.status_code == 404
    assert SUNSHINE not in response.get_data(as_text=True)
    with app.app_context():
        assert _org(SUNSHINE).description != "hacked"


# --- suspension ---------------------------------------------------------------------------

def test_suspension_blocks_sign_in_and_operation_until_reinstated(app, login, client, profiles):
    org_id = _org_id(app, SUNSHINE)
    staff = login("provider_staff")
    officer = login("oversight_xx")
    response = officer.post(f"/organizations/{org_id}/suspend", {}, headers=EN)
    assert response.status_code == 400  # no reason: nothing happens
    with app.app_context():
        assert _org(SUNSHINE).status == OrgStatus.verified
    assert officer.post(f"/organizations/{org_id}/suspend",
                        {"reason": "年检不合格"}).status_code == 302
    with app.app_context():
        org = _org(SUNSHINE)
        assert org.status == OrgStatus.suspended and not org.can_operate
        assert org.suspension_reason == "年检不合格"
    assert staff.get("/dashboard").status_code == 302  # the open session ended
    assert client.login("provider_staff").status_code == 200  # sign-in refused
    public = client.get(f"/directory/{org_id}", headers=EN).get_data(as_text=True)
    assert "Suspended" in public
    assert SUNSHINE not in client.get("/directory").get_data(as_text=True)

    assert officer.post(f"/organizations/{org_id}/reinstate",
                        {"reason": "整改完成"}).status_code == 302
    with app.app_context():
        assert _org(SUNSHINE).can_operate
        actions = [e.action for e in db.session.scalars(select(AuditEvent).where(
            AuditEvent.object_id == str(org_id)).order_by(AuditEvent.id))]
        assert actions[-2:] == ["organization.suspend", "organization.reinstate"]
    assert client.login("provider_staff").status_code == 302


def test_only_verified_organisations_can_be_suspended(app, login, demo):
    org_id = _org_id(app, PENDING)
    response = login("oversight_xx").post(f"/organizations/{org_id}/suspend",
                                          {"reason": "x"}, headers=EN)
    assert response.status_code == 400
    assert "Only a verified organisation can be suspended." in response.get_data(as_text=True)


def test_an_officer_of_another_region_cannot_suspend(app, login, demo):
    org_id = _org_id(app, CHARITY)  # registered in 长沙, outside 湘西州
    response = login("oversight_xx").post(f"/organizations/{org_id}/suspend", {"reason": "x"})
    assert response.status_code == 404
    with app.app_context():
        assert _org(CHARITY).status == OrgStatus.verified


# --- public directory and transparency page -----------------------------------------------

def test_directory_lists_verified_organisations_with_filters(client, profiles):
    everyone = client.get("/directory").get_data(as_text=True)
    assert SUNSHINE in everyone and CHARITY in everyone and PENDING not in everyone
    charities = client.get("/directory?type=charity").get_data(as_text=True)
    assert CHARITY in charities and SUNSHINE not in charities
    # 凤凰县 is served by the province-wide charity, the 湘西州 centre, the volunteer team and
    # the enterprise serving 湘西州; 芙蓉区 (长沙) only by the charity and the enterprise.
    fenghuang = client.get("/directory?region=433123").get_data(as_text=True)
    assert all(n in fenghuang for n in (CHARITY, SUNSHINE, VOLUNTEERS, "长沙康复辅具有限公司"))
    furong = client.get("/directory?region=430102").get_data(as_text=True)
    assert CHARITY in furong and "长沙康复辅具有限公司" in furong
    assert SUNSHINE not in furong and VOLUNTEERS not in furong
    # A whole prefecture: everyone serving somewhere in it.
    xiangxi = client.get("/directory?region=433100").get_data(as_text=True)
    assert VOLUNTEERS in xiangxi and SUNSHINE in xiangxi


def test_directory_unknown_filters_are_clear_messages(client, profiles):
    response = client.get("/directory?region=999999", headers=EN)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Unknown region code." in page and SUNSHINE not in page
    assert "Not a valid choice" in client.get("/directory?type=bank", headers=EN).get_data(
        as_text=True)


def test_public_page_shows_the_profile_without_personal_data(app, client, profiles):
    org_id = _org_id(app, CHARITY)
    page = client.get(f"/directory/{org_id}", headers=EN).get_data(as_text=True)
    with app.app_context():
        org = _org(CHARITY)
        assert org.credit_code in page and "湘民慈公募字〔2021〕007号" in page
        assert org.contact_name not in page
    assert "13807430000" not in page and "138****0000" not in page
    assert "Verified by the civil-affairs office" in page


def test_pending_organisations_have_no_public_page(app, client, demo):
    assert client.get(f"/directory/{_org_id(app, PENDING)}").status_code == 404
    assert client.get("/directory/999999").status_code == 404


# --- access matrix for every new URL ------------------------------------------------------

ACCOUNTS = {
    "admin": "admin",
    "oversight": "oversight_xx",
    "reviewer": "reviewer_jishou",
    "caseworker": "caseworker_fenghuang",
    "provider_staff": "provider_staff",
}
#: (method, url, roles allowed). ``{own}`` is provider_staff's organisation, in 湘西州.
URLS = [
    ("GET", "/organizations", {"admin", "oversight"}),
    ("GET", "/organizations/{own}/profile", {"provider_staff"}),
    ("POST", "/organizations/{own}/changes", {"oversight"}),
    ("POST", "/organizations/{own}/suspend", {"oversight"}),
    ("POST", "/organizations/{own}/reinstate", {"oversight"}),
]


@pytest.mark.parametrize("role", sorted(ACCOUNTS))
def test_role_rules(app, login, role):
    own = _org_id(app, SUNSHINE)
    c = login(ACCOUNTS[role])  # one sign-in per role, every URL checked with it
    for method, url, allowed in URLS:
        url = url.format(own=own)
        response = c.get(url) if method == "GET" else c.post(url, {})
        if role in allowed:
            assert response.status_code not in (403, 404), (method, url)
        else:
            assert response.status_code == 403, (method, url)
    with app.app_context():  # the bodiless POSTs changed nothing
        assert _org(SUNSHINE).status == OrgStatus.verified


def test_anonymous_users_are_sent_to_sign_in(app, client, demo):
    own = _org_id(app, SUNSHINE)
    for method, url, _allowed in URLS:
        url = url.format(own=own)
        response = client.get(url) if method == "GET" else client.post(url, {})
        assert response.status_code == 302 and "/login" in response.headers["Location"], url


@pytest.mark.parametrize("method, path", [
    ("GET", "/organizations/{id}/profile"),
    ("POST", "/organizations/{id}/profile"),
])
def test_staff_scope_is_their_own_organisation(app, login, demo, method, path):
    url = path.format(id=_org_id(app, VOLUNTEERS))
    c = login("provider_staff")
    response = c.get(url) if method == "GET" else c.post(url, {})
    assert response.status_code == 404 and VOLUNTEERS not in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/organizations/{id}/changes", "/organizations/{id}/suspend",
                                  "/organizations/{id}/reinstate"])
def test_officer_scope_is_their_region(app, login, demo, path):
    url = path.format(id=_org_id(app, CHARITY))  # 长沙: outside oversight_xx's 湘西州
    response = login("oversight_xx").post(url, {"reason": "x", "approve": "1"})
    assert response.status_code == 404 and CHARITY not in response.get_data(as_text=True)


def test_officer_lists_only_their_region(login, demo):
    page = login("oversight_xx").get("/organizations").get_data(as_text=True)
    assert SUNSHINE in page and VOLUNTEERS in page and CHARITY not in page
    assert CHARITY in login("oversight_hn").get("/organizations").get_data(as_text=True)


@pytest.mark.parametrize("role", sorted(ACCOUNTS))
def test_public_pages_are_open_to_everyone(app, login, role):
    c = login(ACCOUNTS[role])
    assert c.get("/directory").status_code == 200
    assert c.get(f"/directory/{_org_id(app, SUNSHINE)}").status_code == 200


def test_public_pages_need_no_sign_in(app, client, demo):
    assert client.get("/directory").status_code == 200
    assert client.get(f"/directory/{_org_id(app, SUNSHINE)}").status_code == 200


def test_demo_passwords_still_work_for_unsuspended_staff(client, profiles):
    assert client.login("charity_staff", DEMO_PASSWORD).status_code == 302


# --- transparency: totals per offer, county and category ----------------------------------

def test_transparency_page_shows_totals_per_county_and_category(app, client, profiles):
    from decimal import Decimal

    from marketplace.allocations.models import AllocationStatus
    from marketplace.allocations.services import cancel, pledge
    from marketplace.catalog.vocab import LineKind
    from marketplace.offers.models import Offer
    from tests.marketplace.allocations.factories import funds_data, make_line, offer, user

    with app.app_context():
        charity = user("charity_staff")
        funds = offer("charity_staff", funds_data(capacity=Decimal("5000"), regions=["430000"]))
        draft = offer("charity_staff", funds_data(capacity=Decimal("777")), publish=False)
        jishou = [make_line(LineKind.funds, "medical", "300"),
                  make_line(LineKind.funds, "medical", "50"),
                  make_line(LineKind.funds, "education", "200")]
        fenghuang = make_line(LineKind.funds, "medical", "100", region_code="433123101")
        for line in jishou:
            pledge(charity, funds, line, line.quantity)
        delivered = pledge(charity, funds, fenghuang, Decimal("100"))
        delivered.status = AllocationStatus.delivered
        delivered.note = "龙阿婆家 13987654321"  # personal detail that must never show
        cancelled = pledge(charity, funds, make_line(LineKind.funds, "housing", "900"),
                           Decimal("900"))
        cancel(charity, cancelled)
        db.session.commit()
        org_id, draft_id = charity.organization_id, draft.id
        assert db.session.get(Offer, draft_id).status == "draft"
        published = db.session.scalar(select(func.count(Offer.id)).where(
            Offer.organization_id == org_id, Offer.status != "draft"))  # with the demo's

    response = client.get(f"/directory/{org_id}", headers=EN)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert page.count('data-testid="offer-report"') == published  # drafts are not public
    assert "777.00" not in page
    rows = _table_rows(page)
    assert rows == [
        ["Jishou City", "Education", "0.00 CNY", "200.00 CNY"],
        ["Jishou City", "Medical", "0.00 CNY", "350.00 CNY"],  # two lines, one sum
        ["Fenghuang County", "Medical", "100.00 CNY", "0.00 CNY"],
    ]
    assert "Money delivered in total: 100.00 CNY" in page
    assert "Housing" not in page  # cancelled help went nowhere
    # Only county totals: no township, no household detail, no link to need pages.
    assert "乾州" not in page and "Qianzhou" not in page and "麻冲" not in page
    assert "龙阿婆" not in page and "13987654321" not in page and "/needs/" not in page


def _table_rows(html: str) -> list[list[str]]:
    """The body rows of the tables on the page, as cell texts."""
    import re

    rows = []
    for body in re.findall(r"<tbody>(.*?)</tbody>", html, re.S):
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S):
            rows.append([re.sub(r"<[^>]+>", "", cell).strip()
                         for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)])
    return rows


def test_transparency_page_without_offers_shows_an_empty_state(app, client, profiles):
    org_id = _org_id(app, SUNSHINE)
    with app.app_context():
        from marketplace.offers.models import Offer
        db.session.execute(Offer.__table__.delete())  # the demo supply's offers
        db.session.commit()
    page = client.get(f"/directory/{org_id}", headers=EN).get_data(as_text=True)
    assert "No help has been recorded for this organisation yet." in page


def test_a_suspended_organisation_cannot_offer_or_pledge(app, login, profiles):
    from decimal import Decimal

    from marketplace.accounts.organizations import suspend_organization
    from marketplace.allocations.services import AllocationError, pledge
    from marketplace.catalog.vocab import LineKind
    from marketplace.offers.services import OfferError
    from tests.marketplace.allocations.factories import funds_data, make_line, offer, user

    with app.app_context():
        existing = offer("charity_staff", funds_data(regions=["430000"]))
        line = make_line(LineKind.funds, "medical", "100")
        suspend_organization(user("oversight_hn"), _org(CHARITY), "审计发现问题")
        assert not _org(CHARITY).can_operate
        with pytest.raises(OfferError):
            offer("charity_staff", funds_data())
        with pytest.raises(AllocationError, match="suspended|暂停"):
            pledge(user("charity_staff"), existing, line, Decimal("10"))
        db.session.rollback()
