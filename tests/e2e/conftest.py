"""Fixtures for the browser tests: the demo site served in a thread, one headless Chromium.

Deliberately plain (no pytest-playwright): a werkzeug server on a free loopback port, a fresh
SQLite file migrated and seeded like ``flask seed-demo``, and Debian's /usr/bin/chromium
driven by the Playwright Python package (``playwright install`` is never needed).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"


class _QuietHandler(WSGIRequestHandler):
    """Keeps the per-request access log out of the test output."""

    def log_request(self, *args, **kwargs) -> None:
        pass


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of the demo site, on a fresh SQLite database with the demo data seeded."""
    from flask_migrate import upgrade

    from marketplace import create_app
    from marketplace.extensions import db
    from marketplace.regions.services import load_divisions
    from marketplace.seed import seed_demo

    database = tmp_path_factory.mktemp("e2e") / "e2e.db"
    app = create_app({
        "NUANXIN_ENV": "testing",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
        "SECRET_KEY": "e2e",
        "WTF_CSRF_ENABLED": True,
    })
    with app.app_context():
        upgrade(revision="heads")  # areas branch from shared revisions: upgrade every head
        load_divisions()
        seed_demo()
        db.session.commit()
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="e2e-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole session."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium fonts-wqy-microhei)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Console:
    """What the browser reported: console errors, uncaught exceptions and HTTP errors."""

    problems: list[str] = field(default_factory=list)

    def add(self, problem: str) -> None:
        # Chromium asks for /favicon.ico by itself on some pages; the site declares no icon,
        # so that 404 says nothing about the page under test.
        if "/favicon.ico" not in problem:
            self.problems.append(problem)

    def csp_violations(self) -> list[str]:
        return [p for p in self.problems if re.search(r"Content Security Policy", p, re.I)]


@pytest.fixture
def page(browser, live_server: str):
    """A new Chinese-speaking browser tab on the demo site, with its console watched.

    Yields ``(page, console)``; the test asserts ``console.problems == []`` at its end so
    that a CSP violation or JavaScript error fails the test itself, not its teardown.
    """
    context = browser.new_context(
        base_url=live_server, locale="zh-CN", viewport={"width": 1280, "height": 900},
    )
    context.set_default_timeout(10_000)
    tab = context.new_page()
    console = Console()
    tab.on("console", lambda msg: msg.type == "error" and console.add(
        f"console error: {msg.text} ({msg.location.get('url', '')})"))
    tab.on("pageerror", lambda exc: console.problems.append(f"page error: {exc}"))
    # Failed requests are caught by status: "requestfailed" also fires for loads that a
    # navigation aborts (net::ERR_ABORTED), which is normal when a form submits quickly.
    tab.on("response", lambda res: res.status >= 400 and console.add(
        f"HTTP {res.status}: {res.request.method} {res.url}"))
    try:
        yield tab, console
    finally:
        context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """test-artifacts/e2e/, where the screenshots go (gitignored)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@dataclass
class Journey:
    """Steps a person takes in the browser, shared by the journey tests."""

    tab: object
    console: Console
    artifacts: Path

    def sign_in(self, username: str, password: str) -> None:
        """Sign in through the login form and wait for the dashboard."""
        from playwright.sync_api import expect

        self.tab.goto("/login")
        self.tab.locator('input[name="username"]').fill(username)
        self.tab.locator('input[name="password"]').fill(password)
        self.tab.locator("main form").locator('[type="submit"]').click()
        expect(self.tab).to_have_url(re.compile(r"/dashboard$"))

    def sign_out(self) -> None:
        """Press the sign-out button in the header."""
        from playwright.sync_api import expect

        self.tab.locator('form[action="/logout"] button').click()
        expect(self.tab.get_by_test_id("whoami")).to_have_count(0)

    def shot(self, name: str) -> None:
        """Full-page screenshot test-artifacts/e2e/journey-<name>.png."""
        self.tab.screenshot(path=str(self.artifacts / f"journey-{name}.png"), full_page=True)

    def option_value(self, select: str, text: str) -> str:
        """The value of the option of ``select`` (a CSS selector) whose label contains text."""
        option = self.tab.locator(f"{select} option", has_text=text).first
        return option.get_attribute("value")

    def flash(self):
        """The flash messages area of the current page (success and error alerts)."""
        return self.tab.locator(".alert")


@pytest.fixture
def journey(page, artifacts: Path) -> Journey:
    """A :class:`Journey` on a fresh tab (its console is watched by ``page``)."""
    tab, console = page
    return Journey(tab=tab, console=console, artifacts=artifacts)
