"""Evaluation pages: roles, scope, the form (weights), the list and export, the public page."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from marketplace.audit.models import AuditEvent
from marketplace.contracts.models import Contract
from marketplace.evaluations.models import ContractEvaluation
from marketplace.evaluations.services import DEFAULT_WEIGHTS, evaluate
from marketplace.extensions import db
from tests.marketplace.allocations.factories import en, user
from tests.marketplace.evaluations.builders import build_contract

EN = {"Accept-Language": "en"}


def _xiangxi(app) -> int:
    """The hand-computed contract of 湘西州 (433100), committed."""
    with en(app):
        contract_id = build_contract().id
        db.session.commit()
    return contract_id


def _changsha(app) -> int:
    """The same contract bought by 长沙市 (430100) for 芙蓉区 households."""
    with en(app):
        contract_id = build_contract("oversight_hn", region_code="430100",
                                     line_region="430102",
                                     overlap_reason="另一采购方的项目").id
        db.session.commit()
    return contract_id


def _form(**weights) -> dict:
    data = {f"weight_{k}": str(v) for k, v in dict(DEFAULT_WEIGHTS, **weights).items()}
    data["comment"] = "服务按期推进"
    return data


def _count() -> int:
    return db.session.scalar(select(func.count(ContractEvaluation.id)))


@pytest.mark.parametrize("username, status", [
    ("oversight_xx", 200), ("oversight_hn", 200), ("admin", 200),
    ("reviewer_jishou", 404),  # county reviewer: the contract is the prefecture's
    ("caseworker_jishou", 403), ("provider_staff", 403), ("volunteer_staff", 403),
])
def test_evaluation_page_roles_and_scope(app, login, username, status):
    contract_id = _xiangxi(app)
    response = login(username).get(f"/contracts/{contract_id}/evaluation", headers=EN)
    assert response.status_code == status
    body = response.get_data(as_text=True)
    if status == 200:
        assert "居家照料服务项目" in body and "40.0%" in body and "50.20" in body
    else:
        assert "居家照料服务项目" not in body and "50.20" not in body


def test_other_regions_officer_gets_404_without_data(app, login):
    contract_id = _changsha(app)
    response = login("oversight_xx").get(f"/contracts/{contract_id}/evaluation", headers=EN)
    assert response.status_code == 404
    assert "居家照料服务项目" not in response.get_data(as_text=True)
    listing = login("oversight_xx").get("/evaluations", headers=EN).get_data(as_text=True)
    assert "居家照料服务项目" not in listing
    assert "居家照料服务项目" in login("oversight_hn").get("/evaluations").get_data(as_text=True)


def test_reviewer_reads_but_cannot_save(app, login):
    with en(app):  # a contract the 湘西州 office bought for 吉首市, the reviewer's county
        contract_id = build_contract(region_code="433101").id
        db.session.commit()
    reviewer = login("reviewer_jishou")
    page = reviewer.get(f"/contracts/{contract_id}/evaluation", headers=EN)
    assert page.status_code == 200 and "50.20" in page.get_data(as_text=True)
    assert 'data-testid="evaluation-form"' not in page.get_data(as_text=True)
    assert reviewer.post(f"/contracts/{contract_id}/evaluation", _form()).status_code == 403
    with app.app_context():
        assert _count() == 0


def test_save_and_publish(app, login):
    contract_id = _xiangxi(app)
    client = login("oversight_xx")
    response = client.post(f"/contracts/{contract_id}/evaluation",
                           dict(_form(), publish="y"), headers=EN)
    assert response.status_code == 302
    with app.app_context():
        (saved,) = db.session.scalars(select(ContractEvaluation)).all()
        assert saved.score == Decimal("50.20") and saved.published
        assert saved.comment == "服务按期推进" and saved.weights == DEFAULT_WEIGHTS
        assert db.session.scalar(select(func.count(AuditEvent.id)).where(
            AuditEvent.action == "contract.evaluate")) == 1
    page = client.get(f"/contracts/{contract_id}/evaluation", headers=EN).get_data(as_text=True)
    assert "Evaluation saved." in page and 'data-testid="evaluation-history"' in page


@pytest.mark.parametrize("weights, message", [
    ({"delivery": 31}, "The weights must add up to 100 (they add up to 101)."),
    ({"delivery": 0}, "The weights must add up to 100 (they add up to 70)."),
    ({"delivery": 130}, "Enter a weight from 0 to 100."),
    ({"delivery": ""}, "Enter a weight from 0 to 100."),
])
def test_bad_weights_give_400_and_save_nothing(app, login, weights, message):
    contract_id = _xiangxi(app)
    response = login("oversight_xx").post(f"/contracts/{contract_id}/evaluation",
                                          _form(**weights), headers=EN)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert _count() == 0
        assert db.session.scalar(select(func.count(AuditEvent.id)).where(
            AuditEvent.action == "contract.evaluate")) == 0


def test_public_page_shows_only_published_evaluations(app, login, client):
    contract_id = _xiangxi(app)
    with en(app):
        officer, contract = user("oversight_xx"), db.session.get(Contract, contract_id)
        org_id = contract.provider_id
        evaluate(officer, contract, DEFAULT_WEIGHTS, "内部意见", publish=False)
        db.session.commit()
    page = client.get(f"/directory/{org_id}", headers=EN).get_data(as_text=True)
    assert "No published performance evaluation." in page and "50.20" not in page
    with en(app):
        contract = db.session.get(Contract, contract_id)
        evaluate(user("oversight_xx"), contract, DEFAULT_WEIGHTS, "内部意见", publish=True)
        db.session.commit()
    page = client.get(f"/directory/{org_id}", headers=EN).get_data(as_text=True)
    assert 'data-testid="public-evaluations"' in page
    assert "居家照料服务项目" in page and "50.20" in page and "Fail" in page
    assert "内部意见" not in page  # the comment is the officers' own


def test_list_puts_warnings_first_and_exports(app, login):
    contract_id = _xiangxi(app)
    client = login("oversight_xx")
    page = client.get("/evaluations", headers=EN).get_data(as_text=True)
    assert f"/contracts/{contract_id}/evaluation" in page
    csv_response = client.get("/evaluations/export.csv", headers=EN)
    body = csv_response.get_data()
    assert csv_response.status_code == 200 and body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Contract", "Title", "Provider"]
    ours = [r for r in rows[1:] if r[0] == str(contract_id)]
    assert ours and ours[0][1] == "居家照料服务项目" and ours[0][12] == "0.4000"
    xlsx = client.get("/evaluations/export.xlsx", headers=EN)
    sheet = load_workbook(io.BytesIO(xlsx.get_data())).active
    titles = [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert "居家照料服务项目" in titles
    assert client.get("/evaluations/export.pdf").status_code == 404
    with app.app_context():
        assert db.session.scalar(select(func.count(AuditEvent.id)).where(
            AuditEvent.action == "export.evaluations")) == 2


@pytest.mark.parametrize("url", ["/evaluations", "/evaluations/export.csv"])
@pytest.mark.parametrize("username, status", [
    ("oversight_xx", 200), ("reviewer_jishou", 200), ("admin", 200),
    ("caseworker_jishou", 403), ("provider_staff", 403)])
def test_list_roles(app, login, url, username, status):
    _xiangxi(app)
    response = login(username).get(url)
    assert response.status_code == status
    if status == 403:
        assert "居家照料服务项目" not in response.get_data(as_text=True)


def test_dashboard_card_lists_contracts_with_warnings(app, login):
    from datetime import timedelta

    from marketplace.contracts.services import LineData
    from tests.marketplace.allocations.factories import TODAY, active_contract, service_id

    with en(app):
        active_contract("oversight_xx", title="心理疏导项目", region_code="433100",
                        period_start=TODAY - timedelta(days=100),
                        period_end=TODAY + timedelta(days=100), budget=Decimal("5000"),
                        lines=[LineData(service_id("counselling"), Decimal("100"),
                                        Decimal("50"))])
        db.session.commit()
    page = login("oversight_xx").get("/dashboard", headers=EN).get_data(as_text=True)
    assert 'data-testid="evaluation-warnings-card"' in page and "心理疏导项目" in page
    assert "Behind schedule" in page
    assert 'data-testid="warnings-as-of"' in page and "checked every 5 min" in page
    other = login("oversight_hn").get("/dashboard", headers=EN).get_data(as_text=True)
    assert "心理疏导项目" in other  # the province sees 湘西州's contracts
    provider = login("provider_staff").get("/dashboard", headers=EN).get_data(as_text=True)
    assert 'data-testid="evaluation-warnings-card"' not in provider


def test_contract_page_links_to_the_evaluation(app, login):
    contract_id = _xiangxi(app)
    page = login("oversight_xx").get(f"/contracts/{contract_id}").get_data(as_text=True)
    assert f"/contracts/{contract_id}/evaluation" in page


def test_publish_an_evaluation_saved_earlier(app, login):
    contract_id = _xiangxi(app)
    other_id = _changsha(app)
    with en(app):
        contract = db.session.get(Contract, contract_id)
        evaluation_id = evaluate(user("oversight_xx"), contract, DEFAULT_WEIGHTS).id
        db.session.commit()
    url = f"/contracts/{contract_id}/evaluation/{evaluation_id}/publish"
    assert login("reviewer_jishou").post(url).status_code == 403
    assert login("provider_staff").post(url).status_code == 403
    # another region's officer, and an evaluation under another contract's URL: 404
    assert login("oversight_xx").post(
        f"/contracts/{other_id}/evaluation/{evaluation_id}/publish").status_code == 404
    client = login("oversight_xx")
    page = client.get(f"/contracts/{contract_id}/evaluation").get_data(as_text=True)
    assert 'data-testid="publish-evaluation"' in page
    assert client.post(url).status_code == 302
    with app.app_context():
        assert db.session.get(ContractEvaluation, evaluation_id).published
        assert db.session.scalar(select(func.count(AuditEvent.id)).where(
            AuditEvent.action == "contract.publish_evaluation")) == 1
    again = client.post(url, headers=EN, follow_redirects=True).get_data(as_text=True)
    assert "already published" in again


def test_chinese_labels_read_as_an_officer_expects(app, login):
    """Contexts and colons of the translator's review: 时间进度 for the elapsed share, no
    unit in the header of money cells, 服务户数完成率 where the rate is shown, the colon
    inside the translated title."""
    contract_id = _xiangxi(app)
    client = login("oversight_xx")
    zh = {"Accept-Language": "zh-CN"}
    listing = client.get("/evaluations", headers=zh).get_data(as_text=True)
    assert ">时间进度</th>" in listing and ">已交付金额</th>" in listing
    assert "（元）" not in listing
    page = client.get(f"/contracts/{contract_id}/evaluation", headers=zh).get_data(as_text=True)
    assert "<h1 class=\"h3\">绩效评价：居家照料服务项目</h1>" in page
    assert ">服务户数完成率</th>" in page
    assert "：目标 30" in page  # "<metric>：目标 30，实际 …"
    english = client.get(f"/contracts/{contract_id}/evaluation", headers=EN).get_data(
        as_text=True)
    assert ">Households served against target</th>" in english
    assert "Performance evaluation: 居家照料服务项目" in english
