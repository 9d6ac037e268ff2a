"""Issue 6's journey in Chromium: a caseworker posts a need for hearing aids and the reviewers
publish it; a provider offers hearing aids; the prefecture's oversight officer starts a
matching run for the county and watches its progress while a separate worker process solves
it; the officer reviews and commits the result; the provider, told by the bell, accepts the
allocation and records the delivery; the caseworker, told by the bell, confirms it and
records the household's satisfaction; the need is fulfilled.

Everything is done through the pages as a person would (links, forms, buttons). The site runs
on its own database with a real job queue (a SQLite queue file) and a real ``flask worker``
process, so the run goes through the queue as in production, never inside a web request.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from marketplace.seed import DEMO_PASSWORD
from tests.e2e.conftest import Console, Journey, _QuietHandler

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is missing "
                       "(as root: apt-get install chromium fonts-wqy-microhei)"),
]

COUNTY = "433101"  # 吉首市: caseworker_jishou's township is in it
ITEM = "Hearing aid"  # nobody in the demo data needs or offers hearing aids
CATEGORY = "Disability aids"  # the hearing aid's category, as pages show it
NEEDED, OFFERED = "2", "5"
SECRET = "e2e-matching"


class Site:
    """The site served in a thread, its database and queue files, and a worker on demand."""

    def __init__(self, url: str, env: dict[str, str], log: Path):
        self.url = url
        self.env = env
        self.log = log
        self.worker: subprocess.Popen | None = None

    def start_worker(self) -> None:
        """Start ``flask worker`` as its own process (as the README's run command does)."""
        if self.worker is None:
            with self.log.open("ab") as log:  # the child keeps its own copy of the descriptor
                self.worker = subprocess.Popen(
                    [sys.executable, "-m", "flask", "--app", "app", "worker", "--quiet"],
                    cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                    start_new_session=True)

    def log_tail(self, lines: int = 30) -> str:
        if not self.log.exists():
            return "(no worker log)"
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def stop_worker(self) -> None:
        if self.worker is not None and self.worker.poll() is None:
            os.killpg(self.worker.pid, signal.SIGTERM)
            try:
                self.worker.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.worker.pid, signal.SIGKILL)
                self.worker.wait(timeout=5)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The demo site on a fresh database, queueing jobs in a SQLite file for a real worker."""
    from flask_migrate import upgrade

    from marketplace import create_app
    from marketplace.extensions import db
    from marketplace.jobs import queue
    from marketplace.regions.services import load_divisions
    from marketplace.seed import seed_demo

    folder = tmp_path_factory.mktemp("matching-e2e")
    database, jobs = folder / "site.db", folder / "jobs.db"
    before = (queue.huey.url, queue.huey.immediate, queue._app)
    app = create_app({
        "NUANXIN_ENV": "testing",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
        "SECRET_KEY": SECRET,
        "WTF_CSRF_ENABLED": True,
        "NUANXIN_QUEUE_URL": f"sqlite:///{jobs}",
        "JOBS_IMMEDIATE": False,  # through the queue, as in production
    })
    with app.app_context():
        upgrade(revision="heads")
        load_divisions()
        seed_demo()
        db.session.commit()
        db.session.remove()
    env = {**os.environ, "NUANXIN_ENV": "testing", "SECRET_KEY": SECRET,
           "DATABASE_URL": f"sqlite:///{database}", "NUANXIN_QUEUE_URL": f"sqlite:///{jobs}"}
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="e2e-matching", daemon=True)
    thread.start()
    running = Site(f"http://127.0.0.1:{server.server_port}", env, folder / "worker.log")
    try:
        yield running
    finally:
        running.stop_worker()
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        with app.app_context():
            db.engine.dispose()
        # The queue is one object per process: give it back to whoever configured it before.
        queue.configure(before[0], before[1])
        queue._app = before[2]


@pytest.fixture
def journey(browser, site: Site, artifacts: Path) -> Iterator[Journey]:
    """An English-speaking tab on this module's site (the tests read English messages), its
    console watched as the ``page`` fixture does."""
    context = browser.new_context(base_url=site.url, locale="en-US",
                                  viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    tab = context.new_page()
    console = Console()
    tab.on("console", lambda msg: msg.type == "error" and console.add(
        f"console error: {msg.text} ({msg.location.get('url', '')})"))
    tab.on("pageerror", lambda exc: console.problems.append(f"page error: {exc}"))
    tab.on("response", lambda res: res.status >= 400 and console.add(
        f"HTTP {res.status}: {res.request.method} {res.url}"))
    try:
        yield Journey(tab=tab, console=console, artifacts=artifacts)
    finally:
        context.close()


def _wait_until(tab, condition, what: str, seconds: float = 15) -> None:
    """Let the page run until ``condition()`` holds (Playwright handles events meanwhile)."""
    for _ in range(int(seconds * 5)):
        if condition():
            return
        tab.wait_for_timeout(200)
    raise AssertionError(f"waited {seconds} s for {what}")


def _bell_count(tab) -> int:
    """The unread count on the bell of the current page (0 when it shows none)."""
    badge = tab.get_by_test_id("unread-count")
    return int(badge.inner_text()) if badge.count() else 0


def _post_need(journey) -> str:
    """The caseworker posts a need for hearing aids for a household of the township and
    submits it; returns the need's URL."""
    from playwright.sync_api import expect

    tab = journey.tab
    journey.sign_in("caseworker_jishou", DEMO_PASSWORD)
    tab.get_by_role("navigation").locator('a[href="/households"]').first.click()
    tab.locator("main table a").filter(has_text=re.compile(r"^\d+$")).first.click()
    tab.get_by_test_id("needs-panel").locator('a[href$="/needs/new"]').click()
    tab.locator("#cause").select_option("disability")
    tab.locator("#urgency").select_option("normal")
    tab.locator("#deadline").fill((date.today() + timedelta(days=30)).isoformat())
    tab.locator("#lines-0-kind").select_option("goods")
    tab.locator("#lines-0-goods_item_id").select_option(
        journey.option_value("#lines-0-goods_item_id", ITEM))
    tab.locator("#lines-0-quantity").fill(NEEDED)
    tab.locator("main form").locator('[type="submit"]').click()
    expect(tab).to_have_url(re.compile(r"/needs/\d+$"))
    expect(tab.locator("main table tbody tr")).to_have_count(1)
    tab.get_by_test_id("step-submit").click()
    expect(tab.locator(".alert-success")).to_be_visible()
    url = tab.url
    journey.sign_out()
    return url


