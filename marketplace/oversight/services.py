"""The balance pages' content: package A's summary queries arranged for templates, charts and
exports.

Nothing here reads the base tables: every figure comes from ``marketplace.balance.queries``,
which reads the summary rows of one generation (see docs/oversight.md). This module only picks
the queries a page needs, names regions in the reader's language, turns shares into percentages
for the charts, and lays the same figures out as export rows (plain values, no personal data).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import pgettext

from marketplace.balance import queries
from marketplace.balance.queries import (
    Balance,
    CategoryFigures,
    Figures,
    MonthPoint,
    Period,
    RegionFigures,
    StateInfo,
)
from marketplace.catalog.vocab import CATEGORIES, KIND_LABELS
from marketplace.regions.models import Region, RegionLevel
from marketplace.regions.services import place_labels

#: Levels that have a balance page (townships and villages are not summarised).
PAGE_LEVELS = (RegionLevel.province, RegionLevel.prefecture, RegionLevel.county)
PROVINCE = "430000"
PCT = Decimal("0.1")
TWO = Decimal("0.01")

#: The exportable tables of a balance page (URL name → file name).
TABLES = {
    "children": _l("Areas"),
    "categories": _l("Categories"),
    "trend": _l("Trend by month"),
    "urban_rural": _l("Urban and rural"),
    "counties": _l("Coverage by county"),
}


def get(obj: Any, key: str) -> Any:
    """``obj.key``, None when ``obj`` is None (export columns read nested figures such as
    ``delivered.funds``)."""
    return None if obj is None else getattr(obj, key)


def pct(share: Decimal | None) -> Decimal | None:
    """A share (0–1) as a percentage with one decimal, None kept (no data is not 0 %)."""
    if share is None:
        return None
    return (Decimal(share) * 100).quantize(PCT, rounding=ROUND_HALF_UP)


def rounded(value: Decimal | None, places: Decimal | str = TWO) -> Decimal | None:
    """``value`` rounded for display and export (None kept)."""
    if value is None:
        return None
    return Decimal(value).quantize(Decimal(places), rounding=ROUND_HALF_UP)


def category_label(kind: str, category: str) -> str:
    """"Funds · Basic living" in the reader's language."""
    kind_label = KIND_LABELS.get(kind, kind)
    return f"{kind_label} · {CATEGORIES.get(category, category)}"


@dataclass
class Dashboard:
    """Everything the balance page of one region shows."""

    region: Region
    period: Period
    state: StateInfo | None
    overview: Figures
    children: list[RegionFigures]
    urban_rural: dict[str, Figures]
    balance: Balance
    trend: list[MonthPoint]
    categories: list[CategoryFigures]
    coverage: dict[str, Decimal | None]
    names: dict[str, str]
    charts: dict[str, Any] = field(default_factory=dict)

    @property
    def measured(self) -> list[tuple[str, Decimal]]:
        """Counties with needs in the period, the worst-served first (ties by code)."""
        return sorted(((c, v) for c, v in self.coverage.items() if v is not None),
                      key=lambda item: (item[1], item[0]))

    @property
    def unmeasured(self) -> int:
        """Counties of the region without needs in the period."""
        return sum(1 for v in self.coverage.values() if v is None)


def has_page(region: Region) -> bool:
    """Whether ``region`` is summarised (province, prefecture or county)."""
    return region.level in PAGE_LEVELS


def dashboard(region: Region, period: Period, locale: str, with_map: bool = True) -> Dashboard:
    """The balance page of ``region`` over ``period`` (A's queries, one summary generation)."""
    code = region.code
    balance = queries.balance(code, period)
    months = set(period.months)
    trend = [p for p in queries.trend(code, period.year) if p.month in months]
    coverage = queries.county_coverage(code, period)
    codes = {c for c, v in coverage.items() if v is not None}
    codes |= {p.worst_code for p in trend if p.worst_code}
    if balance.worst_code:
        codes.add(balance.worst_code)
    board = Dashboard(
        region=region, period=period, state=queries.state(),
        overview=queries.overview(code, period),
        children=queries.children(code, period),
        urban_rural=queries.urban_rural(code, period),
        balance=balance, trend=trend,
        categories=queries.by_category(code, period),
        coverage=coverage, names=place_labels(codes, locale))
    board.charts = {"trend": trend_chart(board), "categories": category_chart(board)}
    if with_map:
        board.charts["map"] = map_chart(board)
    return board


