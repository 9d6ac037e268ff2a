"""Issue 4's journey in Chromium: a caseworker registers a family, assesses it and posts a need
in funds + goods + services; the township and county reviewers pass and approve it; the
signed-out public board shows it by county, with no personal data.

Everything is done through the pages as a person would (links, forms, buttons), never through
services, so the test fails when a page, a form or a workflow button breaks.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest

from marketplace.seed import DEMO_PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is missing "
                       "(as root: apt-get install chromium fonts-wqy-microhei)"),
]

TOWNSHIP = "433101001"  # 乾州街道, 吉首市
COUNTY_NAME = "吉首市"


def gb11643(first17: str) -> str:
    """The full ID number: ``first17`` plus its GB 11643-1999 check character.

    Written out here (not imported from the app) so the test is an independent check.
    """
    weights = [2 ** (17 - i) % 11 for i in range(17)]
    total = sum(int(digit) * weight for digit, weight in zip(first17, weights, strict=True))
    return first17 + "10X98765432"[total % 11]


# 17th digit odd = man, even = woman; birth dates unlike the demo data's.
HEAD = {"name": "龙远山", "born": "1979-03-17", "sex": "male", "phone": "13974318826",
        "id": gb11643("433101" "19790317" "517")}
SPOUSE = {"name": "石秀英", "born": "1982-11-05", "sex": "female", "phone": "",
          "id": gb11643("433101" "19821105" "528")}
ADDRESS = "乾州街道世纪大道88号3栋2单元"
FUNDS, GOODS, HOURS = "2345.67", "37", "19"
FUNDS_SHOWN = "2,345.67 元"  # amounts read with grouped thousands and 元 (catalog/units.py)


def test_known_check_digits() -> None:
    """The helper agrees with the standard's published example (GB 11643-1999 appendix)."""
    assert gb11643("11010519491231002") == "11010519491231002X"
    assert HEAD["id"][16] in "13579" and SPOUSE["id"][16] in "02468"


def _fill_member(tab, index: int, person: dict, relation: str) -> None:
    prefix = f"#members-{index}-"
    tab.locator(prefix + "name").fill(person["name"])
    tab.locator(prefix + "id_number").fill(person["id"])
    tab.locator(prefix + "relation").select_option(relation)
    tab.locator(prefix + "sex").select_option(person["sex"])
    tab.locator(prefix + "birth_date").fill(person["born"])
    if person["phone"]:
        tab.locator(prefix + "phone").fill(person["phone"])


def _register(journey) -> str:
    """Register the household through the form; returns the household page's URL."""
    from playwright.sync_api import expect

    tab = journey.tab
    tab.get_by_role("navigation").locator('a[href="/households"]').first.click()
    tab.locator('a[href="/households/new"]').first.click()
    form = tab.get_by_test_id("register-household")
    form.locator("#region_code").select_option(TOWNSHIP)
    form.locator("#address_detail").fill(ADDRESS)
    form.locator("#group-dibao").check()
    form.locator("#group-seriously_ill").check()
    _fill_member(tab, 0, HEAD, "head")
    _fill_member(tab, 1, SPOUSE, "spouse")
    tab.locator("#members-1-health").select_option("serious_illness")
    tab.locator("#members-1-work_ability").select_option("none")
    journey.shot("household-form")
    form.locator('[type="submit"]').click()
    expect(tab).to_have_url(re.compile(r"/households/\d+$"))
    members = tab.get_by_test_id("members")
    expect(members).to_contain_text(HEAD["name"])
    expect(members).to_contain_text(SPOUSE["name"])
    # Shown masked on the household page: the full number only after "show full number".
    expect(members).not_to_contain_text(HEAD["id"])
    expect(members).to_contain_text(HEAD["id"][:4])
    return tab.url


def _assess(journey) -> None:
    from playwright.sync_api import expect

    tab = journey.tab
    tab.locator('a[href$="/assessments/new"]').click()
    tab.locator("#members_counted").fill("2")
    tab.locator("#wages").fill("300")
    tab.locator("#farming").fill("120")
    tab.locator("#medical").fill("200")
    tab.locator("#deposits").fill("3000")
    tab.locator("main form").locator('[type="submit"]').click()
    expect(tab).to_have_url(re.compile(r"/assessments/\d+$"))
    expect(tab.get_by_test_id("proposal")).to_be_visible()
    expect(tab.get_by_test_id("proposal")).to_contain_text(re.compile(r"\d"))
    # The working: each rule's steps as a numbered list the caseworker can read out.
    working = tab.locator("main section ol li")
    assert working.count() >= 3
    # (300 wages + 120 farming − 200 medical) ÷ 2 members = 110.00 per person and month.
    expect(working.filter(has_text="110.00")).not_to_have_count(0)
    journey.shot("assessment")
    tab.locator('main a[href^="/households/"]').first.click()


