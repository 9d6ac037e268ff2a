"""Demo profiles for the demo organisations of ``marketplace.seed`` (credit codes and the rest).

The credit codes are made up — registration authority and category digits of the right kind,
the registering county's code, an invented organisation code — and carry a correct GB 32100
check character, so they pass validation without belonging to any real organisation.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from marketplace.accounts.credit_code import check_character
from marketplace.accounts.models import Organization
from marketplace.extensions import db

#: name → (credit-code body, qualifications, public-fundraising certificate or None)
PROFILES = {
    # 53 = foundation registered with civil affairs (民政 5, 基金会 3)
    "湖南省暖心慈善基金会": ("53430000MJ4000123", ["social_worker", "counsellor"],
                          ("湘民慈公募字〔2021〕007号", date(2021, 6, 18))),
    # 52 = social service agency (民办非企业单位 / 社会服务机构)
    "湘西州阳光社会工作服务中心": ("52433101MJ1000456",
                              ["social_worker", "counsellor", "care_worker", "first_aid"], None),
    # 51 = social group (社会团体)
    "凤凰县青年志愿者协会": ("51433123MJ2000789", ["first_aid", "teacher"], None),
    # 91 = enterprise registered with market regulation
    "长沙康复辅具有限公司": ("91430102MA4000321", ["rehab_therapist"], None),
    "吉首市社区养老服务社": ("52433101MJ3000999", ["care_worker", "nurse"], None),
}


def seed_organization_profiles() -> None:
    """Fill the profile of each demo organisation that has no credit code yet (flushes)."""
    for name, (body, qualifications, certificate) in PROFILES.items():
        org = db.session.scalar(select(Organization).where(Organization.name == name))
        if org is None or org.credit_code:
            continue
        org.credit_code = body + check_character(body)
        org.qualifications = qualifications
        if certificate is not None:
            org.public_fundraising = True
            org.fundraising_certificate_no, org.fundraising_certified_on = certificate
    db.session.flush()

