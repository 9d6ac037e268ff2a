"""Oversight pages: the balance dashboard (province → prefecture → county), its exports, the
officers' dashboard card and the public transparency page.

Every figure comes from the balance summary (``marketplace.balance``), rebuilt by a periodic
job; the pages say when it was built. The county map is drawn on officers' pages only (maps
published in China are subject to map review); the public page shows the same figures as
tables: the province's, one row per county (122 rows whatever the data), and per category on a
county's own page (``/transparency?county=<code>``); its export is the full county × category
table, streamed.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale, lazy_pgettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from marketplace.accounts.models import Role, User
from marketplace.audit.services import chain_head, record_event
from marketplace.balance import queries
from marketplace.balance.queries import Period
from marketplace.balance.tasks import refresh_balance_now
from marketplace.common.access import PUBLIC, access, in_scope
from marketplace.common.forms import ButtonForm
from marketplace.common.ui import Section, area_figures, dashboard_section, register_nav
from marketplace.exports.writers import FORMATS, export_response
from marketplace.extensions import db
from marketplace.jobs.queue import enqueue
from marketplace.oversight import services
from marketplace.oversight.forms import PeriodForm
from marketplace.regions.models import Region, RegionLevel

bp = Blueprint("oversight", __name__)
register_nav("oversight.balance_home", lazy_pgettext("oversight dashboard", "Balance"),
             roles=("oversight", "reviewer", "admin"), order=45)
register_nav("oversight.transparency", _l("Transparency"), public=True, order=60)

OFFICERS = (Role.oversight, Role.reviewer, Role.admin)
#: Who may ask for the summary to be rebuilt now (it reads every county: not for every click).
REFRESHERS = (Role.oversight, Role.admin)


@bp.app_template_filter("pct")
def pct_filter(value: Any) -> str:
    """A percentage figure ("62.5%"), or a dash when there is nothing to measure."""
    return "—" if value is None else f"{value}%"


@bp.context_processor
def helpers() -> dict[str, Any]:
    """Formatting helpers of the oversight templates."""
    return {"percent": services.pct, "rounded": services.rounded,
            "category_label": services.category_label}


def _today() -> date:
    zone = ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Asia/Shanghai"))
    return datetime.now(zone).date()


def _locale() -> str:
    return str(get_locale())


def _period() -> tuple[Period | None, str | None]:
    """The period of ``?year=&from=&to=`` (default: this year up to this month), or the
    parser's message for a reversed or absurd one."""
    try:
        return queries.parse_period(request.args, _today()), None
    except queries.BalanceError as exc:
        return None, str(exc)


def _show_period(form: PeriodForm, period: Period) -> None:
    """Fill the form with the period shown (the defaults too, so the reader sees them)."""
    form.year.data, form["from"].data, form.to.data = period.year, period.first, period.last


def _period_args(period: Period) -> dict[str, int]:
    return {"year": period.year, "from": period.first, "to": period.last}


def home_code(user: User) -> str | None:
    """The region whose balance page is the user's home: the province for admins, the user's
    own province, prefecture or county for officers (townships are not summarised)."""
    if user.role == Role.admin:
        return services.PROVINCE
    code = user.region_code or ""
    return code if len(code) == 6 else None


@bp.get("/oversight")
@access(*OFFICERS)
def balance_home():
    """Send the officer to the balance page of their own region."""
    code = home_code(current_user)
    if code is None:
        return render_template("oversight/no_balance.html")
    return redirect(url_for("oversight.balance", code=code, **request.args))


@bp.get("/oversight/balance/<code>")
@access(*OFFICERS, load={"code": Region})
def balance(code: Region):
    """The balance dashboard of one province, prefecture or county."""
    region = code
    if not services.has_page(region):
        abort(404)
    form = PeriodForm(request.args)
    period, error = _period()
    if error:
        return render_template("oversight/balance.html", region=region, form=form,
                               error=error, board=None, trail=_trail(region)), 400
    _show_period(form, period)
    board = services.dashboard(region, period, _locale())
    refresh_form = ButtonForm() if current_user.role in REFRESHERS else None
    return render_template("oversight/balance.html", region=region, form=form, error=None,
                           board=board, trail=_trail(region), args=_period_args(period),
                           refresh_form=refresh_form)


