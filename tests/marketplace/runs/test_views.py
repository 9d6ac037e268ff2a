"""The run pages: list, start, status with live progress, failure reason; roles and scope."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from marketplace.common.models import utcnow
from marketplace.extensions import db
from marketplace.jobs import tasks
from marketplace.jobs.progress import stale_after
from marketplace.runs import pipeline
from marketplace.runs.models import MatchingRun, RunStage, RunStatus
from tests.marketplace.runs.run_factories import make_run, set_demo_pool_aside
from tests.marketplace.runs.test_pipeline import small_pool

EN = {"Accept-Language": "en"}
OFFICERS = ["oversight_hn", "oversight_xx", "reviewer_jishou"]
OTHERS = ["caseworker_jishou", "provider_staff", "admin"]


def _run(app, region="433101", **kw) -> int:
    with app.app_context():
        run_id = make_run(region, **kw).id
        db.session.commit()
        return run_id


@pytest.mark.parametrize("username", OTHERS)
@pytest.mark.parametrize("url", ["/runs", "/runs/new", "/runs/{id}", "/runs/{id}/progress.json"])
def test_other_roles_get_403(app, login, username, url):
    run_id = _run(app)
    assert login(username).get(url.format(id=run_id)).status_code == 403


def test_township_reviewers_may_look_but_not_start(app, login):
    client = login("reviewer_qianzhou")
    assert client.get("/runs").status_code == 200
    assert client.get("/runs/new").status_code == 403
    assert client.post("/runs/new", {"region_code": "433101"}).status_code == 403


@pytest.mark.parametrize("username, region", [
    ("oversight_xx", "430102"),  # another prefecture
    ("reviewer_jishou", "433123"),  # another county
    ("reviewer_jishou", "433100"),  # the prefecture above the reviewer's county
    ("reviewer_furong", "433101"),
])
@pytest.mark.parametrize("url", ["/runs/{id}", "/runs/{id}/progress.json"])
def test_runs_out_of_scope_are_404_without_data(app, login, username, region, url):
    run_id = _run(app, region, status=RunStatus.failed, error="A secret reason 4711")
    response = login(username).get(url.format(id=run_id), headers=EN)
    assert response.status_code == 404
    assert b"4711" not in response.data
    listing = login(username).get("/runs", headers=EN).get_data(as_text=True)
    assert f"/runs/{run_id}" not in listing


@pytest.mark.parametrize("username", OFFICERS)
def test_officers_see_runs_in_scope(app, login, username):
    run_id = _run(app, "433101", status=RunStatus.failed, error="Reason 4711")
    client = login(username)
    assert f"/runs/{run_id}" in client.get("/runs", headers=EN).get_data(as_text=True)
    page = client.get(f"/runs/{run_id}", headers=EN).get_data(as_text=True)
    assert "Reason 4711" in page and "The run failed:" in page


def test_nav_link_for_officers_only(app, login):
    assert 'href="/runs"' in login("oversight_xx").get("/dashboard", headers=EN).get_data(
        as_text=True)
    assert 'href="/runs"' in login("reviewer_jishou").get("/dashboard", headers=EN).get_data(
        as_text=True)
    assert 'href="/runs"' not in login("caseworker_jishou").get("/dashboard").get_data(
        as_text=True)


def test_start_form_offers_only_startable_regions(app, login):
    page = login("reviewer_jishou").get("/runs/new", headers=EN).get_data(as_text=True)
    assert 'value="433101"' in page and 'value="433100"' not in page
    page = login("oversight_xx").get("/runs/new", headers=EN).get_data(as_text=True)
    assert 'value="433100"' in page and 'value="433123"' in page and 'value="430000"' not in page


@pytest.mark.parametrize("data, message", [
    ({"region_code": "430102"}, "Unknown region code"),  # out of scope: not a choice
    ({"region_code": "433101", "time_limit_s": "0"}, "Number must be between 1 and 600"),
    ({"region_code": "433101", "coverage_slack": "2"}, "Number must be between 0 and 1"),
    ({"region_code": "433101", "kinds": "cash"}, "not a valid choice"),
])
def test_bad_input_is_refused_and_nothing_saved(app, login, data, message):
    form = {"coverage_slack": "0.01", "time_limit_s": "30", "balance": "y", **data}
    response = login("reviewer_jishou").post("/runs/new", form, headers=EN)
    assert response.status_code == 400
    assert message.lower() in response.get_data(as_text=True).lower()
    with app.app_context():
        assert db.session.scalar(select(MatchingRun.id)) is None


def test_starting_a_run_runs_it_and_shows_the_result(app, login):
    """In tests the job runs at once (immediate mode); the real worker is in tests/jobs."""
    with app.app_context():
        set_demo_pool_aside()
        small_pool()
        db.session.commit()
    client = login("oversight_xx")
    response = client.post("/runs/new", {"region_code": "433100", "kinds": ["services", "funds"],
                                         "coverage_slack": "0.02", "balance": "y",
                                         "time_limit_s": "5"}, headers=EN)
    assert response.status_code == 302
    run_id = int(response.headers["Location"].rsplit("/", 1)[1])
    with app.app_context():
        run = db.session.get(MatchingRun, run_id)
        assert run.status == RunStatus.done, run.error
        assert run.kinds == ["funds", "services"] and run.policy["time_limit_s"] == 5
    progress = client.get(f"/runs/{run_id}/progress.json").get_json()
    assert progress["status"] == "done" and progress["progress"] == 100
    assert progress["active"] is False and progress["elapsed"] >= 0
    page = client.get(f"/runs/{run_id}", headers=EN)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Ready for review" in html
    assert "Balance (worst county)" in html  # the review part is included
    assert 'data-active="false"' in html


def test_a_run_over_an_empty_pool_shows_why(app, login):
    with app.app_context():
        set_demo_pool_aside()
        db.session.commit()
    client = login("reviewer_jishou")
    response = client.post("/runs/new", {"region_code": "433101", "coverage_slack": "0.01",
                                         "time_limit_s": "5"}, headers=EN)
    run_id = int(response.headers["Location"].rsplit("/", 1)[1])
    page = client.get(f"/runs/{run_id}", headers=EN).get_data(as_text=True)
    assert "The run failed:" in page and "no open need lines to match in this region" in page
    data = client.get(f"/runs/{run_id}/progress.json", headers=EN).get_json()
    assert data["status"] == "failed" and "no open need lines" in data["error"]


def test_progress_json_while_running(app, login):
    now = utcnow()
    run_id = _run(app, status=RunStatus.running, stage=RunStage.solving, progress=42,
                  started_at=now - timedelta(seconds=12), heartbeat_at=now)
    client = login("reviewer_jishou")
    data = client.get(f"/runs/{run_id}/progress.json", headers=EN).get_json()
    assert data["status"] == "running" and data["stage"] == "solving"
    assert data["stage_label"] == "Optimising" and data["progress"] == 42
    assert 12 <= data["elapsed"] < 60 and data["active"] is True and data["error"] == ""
    page = client.get(f"/runs/{run_id}", headers=EN).get_data(as_text=True)
    assert 'data-active="true"' in page and 'src="/static/js/runs.js"' in page
    assert "<script>" not in page  # no inline script (strict CSP)


def test_a_queued_run_nobody_picks_up_says_so(app, login):
    run_id = _run(app, status=RunStatus.queued, created_at=utcnow() - timedelta(minutes=5))
    data = login("reviewer_jishou").get(f"/runs/{run_id}/progress.json").get_json()
    assert data["status"] == "queued" and data["waiting_too_long"] is True
    assert data["elapsed"] is None


def test_reading_a_run_whose_worker_died_marks_it_failed(app, login):
    with app.app_context():
        old = utcnow() - stale_after() - timedelta(seconds=5)
    run_id = _run(app, status=RunStatus.running, stage=RunStage.solving, started_at=old,
                  heartbeat_at=old)
    data = login("reviewer_jishou").get(f"/runs/{run_id}/progress.json", headers=EN).get_json()
    assert data["status"] == "failed" and data["error"].startswith("The worker stopped")
    with app.app_context():
        assert db.session.get(MatchingRun, run_id).status == RunStatus.failed


def test_a_fresh_heartbeat_is_left_alone(app, login):
    run_id = _run(app, status=RunStatus.running, started_at=utcnow(), heartbeat_at=utcnow())
    assert login("reviewer_jishou").get(f"/runs/{run_id}/progress.json").get_json()[
        "status"] == "running"


def test_unexpected_errors_show_a_sentence_and_the_detail(app, login, monkeypatch):
    def broken(run, report):
        raise KeyError("offer 17")

    monkeypatch.setattr(pipeline, "execute", broken)
    run_id = _run(app, status=RunStatus.queued)
    with app.app_context():
        tasks.execute_run(run_id)
    page = login("reviewer_jishou").get(f"/runs/{run_id}", headers=EN).get_data(as_text=True)
    assert "unexpected error" in page and "KeyError: &#39;offer 17&#39;" in page