def _step(journey, need_url: str, step: str) -> None:
    from playwright.sync_api import expect

    tab = journey.tab
    tab.goto(need_url)
    tab.get_by_test_id(f"step-{step}").click()
    expect(tab).to_have_url(need_url)
    expect(tab.locator(".alert-success")).to_be_visible()


def _publish(journey, need_url: str) -> None:
    """The township reviewer passes the need; the county reviewer approves and publishes it."""
    journey.sign_in("reviewer_qianzhou", DEMO_PASSWORD)
    _step(journey, need_url, "review")
    journey.sign_out()
    journey.sign_in("reviewer_jishou", DEMO_PASSWORD)
    _step(journey, need_url, "approve")
    _step(journey, need_url, "publish")
    journey.shot("matching-need-published")
    journey.sign_out()


def _post_offer(journey) -> str:
    """湘西州阳光社工's staff offer hearing aids; returns the offer's URL."""
    from playwright.sync_api import expect

    tab = journey.tab
    journey.sign_in("provider_staff", DEMO_PASSWORD)
    tab.goto("/offers")
    tab.locator('main a[href="/offers/new/goods"]').click()
    tab.locator("#goods_item_id").select_option(journey.option_value("#goods_item_id", ITEM))
    tab.locator("#capacity").fill(OFFERED)
    tab.locator("#pickup_region_code").select_option(COUNTY)
    tab.locator("#condition").select_option("new")
    tab.locator("#publish").select_option("open")
    tab.locator("main form").locator('[type="submit"]').click()
    expect(tab).to_have_url(re.compile(r"/offers/\d+$"))
    expect(tab.locator(".alert-success")).to_be_visible()
    url = tab.url
    journey.sign_out()
    return url


