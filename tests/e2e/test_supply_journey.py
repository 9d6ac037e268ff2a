"""Issue 5's journey in Chromium: an organisation applies through the public form, the
prefecture's oversight officer verifies it, its staff post a funds pledge, goods and service
capacity, and the officer signs and activates a purchase contract whose capacity then appears
as a service offer of the provider.

Everything is done through the pages as a person would (links, forms, buttons).
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

CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100: no I, O, S, V, Z
COUNTY = "433101"  # 吉首市


def gb11714(body8: str) -> str:
    """The 9-character organisation code: ``body8`` plus its GB 11714 check character."""
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(c, 36) * w for c, w in zip(body8, weights, strict=True))
    check = 11 - total % 11
    return body8 + {10: "X", 11: "0"}.get(check, str(check))


def gb32100(body17: str) -> str:
    """The 18-character unified social credit code: ``body17`` plus its check character.

    Written out here (not imported from the app) so that the test checks the app.
    """
    total = sum(CREDIT_ALPHABET.index(c) * pow(3, i, 31) for i, c in enumerate(body17))
    return body17 + CREDIT_ALPHABET[(31 - total % 31) % 31]


# 5 = registered with civil affairs, 2 = private non-enterprise unit, then the county and the
# organisation code.
CREDIT_CODE = gb32100("52" + COUNTY + gb11714("MA4QK7R2"))
ORG = "吉首市乾元社会工作服务中心"
USERNAME, PASSWORD = "qianyuan_sw", "Qianyuan-Xiangxi-2026"


def test_check_characters() -> None:
    """The helpers agree with published examples and give an 18-character code."""
    assert gb11714("D2143569") == "D2143569X"  # GB 11714-1997's worked example
    assert len(CREDIT_CODE) == 18 and all(c in CREDIT_ALPHABET for c in CREDIT_CODE)
    wrong = CREDIT_CODE[:-1] + next(c for c in CREDIT_ALPHABET if c != CREDIT_CODE[-1])
    assert gb32100(wrong[:-1]) != wrong


def _apply(journey) -> None:
    from playwright.sync_api import expect

    tab = journey.tab
    tab.goto("/")
    tab.locator('a[href="/organizations/apply"]').first.click()
    tab.locator("#name").fill(ORG)
    tab.locator("#type").select_option("contractor")
    tab.locator("#region_code").select_option(COUNTY)
    tab.locator("#service_area_codes").select_option([COUNTY])
    tab.locator("#description").fill("为吉首市困难家庭提供照料护理和社工服务。")
    tab.locator("#credit_code").fill(CREDIT_CODE)
    tab.locator("#qualifications").select_option(["social_worker", "care_worker"])
    tab.locator("#contact_name").fill("向乾元")
    tab.locator("#contact_phone").fill("0743-8526677")
    tab.locator("#username").fill(USERNAME)
    tab.locator("#password").fill(PASSWORD)
    journey.shot("apply")
    tab.locator("main form").locator('[type="submit"]').click()
    expect(tab.locator(".alert-success")).to_be_visible()
    expect(tab.locator(".is-invalid")).to_have_count(0)

    # Not verified yet: the new account cannot sign in.
    tab.goto("/login")
    tab.locator('input[name="username"]').fill(USERNAME)
    tab.locator('input[name="password"]').fill(PASSWORD)
    tab.locator("main form").locator('[type="submit"]').click()
    expect(tab).to_have_url(re.compile(r"/login"))
    expect(tab.get_by_test_id("whoami")).to_have_count(0)


def _verify(journey) -> None:
    from playwright.sync_api import expect

    tab = journey.tab
    journey.sign_in("oversight_xx", DEMO_PASSWORD)
    tab.locator("main").get_by_role("link", name=ORG).click()
    expect(tab.get_by_test_id("credit-code")).to_have_text(CREDIT_CODE)
    tab.locator('button[name="approve"], input[name="approve"]').click()
    expect(tab.locator(".alert-success")).to_be_visible()
    expect(tab.locator("main")).not_to_contain_text(ORG)  # no longer awaiting verification
    journey.sign_out()


def _offer(journey, kind: str, fields: dict[str, str | list[str]]) -> None:
    """Open the offer form of ``kind`` from the offers page, fill it, open the offer."""
    from playwright.sync_api import expect

    tab = journey.tab
    tab.goto("/offers")
    tab.locator(f'main a[href="/offers/new/{kind}"]').click()
    for name, value in fields.items():
        field = tab.locator(f"#{name}")
        if field.evaluate("el => el.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    tab.locator("#publish").select_option("open")
    tab.locator("main form").locator('[type="submit"]').click()
    expect(tab).to_have_url(re.compile(r"/offers/\d+$"))
    expect(tab.locator(".alert-success")).to_be_visible()


def _post_offers(journey) -> None:
    from playwright.sync_api import expect

    tab = journey.tab
    journey.sign_in(USERNAME, PASSWORD)
    expect(tab.get_by_test_id("whoami")).to_contain_text("向乾元")
    _offer(journey, "funds", {"capacity": "8800", "funds_source": "own_funds",
                              "categories": ["medical", "education"]})
    tab.goto("/offers/new/goods")
    rice = journey.option_value("#goods_item_id", "大米")
    _offer(journey, "goods", {
        "goods_item_id": rice, "capacity": "150", "pickup_region_code": COUNTY,
        "condition": "new", "expiry_date": (date.today() + timedelta(days=120)).isoformat()})
    tab.goto("/offers/new/services")
    care = journey.option_value("#service_type_id", "照料护理")
    _offer(journey, "services", {
        "service_type_id": care, "capacity": "60", "regions": [COUNTY],
        "qualifications": ["care_worker"], "unit_price": "45"})
    tab.goto("/offers")
    rows = tab.locator('main tr[data-testid^="offer-row-"]')
    expect(rows).to_have_count(3)
    for capacity in ("8800.00", "150.00 千克", "60.00 小时"):
        expect(rows.filter(has_text=capacity)).to_have_count(1)
    journey.shot("offers")
    journey.sign_out()


def _contract(journey) -> str:
    """The officer drafts, signs and activates a contract; returns the contract's URL."""
    from playwright.sync_api import expect

    tab = journey.tab
    journey.sign_in("oversight_xx", DEMO_PASSWORD)
    tab.get_by_role("navigation").locator('a[href="/contracts"]').first.click()
    tab.locator('main a[href="/contracts/new"]').click()
    today = date.today()
    tab.locator("#title").fill("2026年吉首市困难家庭居家照料护理服务项目")
    tab.locator("#region_code").select_option(COUNTY)
    tab.locator("#provider_id").select_option(journey.option_value("#provider_id", ORG))
    tab.locator("#period_start").fill(today.isoformat())
    tab.locator("#period_end").fill((today + timedelta(days=180)).isoformat())
    tab.locator("#budget").fill("9000")
    care = journey.option_value("#lines-0-service_type_id", "照料护理")
    tab.locator("#lines-0-service_type_id").select_option(care)
    tab.locator("#lines-0-unit_price").fill("45")
    tab.locator("#lines-0-quantity").fill("200")
    tab.locator("#target_hours_delivered").fill("200")
    tab.locator("main form").locator('[type="submit"]').click()
    expect(tab).to_have_url(re.compile(r"/contracts/\d+$"))
    status = tab.get_by_test_id("contract-status")
    seen = [status.inner_text()]
    url = tab.url
    for step in ("signed", "active"):
        # The status form offers only the steps allowed from the current status.
        expect(tab.locator(f'#to option[value="{step}"]')).to_have_count(1)
        tab.locator("#to").select_option(step)
        tab.locator('form[action$="/status"]').locator('[type="submit"]').click()
        expect(tab).to_have_url(url)
        expect(tab.locator(".alert-success")).to_be_visible()
        expect(status).not_to_have_text(seen[-1])
        seen.append(status.inner_text())
    expect(tab.locator('#to option[value="signed"]')).to_have_count(0)
    expect(tab.locator('#to option[value="active"]')).to_have_count(0)
    expect(tab.get_by_test_id("budget-figures")).to_contain_text("9,000.00 元")
    journey.shot("contract-active")
    journey.sign_out()
    return url


def test_apply_verify_offer_contract(journey) -> None:
    from playwright.sync_api import expect

    tab = journey.tab
    _apply(journey)
    _verify(journey)
    _post_offers(journey)
    contract_url = _contract(journey)

    # The provider sees the contract's capacity as a service offer of its own.
    journey.sign_in(USERNAME, PASSWORD)
    tab.goto(contract_url)
    offers = tab.locator("main ul").filter(has_text="照料护理")
    expect(offers).to_contain_text("200.00")
    tab.goto("/offers")
    rows = tab.locator('main tr[data-testid^="offer-row-"]')
    expect(rows).to_have_count(4)
    contracted = rows.filter(has_text="200.00 小时")
    expect(contracted).to_have_count(1)
    expect(contracted).to_contain_text("照料护理")
    expect(contracted.locator('[data-testid^="remaining-"]')).to_have_text(re.compile(r"^200"))
    journey.shot("contract-offers")

    assert journey.console.csp_violations() == []
    assert journey.console.problems == []
