"""Every kind of demo user signs in through the real form in Chromium, sees their dashboard
in Chinese and English, and signs out; the strict CSP must hold on every page."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from marketplace.seed import DEMO_PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is missing "
                       "(as root: apt-get install chromium fonts-wqy-microhei)"),
]

CJK = re.compile(r"[\u4e00-\u9fff]")
EN_TITLE = "What needs my attention"
PENDING_ORG = "吉首市社区养老服务社"


def _expect():
    from playwright.sync_api import expect

    return expect


def _admin(page, lang: str) -> None:
    expect = _expect()
    nav = page.get_by_role("navigation", name=re.compile(r"."))
    accounts = "Accounts" if lang == "en" else "账号管理"
    expect(nav.get_by_role("link", name=accounts, exact=True)).to_be_visible()
    expect(page.get_by_test_id("pending-count")).to_be_visible()


def _oversight(page, lang: str) -> None:
    expect = _expect()
    expect(page.locator("main").get_by_role("link", name=PENDING_ORG)).to_be_visible()
    expect(page.get_by_test_id("pending-count")).to_have_text("1")
    expect(page.locator('a[href="/admin/users"]')).to_have_count(0)


def _no_oversight(display_name: str) -> Callable:
    def check(page, lang: str) -> None:
        expect = _expect()
        expect(page.get_by_test_id("whoami")).to_contain_text(display_name)
        expect(page.get_by_test_id("pending-count")).to_have_count(0)
        expect(page.locator("main")).not_to_contain_text(PENDING_ORG)
        expect(page.locator('a[href="/admin/users"]')).to_have_count(0)

    return check


ROLES: dict[str, Callable] = {
    "admin": _admin,
    "oversight_xx": _oversight,
    "reviewer_jishou": _no_oversight("吉首市民政局 田审核"),
    "caseworker_fenghuang": _no_oversight("凤凰县 社工 吴刚"),
    "charity_staff": _no_oversight("湖南省暖心慈善基金会"),
}


def _sign_in(page, username: str, password: str) -> None:
    page.goto("/login")
    page.locator('input[name="username"]').fill(username)
    page.locator('input[name="password"]').fill(password)
    page.locator("main form").locator('[type="submit"]').click()


def _check_chinese(page) -> None:
    expect = _expect()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.get_by_test_id("dashboard-title")).to_have_text(CJK)
    expect(page.get_by_test_id("dashboard-title")).not_to_have_text(EN_TITLE)
    expect(page.get_by_test_id("lang-en")).not_to_have_attribute("aria-current", "true")


@pytest.mark.parametrize("username", list(ROLES))
def test_role_dashboard_in_both_languages(page, artifacts: Path, username: str) -> None:
    expect = _expect()
    tab, console = page
    _sign_in(tab, username, DEMO_PASSWORD)
    expect(tab).to_have_url(re.compile(r"/dashboard$"))

    _check_chinese(tab)
    ROLES[username](tab, "zh_CN")
    tab.screenshot(path=str(artifacts / f"{username}-zh_CN.png"), full_page=True)

    tab.get_by_test_id("lang-en").click()
    expect(tab).to_have_url(re.compile(r"/dashboard$"))
    expect(tab.locator("html")).to_have_attribute("lang", "en")
    expect(tab.get_by_test_id("lang-en")).to_have_attribute("aria-current", "true")
    expect(tab.get_by_test_id("dashboard-title")).to_have_text(EN_TITLE)
    expect(tab.locator('form[action="/logout"] button')).to_have_text("Sign out")
    ROLES[username](tab, "en")
    tab.screenshot(path=str(artifacts / f"{username}-en.png"), full_page=True)

    tab.get_by_test_id("lang-zh_CN").click()
    expect(tab).to_have_url(re.compile(r"/dashboard$"))
    _check_chinese(tab)

    tab.locator('form[action="/logout"] button').click()
    expect(tab).not_to_have_url(re.compile(r"/dashboard"))
    expect(tab.get_by_test_id("whoami")).to_have_count(0)
    expect(tab.get_by_role("alert")).to_contain_text(CJK)
    tab.goto("/dashboard")
    expect(tab).to_have_url(re.compile(r"/login"))

    assert console.csp_violations() == []
    assert console.problems == []


def test_wrong_password_shows_generic_error(page) -> None:
    expect = _expect()
    tab, console = page
    tab.goto("/login")
    tab.get_by_test_id("lang-en").click()
    for username, password in [("admin", "not-the-password"), ("nobody_here", DEMO_PASSWORD)]:
        _sign_in(tab, username, password)
        expect(tab).to_have_url(re.compile(r"/login$"))
        expect(tab.get_by_role("alert")).to_have_text("Wrong username or password.")
        expect(tab.locator('input[name="password"]')).to_have_value("")
        expect(tab.get_by_test_id("whoami")).to_have_count(0)
    assert console.problems == []


def test_chinese_button_marked_current(page) -> None:
    """The 中文 button is highlighted (aria-current) while the page is in Chinese."""
    tab, _console = page
    tab.goto("/login")
    expect = _expect()
    expect(tab.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(tab.get_by_test_id("lang-zh_CN")).to_have_attribute("aria-current", "true",
                                                                timeout=2_000)