def _start_run(journey, site: Site) -> str:
    """The prefecture's officer starts a run over the county for goods of the disability
    category, sees it wait for a worker, and watches the page follow it to the result once a
    worker process starts; returns the run's URL."""
    from playwright.sync_api import expect

    tab = journey.tab
    journey.sign_in("oversight_xx", DEMO_PASSWORD)
    tab.get_by_role("navigation").locator('a[href="/runs"]').first.click()
    tab.locator('main a[href="/runs/new"]').click()
    tab.locator("#region_code").select_option(COUNTY)
    tab.locator("#kinds").select_option(["goods"])
    tab.locator("#categories").select_option(["disability"])
    tab.locator("#time_limit_s").fill("10")
    polled: list[str] = []  # the statuses the page's own requests brought back
    tab.on("response", lambda res: "/progress.json" in res.url and res.ok
           and polled.append(res.json()["status"]))
    tab.locator("main form").locator('[type="submit"]').click()
    expect(tab).to_have_url(re.compile(r"/runs/\d+$"))
    url = tab.url
    status = tab.locator("#run-status")
    # No worker yet: the run waits in the queue, and the page says it follows the run.
    expect(status).to_have_attribute("data-active", "true")
    expect(status.locator('[data-field="status_label"]')).to_have_text("Waiting for a worker")
    expect(tab.locator("#run-review")).to_have_count(0)
    _wait_until(tab, lambda: len(polled) >= 2, "the page to ask for the run's progress")
    journey.shot("matching-run-queued")

    site.start_worker()
    # The page follows the run by itself (the test does not navigate) and shows the result.
    try:
        expect(tab.locator("#run-review")).to_be_visible(timeout=120_000)
    except AssertionError as exc:
        raise AssertionError(f"no result; the worker said:\n{site.log_tail()}") from exc
    assert tab.url == url
    assert polled[0] == "queued", polled
    expect(status.locator('[data-field="status_label"]')).to_have_text("Ready for review")
    expect(status.locator('[data-field="progress"]')).to_have_text("100")
    figures = tab.locator("#review-figures")
    expect(figures).to_contain_text("Optimiser")
    expect(figures).to_contain_text("Greedy baseline")
    expect(tab.locator("#review-counties")).to_contain_text("Jishou")
    # The bell tells the officer the run is finished.
    assert _bell_count(tab) >= 1
    journey.shot("matching-run-review")
    return url


def _commit(journey, run_url: str) -> None:
    """The officer approves the whole proposal."""
    from playwright.sync_api import expect

    tab = journey.tab
    tab.locator("#approve-all").locator('[type="submit"]').click()
    expect(tab).to_have_url(run_url)
    expect(tab.locator(".alert-success")).to_be_visible()
    expect(tab.locator("#review-commit")).to_contain_text("Approved: 1 allocation proposed to providers.")
    expect(tab.locator("#approve-all")).to_have_count(0)  # decided once
    journey.shot("matching-run-committed")
    journey.sign_out()


def _open_newest_notification(journey, text: str, shot: str) -> None:
    """Follow the bell to the notifications page and open the newest one, which says
    ``text``."""
    from playwright.sync_api import expect

    tab = journey.tab
    before = _bell_count(tab)
    assert before >= 1
    tab.get_by_test_id("bell").click()
    expect(tab).to_have_url(re.compile(r"/notifications$"))
    newest = tab.get_by_test_id("notifications").locator("li").first
    expect(newest).to_contain_text(text)
    journey.shot(f"matching-notifications-{shot}")
    newest.get_by_role("button", name="Open").click()
    expect(tab).not_to_have_url(re.compile(r"/notifications$"))
    assert _bell_count(tab) == before - 1  # opening it marked it read