def trend_chart(board: Dashboard) -> dict[str, Any]:
    """The monthly trend as the chart script reads it (percentages, Gini 0–1)."""
    return {
        "months": [p.month for p in board.trend],
        "coverage": [_num(pct(p.coverage)) for p in board.trend],
        "worst": [_num(pct(p.worst_coverage)) for p in board.trend],
        "gini": [_num(rounded(p.gini, Decimal("0.0001"))) for p in board.trend],
        "names": {"coverage": _("Coverage (%)"), "worst": _("Worst county (%)"),
                  "gini": _("Gini coefficient")},
    }


def category_chart(board: Dashboard) -> dict[str, Any]:
    """Coverage by kind and category (percentages)."""
    return {
        "labels": [category_label(c.kind, c.category) for c in board.categories],
        "coverage": [_num(pct(c.coverage)) for c in board.categories],
        "names": {"coverage": _("Coverage (%)")},
    }


def map_chart(board: Dashboard) -> dict[str, Any]:
    """The choropleth: the region's counties only (the others stay grey and are not sent)."""
    return {
        "url": url_for("static", filename="data/hunan-counties.geojson"),
        # the map is framed on the region's counties (their codes start with this prefix)
        "prefix": board.region.prefix,
        "data": [{"name": code, "value": _num(pct(share)),
                  "label": board.names.get(code, code)} for code, share in board.measured],
        "names": {"coverage": _("Coverage (%)"), "none": _("no data")},
    }


def _num(value: Decimal | None) -> float | None:
    # Chart data only (JSON for ECharts); tables and exports keep the Decimal.
    return None if value is None else float(value)


# --- exports -------------------------------------------------------------------------------

#: Columns of a row of figures (children, urban/rural): (header, getter on Figures).
FIGURE_COLUMNS: list[tuple[Any, Callable[[Any], Any]]] = [
    (_l("Needs posted"), lambda f: get(f, "needs_published")),
    (_l("Need lines"), lambda f: get(f, "lines")),
    (_l("Coverage (%)"), lambda f: pct(get(f, "coverage"))),
    (_l("Funds delivered (CNY)"), lambda f: rounded(get(get(f, "delivered"), "funds"))),
    (_l("Goods delivered (units)"), lambda f: rounded(get(get(f, "delivered"), "goods"))),
    (_l("Service hours delivered"), lambda f: rounded(get(get(f, "delivered"), "hours"))),
    (_l("Households assisted"), lambda f: get(f, "households")),
    (_l("Persons assisted"), lambda f: get(f, "persons")),
    (_l("Funds per household (CNY)"), lambda f: rounded(get(get(f, "per_household"), "funds"))),
    (_l("Hours per household"), lambda f: rounded(get(get(f, "per_household"), "hours"))),
    (_l("Funds per capita (CNY)"), lambda f: rounded(get(get(f, "per_capita"), "funds"))),
    (_l("Hours per capita"), lambda f: rounded(get(get(f, "per_capita"), "hours"))),
    (_l("Median days to fulfilment"), lambda f: get(f, "median_days")),
    (_l("Needs fulfilled"), lambda f: get(f, "needs_fulfilled")),
    (_l("Overdue needs"), lambda f: get(get(f, "overdue"), "needs")),
    (_l("Overdue acceptances"), lambda f: get(get(f, "overdue"), "acceptances")),
    (_l("Overdue deliveries"), lambda f: get(get(f, "overdue"), "deliveries")),
]


def _figure_header() -> list[str]:
    return [str(label) for label, _get in FIGURE_COLUMNS]


def _figure_cells(figures: Any) -> list[Any]:
    return [getter(figures) for _label, getter in FIGURE_COLUMNS]