def _line(tab, index: int, kind: str, **fields: str) -> None:
    prefix = f"#lines-{index}-"
    tab.locator(prefix + "kind").select_option(kind)
    for name, value in fields.items():
        field = tab.locator(prefix + name)
        if name in ("category", "goods_item_id", "service_type_id"):
            field.select_option(value)
        else:
            field.fill(value)


def _post_need(journey) -> str:
    """Post the need with one line of each kind and submit it; returns the need's URL."""
    from playwright.sync_api import expect

    tab = journey.tab
    tab.get_by_test_id("needs-panel").locator('a[href$="/needs/new"]').click()
    tab.locator("#cause").select_option("illness")
    tab.locator("#urgency").select_option("normal")
    tab.locator("#deadline").fill((date.today() + timedelta(days=20)).isoformat())
    rice = journey.option_value("#lines-1-goods_item_id", "大米")
    care = journey.option_value("#lines-2-service_type_id", "照料护理")
    _line(tab, 0, "funds", category="medical", quantity=FUNDS)
    _line(tab, 1, "goods", goods_item_id=rice, quantity=GOODS)
    _line(tab, 2, "services", service_type_id=care, quantity=HOURS,
          window_start=date.today().isoformat(),
          window_end=(date.today() + timedelta(days=60)).isoformat())
    tab.locator("main form").locator('[type="submit"]').click()
    expect(tab).to_have_url(re.compile(r"/needs/\d+$"))
    rows = tab.locator("main table tbody tr")
    expect(rows).to_have_count(3)
    expect(tab.locator("main table")).to_contain_text(FUNDS_SHOWN)
    tab.get_by_test_id("step-submit").click()
    expect(tab.locator(".alert-success")).to_be_visible()
    expect(tab.get_by_test_id("step-submit")).to_have_count(0)
    journey.shot("need-submitted")
    return tab.url


def _step(journey, need_url: str, step: str) -> None:
    from playwright.sync_api import expect

    tab = journey.tab
    tab.goto(need_url)
    tab.get_by_test_id(f"step-{step}").click()
    expect(tab).to_have_url(need_url)
    expect(tab.locator(".alert-success")).to_be_visible()
    expect(tab.get_by_test_id(f"step-{step}")).to_have_count(0)


def test_register_assess_post_review_approve_publish(journey) -> None:
    from playwright.sync_api import expect

    tab = journey.tab
    journey.sign_in("caseworker_jishou", DEMO_PASSWORD)
    _register(journey)
    _assess(journey)
    need_url = _post_need(journey)
    journey.sign_out()

    journey.sign_in("reviewer_qianzhou", DEMO_PASSWORD)
    _step(journey, need_url, "review")
    journey.sign_out()

    journey.sign_in("reviewer_jishou", DEMO_PASSWORD)
    _step(journey, need_url, "approve")
    _step(journey, need_url, "publish")
    journey.shot("need-published")
    journey.sign_out()

    # The public board, signed out: filter to the county, newest first.
    tab.goto("/board")
    tab.locator("#region").select_option(journey.option_value("#region", COUNTY_NAME))
    tab.locator("#sort").select_option("newest")
    tab.locator("main form").get_by_role("button").click()
    board = tab.get_by_test_id("board")
    expect(board).to_contain_text(FUNDS_SHOWN)
    journey.shot("board")
    rows = tab.get_by_test_id("board-row")
    # One row per line, each placed by county only, with the amount or quantity and its item.
    for amount, item in ((FUNDS_SHOWN, "医疗"), (f"{GOODS}.00 千克", "大米"),
                         (f"{HOURS}.00 小时", "照料护理")):
        row = rows.filter(has_text=amount)
        expect(row).to_have_count(1)
        expect(row).to_contain_text(COUNTY_NAME)
        expect(row).to_contain_text(item)
        expect(row).to_contain_text("0.00 (0%)")

    html = tab.content()
    for secret in (HEAD["name"], SPOUSE["name"], HEAD["id"], SPOUSE["id"], HEAD["phone"],
                   HEAD["id"][-8:], ADDRESS, "世纪大道"):
        assert secret not in html, f"the public board leaks {secret!r}"

    assert journey.console.csp_violations() == []
    assert journey.console.problems == []
