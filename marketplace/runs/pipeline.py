"""One matching run, start to end: build the problem, solve it, store the proposal.

``execute(run, report)`` is what the job worker calls (helper A's ``run_matching`` task) in
an app context; it flushes only, the caller commits. ``report(stage, percent)`` is the
worker's progress callback (its own connection): percent is the whole run's, 0–100.
"""

from __future__ import annotations

import gzip
import json
import time
from collections import defaultdict
from collections.abc import Callable
from decimal import ROUND_FLOOR, ROUND_HALF_EVEN, Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, insert

import matching
from marketplace.catalog.vocab import LineKind
from marketplace.extensions import db
from marketplace.runs.models import (
    AssignmentDecision,
    MatchingRun,
    RunAssignment,
    RunDocument,
    RunStage,
)
from marketplace.runs.problem import Index, build, parse_key, problem_document
from matching import Problem, Result
from matching.reader import gc_paused

Report = Callable[[RunStage, int], None]
CENT, UNIT = Decimal("0.01"), Decimal("1")
#: The whole run's progress at the start of each stage (solving takes most of the time).
STAGE_START = {RunStage.building: 0, RunStage.solving: 15, RunStage.storing: 90}


class EmptyPool(Exception):
    """The run has nothing to match; the message says what is missing, in words."""


def _compress(doc: dict[str, Any]) -> bytes:
    return gzip.compress(json.dumps(doc, separators=(",", ":")).encode(), compresslevel=5)


def read_document(run_id: int, name: str) -> dict[str, Any] | None:
    """A stored document of the run ("problem", "result", "baseline") as decoded JSON."""
    data = db.session.scalar(db.select(RunDocument.data).where(
        RunDocument.run_id == run_id, RunDocument.name == name))
    if data is None:
        return None
    with gc_paused():  # millions of small dicts: the collector would walk them over and over
        return json.loads(gzip.decompress(data))


def _figures(result: Result) -> dict[str, Any]:
    return {"coverage": result.objectives["coverage"], "balance": result.objectives["balance"],
            "cost": result.objectives["cost"], "status": result.status,
            "bound": result.bounds.get("coverage"),
            "seconds": float(result.stats.get("seconds", 0.0)),
            "served": len({a.need for a in result.allocations})}


#: How far a float may sit from a whole cent or unit and still be that cent or unit: the
#: engine's sums carry float noise (a full line of 2 units comes back as 1.9999999999999998).
SNAP = Decimal("1e-6")


def snapped(value: float, step: Decimal, rounding: str) -> Decimal:
    """``value`` in steps of ``step``: the nearest step when the float is within float noise
    of it, otherwise rounded with ``rounding``."""
    exact = Decimal(repr(value))
    nearest = exact.quantize(step, ROUND_HALF_EVEN)
    return nearest if abs(exact - nearest) <= SNAP else exact.quantize(step, rounding)


def _quantities(result: Result, problem: Problem, index: Index) -> list[dict[str, Any]]:
    """The proposed pairs in the site's units: cents for funds, whole units for goods (an
    item is not split), whole visits for services; never above the line's remaining need or
    the offer's capacity in the problem (the engine works in floats)."""
    line_left = {n.id: Decimal(repr(n.quantity)) for n in problem.needs}
    offer_left = {o.id: snapped(o.capacity, CENT, ROUND_FLOOR) for o in problem.offers}
    lines = {problem.needs[i].id: ref for i, ref in enumerate(index.lines)}
    fits = {(problem.needs[e.need].id, problem.offers[e.offer].id): e.fit
            for e in problem.edges or ()}
    rows = []
    for a in sorted(result.allocations, key=lambda a: (a.need, a.offer)):
        ref = lines[a.need]
        step, rounding = (UNIT, ROUND_FLOOR) if ref.kind == LineKind.goods else (
            CENT, ROUND_HALF_EVEN)
        wanted = snapped(a.quantity, step, rounding)
        quantity = min(wanted, line_left[a.need], offer_left[a.offer]).quantize(step, ROUND_FLOOR)
        if ref.kind == LineKind.services and quantity < line_left[a.need]:
            continue  # a visit is given whole or not at all
        if quantity <= 0:
            continue
        line_left[a.need] -= quantity
        offer_left[a.offer] -= quantity
        rows.append({"need_line_id": ref.line_id, "offer_id": parse_key(a.offer),
                     "quantity": quantity, "fit": fits.get((a.need, a.offer), 1.0),
                     "county_code": ref.county_code,
                     "decision": AssignmentDecision.proposed, "reason": ""})
    return rows


