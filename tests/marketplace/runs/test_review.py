"""The review of a finished run, the explanation of a line, and the decision routes."""

from __future__ import annotations

import html
import json
import re
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from marketplace.allocations.models import Allocation
from marketplace.catalog.vocab import LineKind
from marketplace.extensions import db
from marketplace.needs import services as need_services
from marketplace.needs.lines import NeedError
from marketplace.runs.models import MatchingRun, RunStatus
from marketplace.runs.pipeline import read_document
from marketplace.runs.review import _neighbourhood
from matching import explain_need, parse_problem
from tests.marketplace.allocations.factories import funds_data, make_line, offer, service_data
from tests.marketplace.runs.run_factories import finished_run, set_demo_pool_aside

EN = {"Accept-Language": "en"}


@pytest.fixture
def reviewed(app, demo):
    """A done run of 湘西州: three 20 h home-care lines in 吉首市 for a 40 h offer (one line
    left unserved for capacity), and funds lines in 吉首市 and 凤凰县 for a 1 000 CNY offer."""
    with app.app_context():
        set_demo_pool_aside()
        care = [make_line(quantity="20") for _ in range(3)]
        offer("provider_staff", service_data())
        funds = [make_line(LineKind.funds, "medical", "400"),
                 make_line(LineKind.funds, "medical", "400", region_code="433123101")]
        offer("charity_staff", funds_data())
        run = finished_run()
        db.session.commit()
        return {"run": run.id, "care": [ln.id for ln in care], "funds": [ln.id for ln in funds]}


def count_allocations(app, run_id):
    with app.app_context():
        return db.session.scalar(select(func.count(Allocation.id)).where(
            Allocation.run_id == run_id))


def test_the_run_page_shows_the_review(app, login, reviewed):
    page = login("oversight_xx").get(f"/runs/{reviewed['run']}", headers=EN)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'id="review-figures"' in text and "Greedy baseline" in text
    assert "Proven bound on coverage" in text
    # the per-county table and the chart's data: both counties, with both coverages
    counties = re.search(r'data-coverage-chart="([^"]*)"', text)
    chart = json.loads(html.unescape(counties.group(1)))
    assert len(chart["labels"]) == 2 and len(chart["optimiser"]) == 2
    assert chart["names"]["baseline"] == "Greedy baseline"
    assert "vendor/echarts/echarts.min.js" in text and "js/runs-review.js" in text
    # one home-care line could not be served: listed with its reason and a link
    assert "their capacity went to other lines" in text
    assert re.search(rf'/runs/{reviewed["run"]}/lines/\d+', text)
    # strict CSP: no inline scripts or styles
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text)
    assert " style=" not in text
    assert "Approve all" in text and "Discard this run" in text


def test_a_line_explained_in_words(app, login, reviewed):
    client = login("oversight_xx")
    pages = [client.get(f"/runs/{reviewed['run']}/lines/{i}", headers=EN)
             for i in reviewed["care"]]
    assert all(p.status_code == 200 for p in pages)
    texts = [p.get_data(as_text=True) for p in pages]
    served = [t for t in texts if "Fully served." in t]
    unserved = [t for t in texts if "capacity was used elsewhere" in t]
    assert len(served) == 2 and len(unserved) == 1
    assert "gave 20" in served[0] and "to this line." in served[0]
    assert "went to 2 other lines" in unserved[0]
    assert "湘西州阳光社会工作服务中心" in unserved[0]  # the offer, named
    # each candidate's fit and explanation is one translatable phrase, brackets and colon too
    assert re.search(r"\(fit \d\.\d\d\): \S", served[0])
    # a line that was not in the run
    with app.app_context():
        set_aside = make_line(quantity="1")
        db.session.commit()
        other = set_aside.id
    assert client.get(f"/runs/{reviewed['run']}/lines/{other}").status_code == 404


def test_the_candidate_phrase_is_translatable_whole():
    from pathlib import Path

    from babel.messages.extract import extract_from_file

    template = Path(__file__).parents[3] / "templates" / "runs" / "_review_line.html"
    ids = {m[1] for m in extract_from_file(
        "jinja2", str(template), options={"extensions": "jinja2.ext.do"})}
    assert "(fit %(fit)s): %(explanation)s" in ids
    assert "): {{" not in template.read_text()  # no English left outside the strings


def test_approve_counties_then_no_second_decision(app, login, reviewed):
    client = login("oversight_xx")
    url = f"/runs/{reviewed['run']}"
    response = client.post(f"{url}/commit", {"scope": "counties", "county": ["433123"]},
                           headers=EN)
    assert response.status_code == 302 and response.headers["Location"].endswith(url)
    assert count_allocations(app, reviewed["run"]) == 1  # the job ran at once (tests)
    page = client.get(url, headers=EN).get_data(as_text=True)
    assert "The approval is under way in the background" in page
    # the commit report, pluralised (one allocation; three pairs of the other county)
    assert "Approved: 1 allocation proposed to providers. 3 pairs not approved." in page
    assert "left out because" not in page  # nothing left out: no sentence about it
    assert "Not approved by the officer." in page  # the left-out list
    assert "Approve all" not in page
    client.post(f"{url}/commit", {"scope": "all"}, headers=EN)
    assert count_allocations(app, reviewed["run"]) == 1
    page = client.get(url, headers=EN).get_data(as_text=True)
    assert "already approved or discarded" in page


def test_approve_all_and_discard(app, login, reviewed):
    client = login("oversight_xx")
    assert client.post(f"/runs/{reviewed['run']}/commit", {"scope": "all"}).status_code == 302
    assert count_allocations(app, reviewed["run"]) == 4  # two care lines, two funds lines
    with app.app_context():
        make_line(quantity="5")
        other = finished_run().id
        db.session.commit()
    assert client.post(f"/runs/{other}/discard").status_code == 302
    with app.app_context():
        assert db.session.get(MatchingRun, other).status == RunStatus.discarded
    assert count_allocations(app, other) == 0


