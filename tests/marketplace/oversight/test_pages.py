"""The balance pages, exports, card and public page against the hand-computed fixture
(tests/marketplace/balance/fixture.py; period 2026, months 1–3)."""

from __future__ import annotations

import csv
import io
import json
import re
from html import unescape

import pytest
from sqlalchemy import select

from marketplace.extensions import db
from tests.marketplace.balance.fixture import build_balance_fixture

EN = {"Accept-Language": "en"}
PERIOD = "year=2026&from=1&to=3"


@pytest.fixture
def fixture(app, demo):
    from marketplace.balance.refresh import refresh

    with app.app_context():
        fx = build_balance_fixture()
        refresh(now=fx["now"])
        db.session.remove()
    return fx


def figure(body: str, name: str, group: str | None = None) -> str:
    """The text of the element carrying ``data-figure=name`` (and ``data-group``)."""
    attrs = f'data-group="{group}" data-figure="{name}"' if group else f'data-figure="{name}"'
    match = re.search(rf'{attrs}>(.*?)</', body, re.S)
    assert match, f"no figure {name}"
    return unescape(re.sub(r"<[^>]+>", "", match.group(1))).strip()


def chart(body: str, kind: str) -> dict:
    match = re.search(rf'data-oversight-chart="{kind}" data-chart="([^"]*)"', body)
    assert match, f"no chart {kind}"
    return json.loads(unescape(match.group(1)))


def page(login, username: str, url: str) -> str:
    response = login(username).get(url, headers=EN)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def test_province_page_shows_the_hand_computed_figures(login, fixture):
    body = page(login, "oversight_hn", f"/oversight/balance/430000?{PERIOD}")
    # 12:00 UTC in China time (CLDR puts a narrow no-break space before PM)
    assert re.search(r"Figures as of 3/31/26, 8:00\s?PM", body, re.U)
    assert figure(body, "needs_published") == "4"
    assert figure(body, "coverage") == "68.2%"  # 15/22
    assert figure(body, "worst") == "Fenghuang County · 62.5%"
    assert figure(body, "gini") == "0.1154"  # 3/26
    assert figure(body, "median_days") == "13.5"
    assert figure(body, "households") == "2"
    assert figure(body, "persons") == "5"
    assert figure(body, "goods") == "4.00"
    assert figure(body, "hours") == "10.00"
    assert figure(body, "funds") == "0.00 CNY"
    assert figure(body, "per_capita") == "0.00 CNY, 0.80 units, 2.00 hours"
    assert figure(body, "per_household") == "0.00 CNY, 2.00 units, 5.00 hours"
    assert figure(body, "overdue_needs") == "1"
    assert figure(body, "overdue_acceptances") == "0"
    assert figure(body, "overdue_deliveries") == "0"
    # urban vs rural side by side
    assert figure(body, "coverage", "urban") == "100.0%"
    assert figure(body, "coverage", "rural") == "62.5%"
    assert figure(body, "persons", "urban") == "2"
    assert figure(body, "persons", "rural") == "3"
    # children: the prefectures, with links down
    assert 'href="/oversight/balance/433100?year=2026&amp;from=1&amp;to=3">Xiangxi' in body
    assert 'href="/oversight/balance/430100?year=2026&amp;from=1&amp;to=3">Changsha' in body


def test_province_charts_carry_the_same_figures_as_their_tables(login, fixture):
    body = page(login, "oversight_hn", f"/oversight/balance/430000?{PERIOD}")
    trend = chart(body, "trend")
    assert trend["months"] == ["2026-01", "2026-02", "2026-03"]
    assert trend["coverage"] == [47.5, 100.0, None]  # 1.9/4.0, 2.6/2.6
    assert trend["worst"] == [30.0, 100.0, None]
    assert trend["gini"] == [0.2692, None, None]  # 7/26; one county in February
    assert "<th scope=\"row\">2026-01</th><td>3</td><td>47.5%</td>" in body
    categories = chart(body, "categories")
    assert categories["labels"] == ["Funds · Basic living", "Goods · Clothing and bedding",
                                    "Services · Care"]
    assert categories["coverage"] == [30.0, 100.0, 100.0]  # 600/(1000+500) by priority
    mapped = chart(body, "map")
    assert mapped["url"] == "/static/data/hunan-counties.geojson"
    assert [(d["name"], d["value"]) for d in mapped["data"]] == [("433123", 62.5),
                                                                ("430102", 100.0)]
    assert "120 counties without needs in the period are not listed." in body