def _counties(problem: Problem, result: Result, baseline: Result) -> list[dict[str, Any]]:
    """Per county: lines, how many the optimiser served fully / in part / not, coverage
    shares of both allocations (the engine's balance groups)."""
    outcome = {u["need"]: u["reason"] for u in result.unserved}
    rows: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"lines": 0, "served": 0, "partial": 0, "unserved": 0})
    for need in problem.needs:
        row = rows[need.region]
        row["lines"] += 1
        reason = outcome.get(need.id)
        row["served" if reason is None else "partial" if reason == "partial"
            else "unserved"] += 1
    out = []
    for code in sorted(rows):
        opt, base = result.groups.get(code, {}), baseline.groups.get(code, {})
        out.append({"code": code, **rows[code], "priority": opt.get("priority", 0.0),
                    "coverage": opt.get("coverage", 0.0),
                    "baseline_coverage": base.get("coverage", 0.0)})
    return out


def _stage_progress(report: Report, stage: RunStage, following: RunStage,
                    margin: int = 0) -> Callable[[float], None]:
    """A ``progress(fraction)`` callback reporting ``stage``'s share of the whole run: from its
    start to ``margin`` points before ``following``'s. Repeats are skipped (the worker writes
    each report)."""
    start = STAGE_START[stage]
    span = STAGE_START[following] - start - margin
    last = [-1]

    def progress(fraction: float) -> None:
        percent = start + int(span * min(max(fraction, 0.0), 1.0))
        if percent != last[0]:
            last[0] = percent
            report(stage, percent)
    return progress


def execute(run: MatchingRun, report: Report) -> None:
    """Build, solve and store ``run``'s proposal; flushes, the caller commits.

    Raises:
        EmptyPool: no open need lines or no usable offers in the run's region and kinds.
    """
    timings: dict[str, float] = {}
    report(RunStage.building, STAGE_START[RunStage.building])
    started = time.perf_counter()
    problem, index = build(run, progress=_stage_progress(report, RunStage.building,
                                                          RunStage.solving))
    timings["building"] = time.perf_counter() - started
    if not problem.needs:
        raise EmptyPool(str(_l("There are no open need lines to match in this region for the "
                               "kinds and categories chosen.")))
    if not problem.offers:
        raise EmptyPool(str(_l("There are no open offers with capacity left that serve this "
                               "region for the kinds and categories chosen.")))

    report(RunStage.solving, STAGE_START[RunStage.solving])
    solving = _stage_progress(report, RunStage.solving, RunStage.storing, margin=5)
    started = time.perf_counter()
    result = matching.solve(problem, progress=lambda _stage, fraction: solving(fraction))
    timings["solving"] = time.perf_counter() - started
    started = time.perf_counter()
    baseline = matching.baseline(problem)
    timings["baseline"] = time.perf_counter() - started

    report(RunStage.storing, STAGE_START[RunStage.storing])
    started = time.perf_counter()
    rows = _quantities(result, problem, index)
    db.session.execute(delete(RunAssignment).where(RunAssignment.run_id == run.id))
    db.session.execute(delete(RunDocument).where(RunDocument.run_id == run.id))
    if rows:
        db.session.execute(insert(RunAssignment), [{"run_id": run.id, **r} for r in rows])
    for name, doc in (("problem", problem_document(problem)), ("result", result.to_dict()),
                      ("baseline", baseline.to_dict())):
        db.session.add(RunDocument(run_id=run.id, name=name, data=_compress(doc)))
    timings["storing"] = time.perf_counter() - started
    # The run row is written last: once this transaction updates it, the worker's progress
    # writes to it (its own connection) wait for our commit.
    run.lines_count, run.offers_count = len(problem.needs), len(problem.offers)
    reasons: dict[str, int] = defaultdict(int)
    for u in result.unserved:
        reasons[u["reason"]] += 1
    run.summary = {
        "optimiser": _figures(result),
        "baseline": _figures(baseline),
        "total_priority": sum(n.priority for n in problem.needs),
        "lines": len(problem.needs), "offers": len(problem.offers),
        "edges": len(problem.edges or ()), "assignments": len(rows),
        "unserved": dict(reasons),
        "counties": _counties(problem, result, baseline),
        "timings": {k: round(v, 3) for k, v in timings.items()},
    }
    db.session.flush()
    report(RunStage.storing, 100)
