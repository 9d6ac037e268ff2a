"""A realistic demo set: government accounts in three counties and several organisations."""

from __future__ import annotations

from sqlalchemy import select

from marketplace.accounts.demo import seed_organization_profiles
from marketplace.accounts.models import Organization, OrgStatus, OrgType, Role, User
from marketplace.accounts.services import hash_password
from marketplace.assessment.services import seed_default_standards
from marketplace.catalog.services import seed_catalogues
from marketplace.extensions import db
from marketplace.households.demo import seed_households
from marketplace.needs.demo import seed_needs
from marketplace.offers.demo import seed_supply
from marketplace.regions.models import Region, RegionLevel
from marketplace.regions.services import infer_urban, pinyin_name

#: Shared by every demo account; shown by ``flask seed-demo``. Never used outside the demo.
DEMO_PASSWORD = "Nuanxin2026demo"

TOWNSHIPS = [
    # (code, name, county) — 9-digit statistical codes of real towns.
    ("433101001", "乾州街道", "433101"),
    ("433123101", "麻冲乡", "433123"),
    ("430102001", "文艺路街道", "430102"),
]

GOVERNMENT = [
    # username, display name, role, home region
    ("admin", "系统管理员", Role.admin, None),
    ("oversight_hn", "湖南省民政厅 李督导", Role.oversight, "430000"),
    ("oversight_xx", "湘西州民政局 向督导", Role.oversight, "433100"),
    ("reviewer_jishou", "吉首市民政局 田审核", Role.reviewer, "433101"),
    ("reviewer_qianzhou", "乾州街道 彭审核", Role.reviewer, "433101001"),
    ("caseworker_jishou", "乾州街道 社工 龙梅", Role.caseworker, "433101001"),
    ("caseworker_fenghuang", "凤凰县 社工 吴刚", Role.caseworker, "433123"),
    ("caseworker_furong", "芙蓉区 社工 张丽", Role.caseworker, "430102"),
    ("reviewer_furong", "芙蓉区民政局 陈审核", Role.reviewer, "430102"),
]

ORGANIZATIONS = [
    # name, type, registered county, service areas, status, staff username
    ("湖南省暖心慈善基金会", OrgType.charity, "430102", ["430000"], OrgStatus.verified,
     "charity_staff"),
    ("湘西州阳光社会工作服务中心", OrgType.contractor, "433101", ["433100"], OrgStatus.verified,
     "provider_staff"),
    ("凤凰县青年志愿者协会", OrgType.volunteer_team, "433123", ["433123"], OrgStatus.verified,
     "volunteer_staff"),
    ("长沙康复辅具有限公司", OrgType.enterprise, "430102", ["430100", "433100"],
     OrgStatus.verified, "donor_staff"),
    ("吉首市社区养老服务社", OrgType.social_org, "433101", ["433101"], OrgStatus.pending,
     "pending_staff"),
]


def seed_demo() -> list[tuple[str, str, str]]:
    """Create the demo accounts and organisations unless present; return (user, role, scope)."""
    seed_catalogues()
    seed_default_standards()
    for code, name, county in TOWNSHIPS:
        if db.session.get(Region, code) is None:
            parent = db.session.get(Region, county)
            db.session.add(Region(code=code, parent_code=county, level=RegionLevel.township,
                                  name_zh=name, name_en="", kind="township",
                                  is_urban=infer_urban(RegionLevel.township, name, parent)))
    db.session.flush()
    for region in db.session.scalars(select(Region).where(Region.name_en == "")):
        region.name_en = pinyin_name(region.name_zh)
    password = hash_password(DEMO_PASSWORD)
    listing = []
    for username, display, role, region in GOVERNMENT:
        if _user(username) is None:
            db.session.add(User(username=username, display_name=display, role=role,
                                region_code=region, password_hash=password))
        listing.append((username, role.value, region or "all"))
    for name, org_type, county, areas, status, staff in ORGANIZATIONS:
        org = db.session.scalar(select(Organization).where(Organization.name == name))
        if org is None:
            org = Organization(name=name, type=org_type, region_code=county, status=status,
                               contact_name=name[:4] + "联络人", contact_phone="13807430000",
                               service_areas=[db.session.get(Region, c) for c in areas])
            db.session.add(org)
            db.session.flush()
        if _user(staff) is None:
            db.session.add(User(username=staff, display_name=f"{name} 工作人员",
                                role=Role.provider_staff, organization_id=org.id,
                                password_hash=password))
        listing.append((staff, Role.provider_staff.value,
                        name + ("" if status == OrgStatus.verified else " (pending)")))
    db.session.flush()
    seed_organization_profiles()  # credit codes and qualifications, before the demo offers
    seed_households()
    seed_supply()
    seed_needs()
    return listing


def _user(username: str) -> User | None:
    return db.session.scalar(select(User).where(User.username == username))