def test_prefecture_and_county_pages_drill_down(login, fixture):
    xiangxi = page(login, "oversight_xx", f"/oversight/balance/433100?{PERIOD}")
    assert figure(xiangxi, "coverage") == "62.5%"
    assert figure(xiangxi, "needs_published") == "3"
    assert 'href="/oversight/balance/433123?year=2026&amp;from=1&amp;to=3">Fenghuang' in xiangxi
    assert "Furong" not in xiangxi and "芙蓉" not in xiangxi
    county = page(login, "oversight_xx", f"/oversight/balance/433123?{PERIOD}")
    assert figure(county, "coverage") == "62.5%"
    assert figure(county, "overdue_needs") == "1"
    assert 'id="children-table"' not in county  # a county is the leaf
    assert [d["name"] for d in chart(county, "map")["data"]] == ["433123"]
    # the breadcrumb links back up to the prefecture, not to the province above the officer
    assert 'href="/oversight/balance/433100?year=2026&amp;from=1&amp;to=3"' in county
    assert 'href="/oversight/balance/430000' not in county
    assert '<li class="breadcrumb-item">Hunan</li>' in county


def test_out_of_scope_officer_gets_none_of_the_figures(login, fixture):
    response = login("oversight_xx").get(f"/oversight/balance/430100?{PERIOD}", headers=EN)
    assert response.status_code == 404
    body = response.get_data(as_text=True)
    assert "Furong" not in body and "100.0%" not in body
    response = login("reviewer_jishou").get(f"/oversight/balance/433123?{PERIOD}", headers=EN)
    assert response.status_code == 404
    assert "62.5" not in response.get_data(as_text=True)


def test_children_export_as_csv_with_bom(app, login, fixture):
    response = login("oversight_hn").get(
        f"/oversight/balance/430000/export/children.csv?{PERIOD}", headers=EN)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    header = rows[0]
    assert header[:4] == ["Code", "Region", "Urban or rural", "Needs posted"]
    by_code = {r[0]: dict(zip(header, r, strict=True)) for r in rows[1:]}
    assert len(by_code) == 14
    assert by_code["433100"]["Coverage (%)"] == "62.5"
    assert by_code["433100"]["Overdue needs"] == "1"
    assert by_code["430100"]["Service hours delivered"] == "10.00"
    assert by_code["430200"]["Coverage (%)"] == ""  # no needs: no coverage, not 0
    from marketplace.audit.models import AuditEvent

    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "export.balance"))
        assert (event.object_type, event.object_id, event.region_code) == (
            "regions", "430000", "430000")
        assert event.after == {"table": "children", "format": "csv", "year": 2026, "from": 1,
                               "to": 3, "rows": 14}


@pytest.mark.parametrize("table, rows", [("children", 14), ("categories", 3), ("trend", 3),
                                         ("urban_rural", 2), ("counties", 122)])
def test_every_table_exports_as_xlsx(login, fixture, table, rows):
    openpyxl = pytest.importorskip("openpyxl")
    response = login("oversight_hn").get(
        f"/oversight/balance/430000/export/{table}.xlsx?{PERIOD}", headers=EN)
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.get_data()), read_only=True)
    values = list(book.active.iter_rows(values_only=True))
    assert len(values) == rows + 1
    if table == "trend":
        assert values[1][:3] == ("2026-01", 3, 47.5)
        assert values[1][5] == pytest.approx(0.2692)


def county_row(body: str, code: str) -> list[str]:
    """The cells (name first) of the public page's row of county ``code``."""
    match = re.search(rf'<tr data-county="{code}">(.*?)</tr>', body, re.S)
    assert match, f"no row for {code}"
    cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", match.group(1), re.S)
    return [unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in cells]