def _accept_and_deliver(journey) -> Decimal:
    """The provider, told by the bell, accepts the allocation and delivers all of it; returns
    the quantity allocated."""
    from playwright.sync_api import expect

    tab = journey.tab
    journey.sign_in("provider_staff", DEMO_PASSWORD)
    _open_newest_notification(journey, "waiting for your acceptance", "provider")
    expect(tab).to_have_url(re.compile(r"/allocations$"))
    waiting = tab.locator('tr[data-testid^="waiting-"]').filter(has_text=CATEGORY)
    expect(waiting).to_have_count(1)
    allocation_id = waiting.get_attribute("data-testid").removeprefix("waiting-")
    tab.get_by_test_id(f"accept-{allocation_id}").click()
    expect(tab.locator(".alert-success")).to_be_visible()
    expect(tab.get_by_test_id(f"waiting-{allocation_id}")).to_have_count(0)
    tab.get_by_test_id(f"deliver-{allocation_id}").click()
    allocated = Decimal(tab.get_by_test_id("left").inner_text().split()[0])
    assert allocated > 0
    tab.locator("#delivered_on").fill(date.today().isoformat())
    tab.locator("#quantity").fill(str(allocated))
    tab.locator("#note").fill("Two hearing aids handed over at the township office.")
    tab.locator("main form").locator('[type="submit"]').first.click()
    expect(tab.locator(".alert-success")).to_be_visible()
    journey.shot("matching-delivered")
    journey.sign_out()
    return allocated


def _confirm_and_rate(journey, allocated: Decimal) -> None:
    """The caseworker, told by the bell, confirms the delivery with the household and records
    its satisfaction."""
    from playwright.sync_api import expect

    tab = journey.tab
    journey.sign_in("caseworker_jishou", DEMO_PASSWORD)
    _open_newest_notification(journey, "waiting for your confirmation", "caseworker")
    expect(tab).to_have_url(re.compile(r"/deliveries/\d+/confirm$"))
    delivery_id = re.search(r"/deliveries/(\d+)/", tab.url).group(1)
    expect(tab.get_by_test_id("delivered")).to_contain_text(f"{allocated:.2f}")
    tab.locator('input[name="outcome"][value="ok"]').check()
    tab.locator("#note").fill("Received; the household tried them on.")
    tab.locator("main form").locator('[type="submit"]').click()
    expect(tab.locator(".alert-success")).to_be_visible()
    tab.goto("/deliveries")
    expect(tab.get_by_test_id(f"confirm-row-{delivery_id}")).to_have_count(0)
    tab.get_by_test_id(f"rate-{delivery_id}").click()
    tab.locator('input[name="satisfaction"][value="5"]').check()
    tab.locator("#note").fill("Very satisfied.")
    tab.locator("main form").locator('[type="submit"]').click()
    expect(tab.locator(".alert-success")).to_be_visible()
    expect(tab.get_by_test_id(f"rate-{delivery_id}")).to_have_count(0)


def test_post_match_commit_accept_deliver_confirm(journey, site: Site) -> None:
    from playwright.sync_api import expect

    need_url = _post_need(journey)
    _publish(journey, need_url)
    _post_offer(journey)
    run_url = _start_run(journey, site)
    _commit(journey, run_url)
    allocated = _accept_and_deliver(journey)
    _confirm_and_rate(journey, allocated)

    # The whole line was allocated, delivered and confirmed: the need is fulfilled.
    assert allocated == Decimal(NEEDED)
    tab = journey.tab
    tab.goto(need_url)
    expect(tab.locator("main h1")).to_contain_text("Fulfilled")
    journey.shot("matching-need-fulfilled")
    journey.sign_out()
    assert journey.console.csp_violations() == []
    assert journey.console.problems == []
