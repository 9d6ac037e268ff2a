"""Every view declares its access rule; wrong roles get 403 and wrong regions get no data."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from marketplace.accounts.models import Organization
from marketplace.common.access import PUBLIC, access
from marketplace.extensions import db

#: (url, roles allowed). ``{org:NAME}`` is replaced by that demo organisation's id.
VIEWS = [
    ("/dashboard", {"admin", "oversight", "reviewer", "caseworker", "provider_staff"}),
    ("/account/password", {"admin", "oversight", "reviewer", "caseworker", "provider_staff"}),
    ("/regions", {"admin", "oversight", "reviewer", "caseworker", "provider_staff"}),
    ("/regions/433100", {"admin", "oversight", "reviewer", "caseworker", "provider_staff"}),
    ("/admin/users", {"admin"}),
    ("/admin/users/new", {"admin"}),
    ("/admin/regions/new", {"admin"}),
    ("/organizations/applications", {"admin", "oversight"}),
]
ACCOUNTS = {
    "admin": "admin",
    "oversight": "oversight_xx",
    "reviewer": "reviewer_jishou",
    "caseworker": "caseworker_fenghuang",
    "provider_staff": "provider_staff",
}


def test_every_endpoint_declares_access(app):
    undeclared = [
        name for name, view in app.view_functions.items()
        if name != "static" and not name.startswith("bootstrap.")
        and getattr(view, "access_roles", None) is None
    ]
    assert undeclared == []


@pytest.mark.parametrize("url, allowed", VIEWS)
@pytest.mark.parametrize("role", sorted(ACCOUNTS))
def test_role_rules(login, url, allowed, role):
    response = login(ACCOUNTS[role]).get(url)
    assert response.status_code == (200 if role in allowed else 403)


@pytest.mark.parametrize("url, _allowed", VIEWS)
def test_anonymous_users_are_sent_to_sign_in(client, url, _allowed):
    response = client.get(url)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def _org_id(app, name):
    with app.app_context():
        return db.session.scalar(select(Organization.id).where(Organization.name == name))


@pytest.mark.parametrize("username, org, status", [
    ("oversight_xx", "湘西州阳光社会工作服务中心", 200),  # registered in 吉首市, in 湘西州
    ("oversight_xx", "湖南省暖心慈善基金会", 404),  # registered in 长沙 芙蓉区
    ("oversight_hn", "湖南省暖心慈善基金会", 200),  # the province sees everything below it
    ("admin", "湖南省暖心慈善基金会", 200),
    ("provider_staff", "湘西州阳光社会工作服务中心", 200),  # own organisation
    ("provider_staff", "凤凰县青年志愿者协会", 404),  # someone else's organisation
    ("caseworker_fenghuang", "凤凰县青年志愿者协会", 403),  # role not allowed at all
])
def test_scope_rules_on_a_single_object(app, login, username, org, status):
    response = login(username).get(f"/organizations/{_org_id(app, org)}")
    assert response.status_code == status
    if status != 200:
        assert org not in response.get_data(as_text=True)


def test_lists_only_show_the_officers_region(app, login):
    xiangxi = login("oversight_xx").get("/organizations/applications").get_data(as_text=True)
    assert "吉首市社区养老服务社" in xiangxi
    changsha_officer_view = login("admin").get("/organizations/applications")
    assert "吉首市社区养老服务社" in changsha_officer_view.get_data(as_text=True)


def test_out_of_region_officer_cannot_decide(app, login):
    org_id = _org_id(app, "吉首市社区养老服务社")
    from marketplace.accounts.models import User
    with app.app_context():
        db.session.add(User(username="oversight_cs", display_name="长沙督导", role="oversight",
                            region_code="430100", password_hash=db.session.scalar(
                                select(User.password_hash).where(User.username == "admin"))))
        db.session.commit()
    response = login("oversight_cs").post(f"/organizations/{org_id}/decision", {"approve": "1"})
    assert response.status_code == 404
    with app.app_context():
        assert db.session.get(Organization, org_id).status == "pending"


def test_access_needs_roles():
    with pytest.raises(ValueError):
        access()
    assert access(PUBLIC)(lambda: None).access_public


@pytest.mark.parametrize("username", ["oversight_hn", "oversight_xx", "caseworker_fenghuang",
                                      "reviewer_qianzhou", "admin"])
def test_scope_filter_selects_exactly_the_users_subtree(app, demo, username):
    """The list filter (a range an index serves) agrees with the per-object rule, down to
    townships and villages, and never reaches a neighbouring code with the same digits."""
    from marketplace.accounts.models import User
    from marketplace.common.access import in_scope, scope_filter
    from marketplace.regions.models import Region, RegionLevel

    with app.app_context():
        extra = [("433101001001", RegionLevel.village, "433101001"),
                 ("433101002", RegionLevel.township, "433101"),
                 ("433122001", RegionLevel.township, "433122")]
        for code, level, parent in extra:
            db.session.add(Region(code=code, name_zh=code, name_en=code, level=level,
                                  parent_code=parent))
        db.session.flush()
        user = db.session.scalar(select(User).where(User.username == username))
        listed = set(db.session.scalars(select(Region.code).where(scope_filter(Region, user))))
        everything = db.session.scalars(select(Region)).all()
        assert listed == {r.code for r in everything if in_scope(user, r)}
        assert listed  # every demo user sees at least its own region
        if username == "reviewer_qianzhou":  # a township: itself and its village only
            assert listed == {"433101001", "433101001001"}
        db.session.rollback()


def test_load_by_id_brings_the_joined_collections_in_one_query(app, demo):
    from marketplace.common.access import load_by_id
    from marketplace.households.models import Household
    from tests.marketplace.querycount import counted

    with app.app_context():
        household_id = db.session.scalar(select(Household.id).limit(1))
        expected = len(db.session.get(Household, household_id).members)
        db.session.expunge_all()
        with counted(app) as statements:
            household = load_by_id(Household, household_id)
            assert len(household.members) == expected > 0
        assert len(statements) == 1
        assert load_by_id(Household, 10**9) is None
        assert load_by_id(Organization, db.session.scalar(select(Organization.id).limit(1)))