def test_public_page_shows_aggregates_only(app, client, fixture):
    response = client.get(f"/transparency?{PERIOD}", headers=EN)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert figure(body, "needs_published") == "4"
    assert figure(body, "coverage") == "68.2%"
    assert figure(body, "median_days") == "13.5"
    assert figure(body, "overdue_needs") == "1"
    # one row per county: needs, coverage, funds, goods, hours, households (fixture.py)
    assert county_row(body, "433123") == ["Fenghuang County", "3", "62.5%", "0.00 CNY",
                                          "4.00", "0.00", "1"]
    assert county_row(body, "430102") == ["Furong District", "1", "100.0%", "0.00 CNY",
                                          "0.00", "10.00", "1"]
    assert county_row(body, "433101")[1:] == ["0", "—", "0.00 CNY", "0.00", "0.00", "0"]
    with app.app_context():
        from marketplace.regions.models import Region, RegionLevel

        counties = db.session.scalar(select(db.func.count()).select_from(Region).where(
            Region.level == RegionLevel.county))
    assert body.count("<tr data-county=") == counties
    assert ('href="/transparency?county=433123&amp;year=2026&amp;from=1&amp;to=3">'
            "Fenghuang County</a>") in body
    # the category rows are on the county's own page, not here
    assert 'id="public-table"' not in body and "Basic living" not in body
    assert "hunan-counties.geojson" not in body and "data-oversight-chart" not in body
    from marketplace.households.models import Person

    with app.app_context():
        names = list(db.session.scalars(select(Person.name)))
    assert names and not any(name in body for name in names)


def test_public_county_page_lists_its_categories(app, client, fixture):
    response = client.get(f"/transparency?county=433123&{PERIOD}", headers=EN)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "<h1 class=\"h3\">Fenghuang County</h1>" in body
    assert figure(body, "needs_published") == "3"
    assert figure(body, "coverage") == "62.5%"
    assert figure(body, "households") == "1"
    table = body[body.index('id="public-table"'):body.index("</table>",
                                                           body.index('id="public-table"'))]
    assert "Funds · Basic living" in table and "Goods · " in table
    assert "<td>30.0%</td>" in table  # funds: 600 of 2,000 CNY weighted 1.5 (N1, N4)
    assert "Furong" not in table and "Home care" not in table
    # the period form keeps the county
    assert '<input type="hidden" name="county" value="433123">' in body
    assert "hunan-counties.geojson" not in body and "data-oversight-chart" not in body
    from marketplace.households.models import Person

    with app.app_context():
        names = list(db.session.scalars(select(Person.name)))
    assert not any(name in body for name in names)
    # a bad period on the county page: 400 with the message, the county kept
    bad = client.get("/transparency?county=433123&year=2026&from=5&to=2", headers=EN)
    assert bad.status_code == 400
    assert "Fenghuang County" in bad.get_data(as_text=True)


@pytest.mark.parametrize("county", ["999999", "433100", "430000", "433101001", "abc",
                                    "43312", "433123 OR 1=1"])
def test_public_county_page_wants_a_county(client, fixture, county):
    response = client.get("/transparency", query_string={"county": county}, headers=EN)
    assert response.status_code == 404
    assert "Fenghuang" not in response.get_data(as_text=True)


def test_public_export_is_the_full_county_category_table(client, fixture):
    response = client.get(f"/transparency/export.csv?{PERIOD}", headers=EN)
    assert response.status_code == 200 and response.is_streamed
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert rows[0] == ["Code", "County", "Form of help", "Category", "Need lines",
                       "Coverage (%)", "Delivered"]
    assert ["433123", "Fenghuang County", "Funds", "Basic living", "2", "30.0", "0.00"] in rows
    assert {row[0] for row in rows[1:]} == {"433123", "430102"}