@bp.post("/oversight/refresh/<code>")
@access(*REFRESHERS, load={"code": Region})
def refresh(code: Region):
    """Queue a rebuild of the summary now (it also runs every 10 minutes by itself)."""
    region = code
    if not services.has_page(region) or not ButtonForm().validate_on_submit():
        abort(404 if not services.has_page(region) else 400)
    enqueue(refresh_balance_now.s())
    flash(_("The figures are being rebuilt; the page shows them as soon as they are ready."),
          "info")
    return redirect(url_for("oversight.balance", code=region.code))


@bp.get("/oversight/balance/<code>/export/<table>.<fmt>")
@access(*OFFICERS, load={"code": Region})
def export(code: Region, table: str, fmt: str):
    """One of the page's tables as CSV or XLSX (aggregates only; recorded in the audit)."""
    region = code
    if not services.has_page(region) or table not in services.TABLES or fmt not in FORMATS:
        abort(404)
    period, error = _period()
    if error:
        return _bad_period(error)
    header, rows = services.export_table(table, region, period, _locale())
    rows = list(rows)  # a few hundred rows at most: counted for the audit
    record_event(current_user, "export.balance", region, object_id=region.code,
                 after={"table": table, "format": fmt, **_period_args(period),
                        "rows": len(rows)})
    db.session.commit()  # before the response: a CSV body streams after the view returns
    name = f"{region.display_name(_locale())}-{services.TABLES[table]}-{period.year}"
    return export_response(fmt, name, header, rows)


@bp.get("/transparency")
@access(PUBLIC)
def transparency():
    """The public page: the province's figures and one row per county; with ``?county=<code>``
    that county's figures per kind and category. Aggregates only, no personal data."""
    county = _public_county(request.args.get("county"))
    template = "oversight/transparency_county.html" if county else "oversight/transparency.html"
    form = PeriodForm(request.args)
    period, error = _period()
    if error:
        return render_template(template, form=form, error=error, page=None, head=None,
                               county=county), 400
    _show_period(form, period)
    if county is not None:
        page = services.public_county(county, period)
        return render_template(template, form=form, error=None, page=page, county=county,
                               args=_period_args(period))
    page = services.public_page(period)
    return render_template(template, form=form, error=None, page=page, county=None,
                           head=chain_head(), args=_period_args(period))


def _public_county(code: str | None) -> Region | None:
    """The county of ``?county=`` (None when not asked); 404 for an unknown code or a region
    that is not a county (the public page has no township, prefecture or custom level)."""
    if code is None or code.strip() == "":
        return None
    code = code.strip()
    region = db.session.get(Region, code) if code.isdigit() and len(code) == 6 else None
    if region is None or region.level != RegionLevel.county:
        abort(404)
    return region


@bp.get("/transparency/export.<fmt>")
@access(PUBLIC)
def transparency_export(fmt: str):
    """The public table as CSV or XLSX (public aggregates: not recorded per download)."""
    if fmt not in FORMATS:
        abort(404)
    period, error = _period()
    if error:
        return _bad_period(error)
    header, rows = services.public_export(period, _locale())
    return export_response(fmt, f"{_l('Transparency')}-{period.year}", header, rows)


def _bad_period(message: str):
    """A download asked for a reversed or absurd period: the error page with the reason."""
    return render_template("errors/error.html", code=400, title=_l("Bad request"),
                           text=message), 400


def _trail(region: Region) -> list[tuple[Region, bool]]:
    """Province → prefecture → county above and including ``region``, for the breadcrumb, each
    with whether the user may open it (a county reviewer sees the names above, no links)."""
    trail = [region]
    while trail[0].parent is not None:
        trail.insert(0, trail[0].parent)
    return [(r, in_scope(current_user, r)) for r in trail]


@dashboard_section
def balance_card(user: User) -> Section | None:
    """Officers: coverage, worst county and Gini of their region (shared per area, 10 s)."""
    if user.role not in OFFICERS:
        return None
    code = home_code(user)
    if code is None:
        return None
    period = queries.parse_period({}, _today())
    data = area_figures("balance", user, lambda: _card(code, period))
    return Section(template="oversight/_dashboard.html", order=15, data=data)


def _card(code: str, period: Period) -> dict[str, Any]:
    figures = services.card_figures(code, period)
    names = {}
    if figures["worst_code"]:
        row = db.session.execute(select(Region.name_zh, Region.name_en).where(
            Region.code == figures["worst_code"])).one_or_none()
        names = {"zh": row.name_zh, "en": row.name_en} if row else {}
    return {**figures, "worst_names": names, "year": period.year, "first": period.first,
            "last": period.last}
