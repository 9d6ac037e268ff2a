"""What the review of a finished run shows, and the explanation of one line, in words.

``review_context(run)`` gives the ``review`` variable of ``templates/runs/_review.html``
(the run page includes it: ``{% with review = review_context(run) %}{% include
"runs/_review.html" %}{% endwith %}``). ``line_explanation(run, line_id)`` is the data of
the page GET /runs/<id>/lines/<line_id>: the matching engine's structured explanation
(``matching.explain_need``) turned into translated sentences.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask import request
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from marketplace.accounts.models import Organization
from marketplace.catalog.views import unit_label
from marketplace.catalog.vocab import CATEGORIES, KIND_LABELS, LineKind
from marketplace.common.forms import ButtonForm
from marketplace.extensions import db
from marketplace.needs.board import county_names
from marketplace.needs.models import NeedLine
from marketplace.offers.models import Offer
from marketplace.runs.commit import may_decide
from marketplace.runs.models import AssignmentDecision, MatchingRun, RunAssignment, RunStatus
from marketplace.runs.pipeline import read_document
from marketplace.runs.problem import need_key, parse_key
from matching import ProblemError, explain_need, parse_problem

#: Rows listed on the review page (unserved lines, proposed and left-out pairs); the rest
#: are counted, and reachable by county.
LISTED = 100

UNSERVED_REASONS = {
    "no_candidate": _l("No compatible offer (kind, item, region, qualification or donor "
                       "restriction)."),
    "capacity": _l("Compatible offers exist, but their capacity went to other lines."),
    "partial": _l("Served in part: the compatible offers ran out."),
}


def _locale() -> str:
    return str(get_locale() or "zh_CN")


def _share(value: float | None, total: float) -> float | None:
    return None if value is None or total <= 0 else round(100.0 * value / total, 1)


def _figures(summary: dict[str, Any], name: str) -> dict[str, Any]:
    f = summary.get(name, {})
    total = summary.get("total_priority", 0.0)
    return {"coverage": _share(f.get("coverage"), total),
            "balance": None if f.get("balance") is None else round(100.0 * f["balance"], 1),
            "cost": Decimal(str(f.get("cost", 0.0))).quantize(Decimal("0.01")),
            "served": f.get("served", 0), "status": f.get("status", ""),
            "seconds": round(f.get("seconds", 0.0), 2)}


@dataclass(frozen=True, slots=True)
class LineRow:
    """A need line as the review lists it (no personal data: the board's columns)."""

    line_id: int
    county: str
    kind: str
    category: str
    item: str
    quantity: Decimal
    unit: str


def _line_rows(line_ids: list[int], locale: str) -> dict[int, LineRow]:
    if not line_ids:
        return {}
    lines = db.session.scalars(select(NeedLine).where(NeedLine.id.in_(line_ids)).options(
        joinedload(NeedLine.need), joinedload(NeedLine.goods_item),
        joinedload(NeedLine.service_type))).all()
    names = county_names({line.need.county_code for line in lines}, locale)
    rows = {}
    for line in lines:
        item = line.goods_item or line.service_type
        rows[line.id] = LineRow(
            line.id, names[line.need.county_code], str(KIND_LABELS[LineKind(line.kind)]),
            str(CATEGORIES.get(line.category, line.category)),
            item.display_name(locale) if item else "", line.quantity, line.unit)
    return rows


def _offer_names(offer_ids: set[int], locale: str) -> dict[int, str]:
    """"Organisation · item" per offer id (one query)."""
    if not offer_ids:
        return {}
    rows = db.session.execute(
        select(Offer, Organization.name).join(Organization)
        .where(Offer.id.in_(sorted(offer_ids)))
        .options(joinedload(Offer.goods_item), joinedload(Offer.service_type))).all()
    names = {}
    for offer, org in rows:
        item = offer.goods_item or offer.service_type
        what = item.display_name(locale) if item else str(KIND_LABELS[LineKind(offer.kind)])
        names[offer.id] = f"{org} · {what}"
    return names


def _pairs(run: MatchingRun, decision: AssignmentDecision, locale: str,
           county: str | None = None) -> dict[str, Any]:
    stmt = select(RunAssignment).where(RunAssignment.run_id == run.id,
                                       RunAssignment.decision == decision)
    if county:
        stmt = stmt.where(RunAssignment.county_code == county)
    pairs = db.session.scalars(stmt.order_by(RunAssignment.id).limit(LISTED)).all()
    total = db.session.scalar(select(db.func.count()).select_from(stmt.subquery()))
    lines = _line_rows([p.need_line_id for p in pairs], locale)
    offers = _offer_names({p.offer_id for p in pairs}, locale)
    return {"total": total, "rows": [
        {"id": p.id, "line": lines.get(p.need_line_id), "offer": offers.get(p.offer_id, ""),
         "quantity": p.quantity, "fit": p.fit, "reason": p.reason} for p in pairs]}


def review_context(run: MatchingRun) -> dict[str, Any]:
    """Everything ``runs/_review.html`` shows for a finished (or decided) run."""
    locale = _locale()
    summary = run.summary or {}
    total = summary.get("total_priority", 0.0)
    counties = summary.get("counties", [])
    names = county_names({c["code"] for c in counties}, locale)
    county_rows = [{**c, "name": names[c["code"]],
                    "coverage_pct": round(100 * c["coverage"], 1),
                    "baseline_pct": round(100 * c["baseline_coverage"], 1)} for c in counties]
    # the chart labels a bar with the county alone; the table beside it has the full name
    chart = {"labels": [r["name"].split(" · ")[-1] for r in county_rows],
             "optimiser": [r["coverage_pct"] for r in county_rows],
             "baseline": [r["baseline_pct"] for r in county_rows],
             "names": {"optimiser": _("Optimiser"), "baseline": _("Greedy baseline"),
                       "axis": _("Coverage (%)")}}
    result = read_document(run.id, "result") or {"unserved": []}
    unserved = result["unserved"][:LISTED]
    lines = _line_rows([parse_key(u["need"]) for u in unserved], locale)
    unserved_rows = [{"line": lines.get(parse_key(u["need"])),
                      "reason": str(UNSERVED_REASONS.get(u["reason"], u["reason"]))}
                     for u in unserved if parse_key(u["need"]) in lines]
    decided = run.status in (RunStatus.committed, RunStatus.discarded)
    # ?county=<code> lists that county's pairs (a large run has more than LISTED)
    county = request.args.get("county", "")
    county = county if county in names else None
    return {
        "run": run,
        "optimiser": _figures(summary, "optimiser"),
        "baseline": _figures(summary, "baseline"),
        "bound": _share(summary.get("optimiser", {}).get("bound"), total),
        "lines": summary.get("lines", 0), "offers": summary.get("offers", 0),
        "assignments": summary.get("assignments", 0),
        "timings": summary.get("timings", {}),
        "counties": county_rows, "chart": chart,
        "unserved": unserved_rows, "unserved_total": len(result["unserved"]),
        "county": county, "county_name": names.get(county or ""),
        "proposed": None if decided else _pairs(run, AssignmentDecision.proposed, locale,
                                                county),
        "left_out": _pairs(run, AssignmentDecision.left_out, locale, county)
        if run.status == RunStatus.committed else None,
        "commit": summary.get("commit"),
        "may_decide": run.status == RunStatus.done and may_decide(current_user, run),
        "form": ButtonForm(),
    }


# --- one line, explained ------------------------------------------------------------------------

def _num(value: float) -> str:
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _others(o: dict[str, Any]) -> str:
    return ngettext("%(num)d other line (%(higher)s with higher priority, %(equal)s equal, "
                    "%(lower)s lower)",
                    "%(num)d other lines (%(higher)s with higher priority, %(equal)s equal, "
                    "%(lower)s lower)", o["needs"], higher=o["higher_priority"],
                    equal=o["equal_priority"], lower=o["lower_priority"])


def _candidate_sentence(c: dict[str, Any], unit: str, quantity: float) -> str:
    code = c["code"]
    if code == "serves":
        return _("gave %(given)s %(unit)s to this line.", given=_num(c["given"]), unit=unit)
    if code == "not_needed":
        return _("not needed: the line was served by other offers.")
    if code == "too_small":
        return _("its whole capacity (%(cap)s) is less than this line takes at once (%(need)s).",
                 cap=_num(c["capacity"]), need=_num(quantity * c["use"]))
    if code == "used_elsewhere":
        return _("all of its capacity (%(cap)s) went to %(others)s.", cap=_num(c["capacity"]),
                 others=_others(c["others"]))
    if code == "too_little_left":
        return _("only %(left)s of %(cap)s was left after %(others)s; this line takes "
                 "%(need)s at once.", left=_num(c["remaining"]), cap=_num(c["capacity"]),
                 others=_others(c["others"]), need=_num(quantity * c["use"]))
    return _("%(left)s left unused: the optimiser preferred not to use it here (balance "
             "between counties or cost).", left=_num(c["remaining"]))


OUTCOMES = {
    "served": _l("Fully served."),
    "partial": _l("Served in part."),
    "capacity": _l("Not served: compatible offers exist but their capacity was used "
                   "elsewhere."),
    "no_candidate": _l("Not served: no offer in this run can serve this line."),
}


def line_explanation(run: MatchingRun, line_id: int) -> dict[str, Any] | None:
    """The explanation of need line ``line_id`` in ``run``, or None when the line was not in
    the run's problem."""
    problem_doc = read_document(run.id, "problem")
    result_doc = read_document(run.id, "result")
    if problem_doc is None or result_doc is None:
        return None
    key = need_key(line_id)
    part = _neighbourhood(problem_doc, result_doc, key)
    if part is None:
        return None
    sub_problem, sub_result, excluded = part
    try:
        e = explain_need(parse_problem(sub_problem), sub_result, key).to_dict()
    except ProblemError:
        return None
    locale = _locale()
    line = _line_rows([line_id], locale).get(line_id)
    if line is None:
        return None
    offers = _offer_names({parse_key(c["offer"]) for c in e["candidates"]}, locale)
    unit = line.unit
    candidates = [{"offer": offers.get(parse_key(c["offer"]), c["offer"]),
                   "fit": c["fit"], "served": c["code"] == "serves",
                   "text": _candidate_sentence(c, unit_label(unit), e["quantity"])}
                  for c in e["candidates"]]
    return {"run": run, "line": line, "outcome": str(OUTCOMES[e["outcome"]]),
            "served": _num(e["served"]), "quantity": _num(e["quantity"]), "unit": unit,
            "priority": e["priority"], "candidates": candidates,
            "excluded": excluded}


def _neighbourhood(problem: dict[str, Any], result: dict[str, Any], key: str
                   ) -> tuple[dict[str, Any], dict[str, Any], int] | None:
    """The part of a run's problem and result that decides how need ``key`` fared: its
    candidate offers, every need those offers served (with their edges to them) and those
    allocations. ``explain_need`` gives the same answer on it as on the whole problem (what
    an offer gave, to whom, and what was left, all lies within), without parsing a problem of
    a million edges. Also the number of offers of the need's kind and category that were
    not candidates. None when the need was not in the problem."""
    need = next((n for n in problem["needs"] if n["id"] == key), None)
    if need is None:
        return None
    candidates = {e["offer"] for e in problem["edges"] if e["need"] == key}
    allocations = [a for a in result["allocations"] if a["offer"] in candidates]
    others = {a["need"] for a in allocations} | {key}
    sub_problem = {
        **problem,
        "needs": [n for n in problem["needs"] if n["id"] in others],
        "offers": [o for o in problem["offers"] if o["id"] in candidates],
        "edges": [e for e in problem["edges"]
                  if e["offer"] in candidates and e["need"] in others],
    }
    sub_result = {**result, "allocations": allocations,
                  "unserved": [u for u in result["unserved"] if u["need"] in others]}
    excluded = sum(1 for o in problem["offers"] if o["kind"] == need["kind"]
                   and o["category"] in (need["category"], "*") and o["id"] not in candidates)
    return sub_problem, sub_result, excluded