def test_approve_selected_pairs(app, login, reviewed):
    client = login("oversight_xx")
    page = client.get(f"/runs/{reviewed['run']}").get_data(as_text=True)
    ids = re.findall(r'name="assignment" value="(\d+)"', page)
    assert len(ids) == 4
    client.post(f"/runs/{reviewed['run']}/commit", {"scope": "pairs", "assignment": ids[:2]})
    assert count_allocations(app, reviewed["run"]) == 2


def test_a_form_without_its_token_is_refused(app, login, reviewed):
    client = login("oversight_xx")
    response = client.raw.post(f"/runs/{reviewed['run']}/commit", data={"scope": "all"})
    assert response.status_code == 400
    assert count_allocations(app, reviewed["run"]) == 0


ROUTES = [("post", "/runs/{run}/commit"), ("post", "/runs/{run}/discard"),
          ("get", "/runs/{run}/lines/{line}")]


@pytest.mark.parametrize("method, route", ROUTES)
@pytest.mark.parametrize("username", ["caseworker_jishou", "provider_staff"])
def test_other_roles_get_403(app, login, reviewed, method, route, username):
    client = login(username)
    url = route.format(run=reviewed["run"], line=reviewed["care"][0])
    response = client.post(url, {"scope": "all"}) if method == "post" else client.get(url)
    assert response.status_code == 403
    assert count_allocations(app, reviewed["run"]) == 0


@pytest.mark.parametrize("method, route", ROUTES)
@pytest.mark.parametrize("username", ["reviewer_furong", "reviewer_jishou"])
def test_officers_of_other_regions_get_404(app, login, reviewed, method, route, username):
    """芙蓉区's reviewer, and 吉首市's county reviewer for a run of the whole prefecture."""
    client = login(username)
    url = route.format(run=reviewed["run"], line=reviewed["care"][0])
    response = client.post(url, {"scope": "all"}) if method == "post" else client.get(url)
    assert response.status_code == 404
    assert "阳光" not in response.get_data(as_text=True)
    assert count_allocations(app, reviewed["run"]) == 0
    with app.app_context():
        assert db.session.get(MatchingRun, reviewed["run"]).status == RunStatus.done


def test_the_county_reviewer_approves_a_run_of_the_county(app, login, demo):
    with app.app_context():
        set_demo_pool_aside()
        make_line(quantity="10")
        offer("provider_staff", service_data(capacity=Decimal("10")))
        run = finished_run("433101").id
        db.session.commit()
    client = login("reviewer_jishou")
    assert client.post(f"/runs/{run}/commit", {"scope": "all"}).status_code == 302
    assert count_allocations(app, run) == 1


def test_the_neighbourhood_explains_like_the_whole_problem(app, demo):
    """The line page explains from a part of the problem: the same answer as from the whole."""
    with app.app_context():
        set_demo_pool_aside()
        for quantity in ("20", "15", "10", "30"):
            make_line(quantity=quantity)
        for capacity in ("25", "30"):
            offer("provider_staff", service_data(capacity=Decimal(capacity)))
        for _ in range(3):
            make_line(LineKind.funds, "medical", "400")
        offer("charity_staff", funds_data(capacity=Decimal("700")))
        offer("charity_staff", funds_data(capacity=Decimal("100"), categories=["education"]))
        offer("charity_staff", funds_data(capacity=Decimal("100"), regions=["433123"]))
        run = finished_run()
        problem_doc = read_document(run.id, "problem")
        result_doc = read_document(run.id, "result")
    whole = parse_problem(problem_doc)
    for need in problem_doc["needs"]:
        sub_problem, sub_result, excluded = _neighbourhood(problem_doc, result_doc, need["id"])
        full = explain_need(whole, result_doc, need["id"]).to_dict()
        part = explain_need(parse_problem(sub_problem), sub_result, need["id"]).to_dict()
        for key in ("excluded", "excluded_count", "excluded_by_rule"):
            full.pop(key), part.pop(key)
        assert part == full
        assert excluded == (1 if need["kind"] == "funds" else 0)
    assert _neighbourhood(problem_doc, result_doc, "L0") is None


def test_a_need_rule_refusing_mid_commit_leaves_nothing(app, login, reviewed, monkeypatch):
    """If the needs area refuses a status move during the commit, the officer reads why and
    no allocation of the run is kept."""
    def refuse(actor, needs, covered):
        raise NeedError("This step is not possible: the need is now withdrawn.")

    monkeypatch.setattr(need_services, "refresh_match_statuses", refuse)
    client = login("oversight_xx")
    client.post(f"/runs/{reviewed['run']}/commit", {"scope": "all"})
    assert count_allocations(app, reviewed["run"]) == 0
    page = client.get(f"/runs/{reviewed['run']}", headers=EN).get_data(as_text=True)
    assert "the need is now withdrawn" in page and "Approve all" in page


def test_pairs_of_one_county_and_the_stage_timings(app, login, reviewed):
    client = login("oversight_xx")
    page = client.get(f"/runs/{reviewed['run']}?county=433123", headers=EN).get_data(
        as_text=True)
    assert len(re.findall(r'name="assignment" value="(\d+)"', page)) == 1
    assert "Fenghuang County" in page and "All counties" in page
    assert re.search(r"Built in [\d.]+ s, solved in [\d.]+ s", page)
    # an unknown county lists all pairs
    page = client.get(f"/runs/{reviewed['run']}?county=999999").get_data(as_text=True)
    assert len(re.findall(r'name="assignment" value="(\d+)"', page)) == 4
