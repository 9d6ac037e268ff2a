"""Verify a ``matching-result/1`` document against its problem.

Malformed documents (bad JSON, missing fields, wrong types, unknown format or status) raise
:class:`ProblemError` (CLI: exit 2). A well-formed result that breaks a constraint or reports
wrong objectives, groups or unserved needs yields a :class:`CheckReport` with ``ok`` False and one
line per defect (CLI: exit 1).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .candidates import candidate_edges
from .evaluate import (
    RESULT_FORMAT,
    UNSERVED_RTOL,
    Allocation,
    EdgeIndex,
    Result,
    evaluate_arrays,
    need_arrays,
)
from .problem import Problem, ProblemError
from .reader import _finite, _Where, gc_paused, quote, show

STATUSES = ("optimal", "feasible")
REASONS = ("no_candidate", "capacity", "partial")
RTOL = 1e-6  # relative tolerance of quantities, capacities and objectives
ATOL = 1e-6  # absolute tolerance of objectives


def _close(reported: float, actual: float) -> bool:
    return abs(reported - actual) <= max(ATOL, RTOL * max(abs(reported), abs(actual)))


def _obj(value: Any, where: str) -> dict:
    if value.__class__ is not dict:
        raise ProblemError(f"{where}: must be an object, got {show(value)}")
    return value


def _field(obj: dict, where: str, name: str) -> Any:
    if name not in obj:
        raise ProblemError(f'{where}: missing required field "{name}"')
    return obj[name]


def _number(obj: dict, where: str, name: str, nullable: bool = False) -> float | None:
    value = _field(obj, where, name)
    if value is None and nullable:
        return None
    f = _finite(value)
    if f is None:
        raise ProblemError(f"{where}: {name} must be a finite number, got {show(value)}")
    return f


def _str(obj: dict, where: str, name: str) -> str:
    value = _field(obj, where, name)
    if value.__class__ is not str:
        raise ProblemError(f"{where}: {name} must be a string, got {show(value)}")
    return value


def parse_result(obj: Any) -> Result:
    """Validate the structure of a decoded result document and return it as a :class:`Result`.

    Only form is checked here (types, required fields, format, status); :func:`check` judges
    the content against the problem.
    """
    if obj.__class__ is not dict:
        raise ProblemError(f"result: top level must be a JSON object, got {show(obj)}")
    if "format" not in obj:
        raise ProblemError(f'result: missing required field "format" (expected "{RESULT_FORMAT}")')
    if obj["format"].__class__ is not str or obj["format"] != RESULT_FORMAT:
        raise ProblemError(
            f'result: unknown format {show(obj["format"])} (expected "{RESULT_FORMAT}")')
    status = _str(obj, "result", "status")
    if status not in STATUSES:
        raise ProblemError(f'result: status must be "optimal" or "feasible", got {show(status)}')
    raw = _field(obj, "result", "allocations")
    if raw.__class__ is not list:
        raise ProblemError(f"result: allocations must be an array, got {show(raw)}")
    allocations = []
    for i, a in enumerate(raw):
        where = f"allocations[{i}]"
        a = _obj(a, where)
        allocations.append(Allocation(_str(a, where, "need"), _str(a, where, "offer"),
                                      _number(a, where, "quantity")))
    objectives_raw = _obj(_field(obj, "result", "objectives"), "objectives")
    objectives = {k: _number(objectives_raw, "objectives", k)
                  for k in ("coverage", "balance", "cost")}
    bounds_raw = _obj(_field(obj, "result", "bounds"), "bounds")
    bounds = {"coverage": _number(bounds_raw, "bounds", "coverage", nullable=True)}
    groups_raw = _obj(_field(obj, "result", "groups"), "groups")
    groups = {}
    for name, g in groups_raw.items():
        where = f"groups[{quote(name)}]"
        g = _obj(g, where)
        count = _field(g, where, "needs")
        if count.__class__ is not int or count < 0:
            raise ProblemError(f"{where}: needs must be a non-negative integer, got {show(count)}")
        groups[name] = {"needs": count, "priority": _number(g, where, "priority"),
                        "coverage": _number(g, where, "coverage")}
    raw = _field(obj, "result", "unserved")
    if raw.__class__ is not list:
        raise ProblemError(f"result: unserved must be an array, got {show(raw)}")
    unserved = []
    for i, u in enumerate(raw):
        where = f"unserved[{i}]"
        u = _obj(u, where)
        reason = _str(u, where, "reason")
        if reason not in REASONS:
            allowed = ", ".join(f'"{r}"' for r in REASONS)
            raise ProblemError(f"{where}: reason must be one of {allowed}, got {show(reason)}")
        unserved.append({"need": _str(u, where, "need"), "reason": reason})
    stats = dict(_obj(_field(obj, "result", "stats"), "stats"))
    seconds = _number(stats, "stats", "seconds")
    if seconds < 0:
        raise ProblemError(f"stats: seconds must be >= 0, got {show(stats['seconds'])}")
    return Result(status=status, allocations=allocations, objectives=objectives, bounds=bounds,
                  groups=groups, unserved=unserved, stats=stats)


@dataclass
class CheckReport:
    """Outcome of :func:`check`: ``objectives`` are recomputed from the valid allocations."""

    ok: bool
    errors: list[str] = field(default_factory=list)
    objectives: dict[str, float] = field(default_factory=dict)


def check(problem: Problem, result: Mapping | Result, cands: Any = None) -> CheckReport:
    """Verify ``result`` (a decoded result document or a :class:`Result`) against ``problem``.

    Raises :class:`ProblemError` when the document is malformed.
    """
    if isinstance(result, Result):
        res = result
    else:
        with gc_paused():
            res = parse_result(result)
    if cands is None:
        cands = candidate_edges(problem)
    errors: list[str] = []
    nidx, oidx = problem.need_index, problem.offer_index
    n_alloc = len(res.allocations)
    ni = np.full(n_alloc, -1, dtype=np.int64)
    oi = np.full(n_alloc, -1, dtype=np.int64)
    x = np.fromiter((a.quantity for a in res.allocations), dtype=np.float64, count=n_alloc)
    for k, a in enumerate(res.allocations):
        i, j = nidx.get(a.need), oidx.get(a.offer)
        if i is None:
            errors.append(f"allocations[{k}]: need {quote(a.need)} is not the id of a need")
        if j is None:
            errors.append(f"allocations[{k}]: offer {quote(a.offer)} is not the id of an offer")
        if i is not None and j is not None:
            ni[k], oi[k] = i, j
    pos = EdgeIndex(problem, cands).find(ni, oi)
    known = ni >= 0
    for k in np.flatnonzero(known & (pos < 0)).tolist():
        a = res.allocations[k]
        errors.append(f"allocations[{k}] (need {quote(a.need)}, offer {quote(a.offer)}): "
                      "not a candidate edge")
    for k in np.flatnonzero(known & (x <= 0)).tolist():
        errors.append(f"allocations[{k}] (need {quote(res.allocations[k].need)}): quantity must "
                      f"be positive, got {show(res.allocations[k].quantity)}")
    valid = known & (pos >= 0)
    # at most one entry per (need, offer): the edge position identifies the pair
    vpos = pos[valid]
    uniq, counts = np.unique(vpos, return_counts=True)
    if uniq.size < vpos.size:
        dup_edges = set(uniq[counts > 1].tolist())
        seen: set[int] = set()
        for k in np.flatnonzero(valid).tolist():
            e = int(pos[k])
            if e in dup_edges:
                if e in seen:
                    a = res.allocations[k]
                    errors.append(f"allocations[{k}] (need {quote(a.need)}, offer "
                                  f"{quote(a.offer)}): repeats an earlier entry for the pair")
                seen.add(e)
    ev = evaluate_arrays(problem, cands, ni[valid], oi[valid], x[valid], pos[valid])
    errors += _constraints(problem, ni[valid], x[valid], ev)
    errors += _summary(problem, res, ev)
    return CheckReport(ok=not errors, errors=errors, objectives=ev.objectives)


def _constraints(problem: Problem, ni: np.ndarray, x: np.ndarray, ev: Any) -> list[str]:
    """served <= quantity, indivisible needs whole on one edge, offer capacities."""
    errors = []
    q, _ = need_arrays(problem)
    for i in np.flatnonzero(ev.served > q * (1 + RTOL)).tolist():
        errors.append(f"need {quote(problem.needs[i].id)}: served {ev.served[i]:g} exceeds its "
                      f"quantity {q[i]:g}")
    indiv = np.fromiter((not n.divisible for n in problem.needs), dtype=bool, count=len(q))
    positive = x > 0
    n_edges = np.bincount(ni[positive], minlength=len(q))
    for i in np.flatnonzero(indiv & (n_edges > 1)).tolist():
        errors.append(f"need {quote(problem.needs[i].id)}: indivisible but served through "
                      f"{int(n_edges[i])} offers")
    part = indiv & (n_edges == 1) & (np.abs(ev.served - q) > q * RTOL)
    for i in np.flatnonzero(part).tolist():
        errors.append(f"need {quote(problem.needs[i].id)}: indivisible but served "
                      f"{ev.served[i]:g} of {q[i]:g}")
    cap = np.fromiter((o.capacity for o in problem.offers), dtype=np.float64,
                      count=len(problem.offers))
    for j in np.flatnonzero(ev.used > cap * (1 + RTOL)).tolist():
        errors.append(f"offer {quote(problem.offers[j].id)}: uses {ev.used[j]:g} of its "
                      f"capacity {cap[j]:g}")
    return errors


def _summary(problem: Problem, res: Result, ev: Any) -> list[str]:
    """Reported objectives, bound, groups and unserved list against the recomputed ones."""
    errors = []
    for name, actual in ev.objectives.items():
        if not _close(res.objectives[name], actual):
            errors.append(f"objectives: {name} reported {res.objectives[name]!r}, "
                          f"recomputed {actual!r}")
    bound, cov = res.bounds["coverage"], ev.objectives["coverage"]
    if bound is None and res.status == "optimal":
        errors.append("bounds: status optimal but the coverage bound is null")
    if bound is not None:
        if bound < cov and not _close(bound, cov):
            errors.append(f"bounds: coverage bound {bound!r} is below the coverage {cov!r}")
        # optimal: coverage is the best possible, less at most the slack given to balance/cost
        floor = (1 - problem.policy.coverage_slack) * bound
        if res.status == "optimal" and cov < floor and not _close(cov, floor):
            errors.append(f"bounds: status optimal but the coverage {cov!r} is below "
                          f"(1 - coverage_slack) x bound {bound!r}")
    missing = sorted(set(ev.groups) - set(res.groups))
    extra = sorted(set(res.groups) - set(ev.groups))
    if missing:
        errors.append(f"groups: missing {len(missing)} region(s), first {quote(missing[0])}")
    if extra:
        errors.append(f"groups: {len(extra)} region(s) without needs, first {quote(extra[0])}")
    for name, g in res.groups.items():
        want = ev.groups.get(name)
        if want is None:
            continue
        for key in ("needs", "priority", "coverage"):
            if not _close(g[key], want[key]):
                errors.append(f"groups[{quote(name)}]: {key} reported {g[key]!r}, "
                              f"recomputed {want[key]!r}")
    errors += _unserved(problem, res, ev)
    return errors


def _unserved(problem: Problem, res: Result, ev: Any) -> list[str]:
    """Every need short of its quantity is listed once, with the right reason."""
    errors = []
    q, _ = need_arrays(problem)
    listed: dict[int, int] = {}
    served_all, has_candidate, ql = ev.served.tolist(), ev.has_candidate.tolist(), q.tolist()
    for k, u in enumerate(res.unserved):
        where = _Where("unserved", k, (("need", u["need"]),))
        i = problem.need_index.get(u["need"])
        if i is None:
            errors.append(f"{where}: not the id of a need")
            continue
        if i in listed:
            errors.append(f"{where}: listed twice, also unserved[{listed[i]}]")
            continue
        listed[i] = k
        served, reason = served_all[i], u["reason"]
        if served >= ql[i] * (1 - RTOL):
            errors.append(f"{where}: listed as unserved but fully served")
        elif served > ql[i] * RTOL:
            if reason != "partial":
                errors.append(f'{where}: reason "{reason}" but served {served:g} of {ql[i]:g} '
                              '("partial")')
        elif served > 0 and reason == "partial":
            pass  # a trace of service: "partial" is as right as the no-service reasons
        elif reason != ("capacity" if has_candidate[i] else "no_candidate"):
            want = "capacity" if has_candidate[i] else "no_candidate"
            errors.append(f'{where}: reason "{reason}", expected "{want}"')
    short = np.flatnonzero(ev.served < q * (1 - UNSERVED_RTOL)).tolist()
    absent = [i for i in short if i not in listed]
    if absent:
        errors.append(f"unserved: {len(absent)} need(s) short of their quantity are not listed, "
                      f"first {quote(problem.needs[absent[0]].id)}")
    return errors
