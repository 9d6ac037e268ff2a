"""One English word, two meanings, two Chinese translations: each place shows its own.

The words are told apart with a message context (``pgettext`` / ``lazy_pgettext``) on one
side; pages are rendered in Chinese where the word is printed by a template, vocabularies
are read in Chinese where it comes from a label table.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

from flask_babel import gettext
from sqlalchemy import select

from marketplace.accounts.models import Organization
from marketplace.allocations.models import AllocationStatus
from marketplace.allocations.views import STATUS_LABELS as ALLOCATION_STATUS
from marketplace.assessment import services as assessment
from marketplace.assessment.models import Assessment
from marketplace.common.crypto import keyed_hash
from marketplace.contracts.forms import STATUS_LABELS as CONTRACT_STATUS
from marketplace.contracts.models import ContractStatus
from marketplace.extensions import db
from marketplace.households.forms import DISABILITY_LABELS
from marketplace.households.models import Household, Person, Relation
from marketplace.notifications import messages
from marketplace.notifications import services as notifications
from marketplace.notifications.models import Notification, NotificationKind
from marketplace.offers.models import GoodsCondition
from marketplace.runs.forms import STATUS_LABELS as RUN_STATUS
from marketplace.runs.models import RunStatus
from tests.marketplace.allocations.factories import active_contract, goods_data, offer, user

ZH = {"Accept-Language": "zh-CN"}


def _zh(app, vocabulary: dict) -> dict:
    """A label vocabulary as a Chinese reader sees it."""
    with app.test_request_context("/", headers=ZH):
        return {code: str(label) for code, label in vocabulary.items()}


def _dd(page: str, label: str) -> str:
    """The text of the ``<dd>`` after the ``<dt>`` that reads ``label`` (a definition list)."""
    match = re.search(rf"<dt[^>]*>{re.escape(label)}</dt>\s*<dd[^>]*>(.*?)</dd>", page, re.S)
    assert match, f"no <dt>{label}</dt>"
    return match.group(1)


def _hearing_case(app) -> tuple[int, int]:
    """A household whose head is hearing-impaired, with a benefit case at the hearing before
    a cut (R1.14): (household id, case id)."""
    with app.app_context():
        assessment.seed_default_standards()
        head = Person(name="田听华", sex="female", birth_date=date(1985, 3, 15),
                      relation=Relation.head, id_number="433101198503150022",
                      id_hash=keyed_hash("433101198503150022"), disability_type="hearing",
                      disability_grade=2)
        household = Household(region_code="433101001", county_code="433101", groups=["dibao"],
                              members=[head])
        db.session.add(household)
        db.session.flush()
        worker, township = user("caseworker_jishou"), user("reviewer_qianzhou")
        county, today = user("reviewer_jishou"), date.today()
        case = assessment.open_case(worker, household, "dibao", "committee")
        assessed = assessment.assess(worker, household, assessment.AssessmentInput(
            assessed_on=today, members_counted=1, incomes={"wages": Decimal("300")},
            deductions={}, deposits=Decimal("0")))
        assessment.investigate(worker, case, "家访核实", assessed)
        assessment.propose_case(township, case, Decimal("500"))
        assessment.start_notice(township, case, days=7, today=today)
        assessment.decide(county, case, True, "", today=today + timedelta(days=7))
        assessment.start_hearing(county, case, "收入可能已超标准")
        db.session.commit()
        return household.id, case.id


def test_hearing_disability_and_hearing_before_a_cut(app, login):
    household_id, case_id = _hearing_case(app)
    assert _zh(app, DISABILITY_LABELS)["hearing"] == "听力残疾"
    household = login("caseworker_jishou").get(f"/households/{household_id}", headers=ZH)
    page = household.get_data(as_text=True)
    # the member's disability cell: type · grade (the case's "减停发前陈述申辩" is listed too)
    assert re.search(r"<td>听力残疾 · [^<]*</td>", page)
    assert not re.search(r"<td>陈述申辩 · [^<]*</td>", page)
    case = login("reviewer_jishou").get(f"/cases/{case_id}", headers=ZH).get_data(as_text=True)
    assert _dd(case, "陈述申辩") == "收入可能已超标准"
    assert "听力残疾" not in case


def test_open_and_new_offer_words_and_notification_words(app, login):
    with app.app_context():
        goods = offer("provider_staff", goods_data(condition=GoodsCondition.new))
        db.session.commit()
        offer_id = goods.id
        org = db.session.scalar(select(Organization).where(Organization.name.startswith("湘西州")))
        notifications.notify([user("provider_staff").id], NotificationKind.allocation_waiting,
                             org, None)
        db.session.commit()
    staff = login("provider_staff")
    page = staff.get(f"/offers/{offer_id}", headers=ZH).get_data(as_text=True)
    assert _dd(page, "状态") == "开放中" and _dd(page, "新旧程度") == "全新"
    inbox = staff.get("/notifications", headers=ZH).get_data(as_text=True)
    assert re.search(r'<span class="badge[^"]*">未读</span>', inbox)
    assert re.search(r'<button type="submit" class="btn btn-sm btn-primary">查看</button>', inbox)
    assert "开放中" not in inbox and "全新" not in inbox


def test_committed_offer_quantity_and_committed_contract_budget(app, login):
    with app.app_context():
        goods = offer("provider_staff", goods_data())
        contract = active_contract()
        db.session.commit()
        offer_id, contract_id = goods.id, contract.id
    page = login("provider_staff").get(f"/offers/{offer_id}", headers=ZH).get_data(as_text=True)
    assert _dd(page, "已分配") == "0.00"
    page = login("oversight_xx").get(f"/contracts/{contract_id}",
                                     headers=ZH).get_data(as_text=True)
    assert _dd(page, "已占用").startswith("0.00")
    assert "已承诺" not in page


def test_proposed_assessment_and_proposed_allocation(app, login):
    household_id, _case = _hearing_case(app)
    with app.app_context():
        assessment_id = db.session.scalar(select(Assessment.id).where(
            Assessment.household_id == household_id))
    page = login("caseworker_jishou").get(f"/assessments/{assessment_id}",
                                          headers=ZH).get_data(as_text=True)
    assert "<strong>拟认定:</strong>" in page
    assert _zh(app, ALLOCATION_STATUS)[AllocationStatus.proposed] == "待接受"


def test_active_catalogue_entry_and_active_contract(app, login):
    page = login("admin").get("/catalog/goods", headers=ZH).get_data(as_text=True)
    assert "<td>启用</td>" in page and "执行中" not in page
    assert _zh(app, CONTRACT_STATUS)[ContractStatus.active] == "执行中"


def test_committed_run_status_reads_approved(app):
    """A committed matching run is an approved one (已批准), not a budget tied up (已占用)."""
    assert _zh(app, RUN_STATUS)[RunStatus.committed] == "已批准"
    with app.test_request_context("/", headers=ZH):
        assert gettext("Committed") == "已占用"


def test_notification_amounts_read_as_pages_show_them(app):
    note = Notification(kind=NotificationKind.allocation_waiting, object_type="allocations",
                        object_id="1", params={"quantity": "1200", "unit": "CNY"})
    with app.test_request_context("/", headers=ZH):
        assert "1,200.00 元" in messages.message(note)
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert "1,200.00 CNY" in messages.message(note)