def test_dashboard_card_shows_the_top_figures(login, fixture):
    """The card reads this year up to this month (the demo's own needs of today count too):
    its figures are the dashboard's for the same default period."""
    body = page(login, "oversight_xx", "/dashboard")
    card = body[body.index('data-testid="balance-card"'):]
    card = card[:card.index("</section>")]
    dashboard = page(login, "oversight_xx", "/oversight/balance/433100")
    assert f"Needs posted: <strong>{figure(dashboard, 'needs_published')}</strong>" in card
    assert f"Coverage: <strong>{figure(dashboard, 'coverage')}</strong>" in card
    assert f"<strong>{figure(dashboard, 'worst')}</strong>" in card
    assert 'href="/oversight/balance/433100"' in card
    assert 'data-testid="balance-card"' not in page(login, "caseworker_fenghuang", "/dashboard")


def test_public_page_publishes_the_audit_chain_head(app, client, login, fixture):
    from marketplace.audit.services import chain_head

    login("oversight_xx").get(f"/oversight/balance/433100/export/trend.csv?{PERIOD}")
    with app.app_context():
        seq, digest = chain_head()
    body = client.get("/transparency", headers=EN).get_data(as_text=True)
    head = re.search(r'id="audit-head">(.*?)</p>', body, re.S).group(1)
    assert f"number {seq}, hash {digest}." in head


def test_pages_read_a_bounded_number_of_statements(app, login, fixture):
    """The pages read the summary only, a fixed number of statements whatever the data (the
    balance queries are cached per generation, so a second view reads even less)."""
    from marketplace.balance import queries
    from tests.marketplace.querycount import counted

    officer = login("oversight_hn")
    queries.clear_cache()
    with counted(app) as cold:
        assert officer.get(f"/oversight/balance/430000?{PERIOD}").status_code == 200
    with counted(app) as warm:
        assert officer.get(f"/oversight/balance/430000?{PERIOD}").status_code == 200
    assert len(cold) <= 25, cold
    # warm: the user, the region, one summary-state check per balance query (8), the place
    # names of the counties on the page
    assert len(warm) <= 12, warm
    assert not any("need_lines" in s or "allocations" in s for s in cold)


def test_chinese_headers_say_qu_xian_and_cheng_qu(client, login, fixture):
    """The translator's review: a county column lists districts too (区县, not 县); the area
    type of a county is 城区/农村 (城市 is the dibao standard's word); percentages without a
    space."""
    zh = {"Accept-Language": "zh-CN"}
    body = login("oversight_hn").get(f"/oversight/balance/430100?{PERIOD}",
                                     headers=zh).get_data(as_text=True)
    assert '<span class="badge text-bg-light">城区</span>' in body
    assert '<th scope="col">区县</th>' in body and "<th scope=\"col\">县</th>" not in body
    assert figure(body, "coverage") == "100.0%"
    public = client.get(f"/transparency?{PERIOD}", headers=zh).get_data(as_text=True)
    assert '<th scope="col">区县</th>' in public and ">芙蓉区</a>" in public
    csv_body = client.get(f"/transparency/export.csv?{PERIOD}", headers=zh).get_data()
    assert csv_body.decode("utf-8-sig").splitlines()[0].split(",")[1] == "区县"


def test_public_pages_read_a_bounded_number_of_statements(app, client, fixture):
    """The province page reads the province's figures and each prefecture's counties from the
    summary (cached per generation), never the base tables."""
    from marketplace.balance import queries
    from tests.marketplace.querycount import counted

    queries.clear_cache()
    with counted(app) as cold:
        assert client.get(f"/transparency?{PERIOD}").status_code == 200
    with counted(app) as warm:
        assert client.get(f"/transparency?{PERIOD}").status_code == 200
    with counted(app) as county:
        assert client.get(f"/transparency?county=433123&{PERIOD}").status_code == 200
    assert not any(re.search(r"FROM (need_lines|allocations|persons|households)\b", s)
                   for s in cold + county)
    # cold: about 4 statements per prefecture (its counties, their month rows and overdue
    # counts; 14 in Hunan), bounded by the regions, not by the data; warm: the summary
    # state only (one per request), whatever the number of counties
    assert len(cold) <= 70, cold
    assert len(warm) <= 3, warm
    assert len(county) <= 6, county
