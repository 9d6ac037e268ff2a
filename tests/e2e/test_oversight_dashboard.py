"""The balance dashboard in Chromium: an officer rebuilds the summary, the trend and category
charts and the county map are drawn under the strict CSP, and a screenshot is kept."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from marketplace.seed import DEMO_PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is missing "
                       "(as root: apt-get install chromium fonts-wqy-microhei)"),
]


#: Counts the pixels of a canvas that are neither transparent nor near white.
COLOURED = """canvas => {
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let n = 0;
  for (let i = 0; i < data.length; i += 4) {
    if (data[i + 3] > 0 && (data[i] < 230 || data[i + 1] < 230 || data[i + 2] < 230)) { n++; }
  }
  return n;
}"""


def test_dashboard_draws_its_charts_and_map(journey):
    from playwright.sync_api import expect

    tab = journey.tab
    journey.sign_in("oversight_hn", DEMO_PASSWORD)
    # The officer's card links to the dashboard of the province.
    card = tab.get_by_test_id("balance-card")
    expect(card).to_be_visible()
    card.get_by_role("link").click()
    expect(tab).to_have_url(re.compile(r"/oversight/balance/430000$"))
    # The demo has no summary yet: rebuild it now (the test server runs jobs at once).
    tab.locator("#refresh-form button").click()
    expect(tab.locator("#as-of")).to_be_visible()

    for kind in ("trend", "categories", "map"):
        chart = tab.locator(f'[data-oversight-chart="{kind}"]')
        expect(chart).to_have_attribute("data-rendered", "true", timeout=15_000)
        expect(chart.locator("canvas").first).to_be_visible()
    # Every chart has its table, with the same counties.
    expect(tab.locator("#trend-table tbody tr").first).to_be_visible()
    expect(tab.locator("#category-table tbody tr").first).to_be_visible()
    counties = tab.locator("#county-table tbody th")
    expect(counties.first).to_be_visible()
    # The map is drawn: its canvas has many coloured (not white, not transparent) pixels.
    coloured = tab.locator('[data-oversight-chart="map"] canvas').first.evaluate(COLOURED)
    assert coloured > 10_000

    tab.screenshot(path=str(journey.artifacts / "oversight-dashboard.png"), full_page=True)
    assert journey.console.problems == []

    # Drill down to a county from the children table, then its map still draws.
    tab.locator("#children-table a", has_text="湘西").click()
    expect(tab).to_have_url(re.compile(r"/oversight/balance/433100"))
    expect(tab.locator('[data-oversight-chart="map"]')).to_have_attribute(
        "data-rendered", "true", timeout=15_000)
    tab.locator('[data-oversight-chart="map"]').screenshot(
        path=str(journey.artifacts / "oversight-map-xiangxi.png"))
    assert journey.console.problems == []


def test_public_page_shows_tables_and_no_map(page, artifacts):
    from playwright.sync_api import expect

    tab, console = page
    tab.goto("/transparency")
    expect(tab.locator("#top-figures")).to_be_visible()
    expect(tab.locator("#overdue-box")).to_be_visible()
    # one row per county (every county of Hunan, zeros where nothing happened)
    expect(tab.locator("#public-counties tr[data-county]")).to_have_count(122)
    assert tab.locator("[data-oversight-chart]").count() == 0  # no map on the public page
    tab.screenshot(path=str(artifacts / "transparency.png"), full_page=True)
    # a county's own page lists its categories; the period form keeps the county
    tab.locator('tr[data-county="433123"] a').click()
    expect(tab).to_have_url(re.compile(r"/transparency\?county=433123"))
    expect(tab.locator("#top-figures")).to_be_visible()
    tab.locator("#period-form button[type=submit]").click()
    expect(tab).to_have_url(re.compile(r"county=433123"))
    assert tab.locator("[data-oversight-chart]").count() == 0
    tab.screenshot(path=str(artifacts / "transparency-county.png"), full_page=True)
    assert console.problems == []