def export_table(table: str, region: Region, period: Period,
                 locale: str) -> tuple[list[str], Iterable[list[Any]]]:
    """Header and rows of one of the page's tables (``TABLES``); KeyError for another name."""
    code = region.code
    if table == "children":
        rows = queries.children(code, period)
        header = [_("Code"), _("Region"), _("Urban or rural"), *_figure_header()]
        return header, [[r.code, r.name_zh if locale.startswith("zh") else r.name_en,
                         _urban_label(r.is_urban), *_figure_cells(r.figures)] for r in rows]
    if table == "urban_rural":
        groups = queries.urban_rural(code, period)
        header = [_("Area type"), *_figure_header()]
        return header, [[_urban_label(key == "urban"), *_figure_cells(groups[key])]
                        for key in ("urban", "rural") if key in groups]
    if table == "trend":
        months = set(period.months)
        points = [p for p in queries.trend(code, period.year) if p.month in months]
        names = place_labels({p.worst_code for p in points if p.worst_code}, locale)
        header = [_("Month"), _("Needs posted"), _("Coverage (%)"), _("Worst county"),
                  _("Worst county (%)"), _("Gini coefficient")]
        return header, [[p.month, p.needs_published, pct(p.coverage),
                         names.get(p.worst_code, p.worst_code or ""), pct(p.worst_coverage),
                         rounded(p.gini, Decimal("0.0001"))] for p in points]
    if table == "categories":
        rows = queries.by_category(code, period)
        header = [_("Form of help"), _("Category"), _("Need lines"), _("Requested"),
                  _("Coverage (%)"), _("Delivered")]
        return header, [[str(KIND_LABELS.get(c.kind, c.kind)),
                         str(CATEGORIES.get(c.category, c.category)), c.lines,
                         rounded(c.requested), pct(c.coverage), rounded(c.delivered)]
                        for c in rows]
    if table == "counties":
        coverage = queries.county_coverage(code, period)
        names = place_labels(coverage, locale)
        header = [_("Code"), pgettext("county column", "County"), _("Coverage (%)")]
        return header, [[c, names.get(c, c), pct(share)] for c, share in sorted(coverage.items())]
    raise KeyError(table)


def _urban_label(is_urban: bool | None) -> str:
    if is_urban is None:
        return ""
    return _("Urban districts") if is_urban else _("Rural counties")


# --- public transparency page ---------------------------------------------------------------

@dataclass
class PublicPage:
    """The public page: the province's top figures and one row of figures per county."""

    period: Period
    state: StateInfo | None
    overview: Figures
    #: (prefecture, its counties) in code order.
    counties: list[tuple[RegionFigures, list[RegionFigures]]]


def public_counties(period: Period) -> list[tuple[RegionFigures, list[RegionFigures]]]:
    """Every county of the province (zeros where nothing happened) under its prefecture, in
    code order: the prefectures' ``children`` (each cached per summary generation). A county
    directly under the province is its own group."""
    groups: list[tuple[RegionFigures, list[RegionFigures]]] = []
    for child in queries.children(PROVINCE, period):
        if child.is_urban is not None:
            groups.append((child, [child]))
        else:
            groups.append((child, queries.children(child.code, period)))
    return groups


def public_page(period: Period) -> PublicPage:
    """Aggregates only: no household, person, need or allocation leaves the summary."""
    return PublicPage(period=period, state=queries.state(),
                      overview=queries.overview(PROVINCE, period),
                      counties=public_counties(period))


@dataclass
class PublicCounty:
    """The public page of one county: its top figures and its rows per kind × category."""

    period: Period
    state: StateInfo | None
    region: Region
    overview: Figures
    categories: list[CategoryFigures]


def public_county(region: Region, period: Period) -> PublicCounty:
    """One county's aggregates (the caller checked that ``region`` is a county)."""
    return PublicCounty(period=period, state=queries.state(), region=region,
                        overview=queries.overview(region.code, period),
                        categories=queries.by_category(region.code, period))


def public_export(period: Period, locale: str) -> tuple[list[str], Iterable[list[Any]]]:
    """The full county × category table as export rows (read lazily by the streamed CSV)."""
    rows = queries.public_table(period)
    names = place_labels({r.county_code for r in rows}, locale)
    header = [_("Code"), pgettext("county column", "County"), _("Form of help"),
              _("Category"), _("Need lines"), _("Coverage (%)"), _("Delivered")]
    return header, ([r.county_code, names.get(r.county_code, r.county_code),
                     str(KIND_LABELS.get(r.kind, r.kind)),
                     str(CATEGORIES.get(r.category, r.category)), r.lines, pct(r.coverage),
                     rounded(r.delivered)] for r in rows)


# --- the officers' dashboard card -------------------------------------------------------------

def card_figures(code: str, period: Period) -> dict[str, Any]:
    """The three top figures of a region, as plain data (the card is shared per area)."""
    figures = queries.overview(code, period)
    balance = queries.balance(code, period)
    state = queries.state()
    return {
        "code": code,
        "needs_published": get(figures, "needs_published"),
        "coverage": pct(get(figures, "coverage")),
        "worst_code": balance.worst_code,
        "worst_coverage": pct(balance.worst_coverage),
        "gini": rounded(balance.gini, Decimal("0.0001")),
        "refreshed_at": getattr(state, "refreshed_at", None),
    }
