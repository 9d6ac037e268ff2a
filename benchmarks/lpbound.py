"""LP-relaxation bounds for the benchmarks (GLOP): coverage, and balance at a coverage level.

Variables y_e in [0, 1] are the share of need n(e) served through candidate edge e (indivisible
needs are relaxed, so every figure here is a valid upper bound for integer allocations):

    sum_{e of n} y_e <= 1                                   for every need n
    sum_{e of o} use_e * q_n(e) * y_e <= capacity_o         for every offer o
    coverage(y) = sum_e p_n(e) * fit_e * y_e

1. max coverage(y)                                          -> an upper bound on coverage C
2. max t  s.t. coverage(y) >= level,
          sum_{e: n(e) in g} p_n fit_e y_e >= t * P_g       for every region g
                                                             -> an upper bound on balance B among
                                                                allocations with C >= level
The model is written as an MPModelProto and solved through one serialized request, because
per-variable Python calls would dominate at millions of edges.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from ortools.linear_solver import linear_solver_pb2 as pb
from ortools.linear_solver.python import model_builder_helper as mbh

from matching.evaluate import need_arrays, region_codes
from matching.problem import Problem


def _rows(index: np.ndarray, count: int) -> list[np.ndarray]:
    """For each row r in 0..count-1, the positions k with index[k] == r (stable)."""
    order = np.argsort(index, kind="stable")
    bounds = np.searchsorted(index[order], np.arange(count + 1))
    return [order[bounds[r] : bounds[r + 1]] for r in range(count)]


def _add_row(model: Any, cols: np.ndarray, coefs: np.ndarray, lo: float, hi: float) -> Any:
    ct = model.constraint.add(lower_bound=lo, upper_bound=hi)
    ct.var_index.extend(cols.tolist())
    ct.coefficient.extend(coefs.tolist())
    return ct


def _solve(model: Any, time_limit_s: float) -> tuple[str, float | None, float]:
    """Solve with GLOP; (status name, objective or None, seconds)."""
    req = pb.MPModelRequest(
        model=model,
        solver_type=pb.MPModelRequest.GLOP_LINEAR_PROGRAMMING,
        solver_time_limit_seconds=time_limit_s,
    )
    t0 = time.perf_counter()
    raw = mbh.ModelSolverHelper("glop").solve_serialized_request(req.SerializeToString())
    seconds = time.perf_counter() - t0
    resp = pb.MPSolutionResponse.FromString(raw)
    status = pb.MPSolverResponseStatus.Name(resp.status)
    if resp.status != pb.MPSOLVER_OPTIMAL:
        return status, None, seconds
    return status, float(resp.objective_value), seconds


def lp_bounds(
    problem: Problem, cands: Any, coverage_level: float | None, time_limit_s: float = 300.0
) -> dict[str, Any]:
    """LP coverage bound, and (when ``coverage_level`` is given) the LP balance bound at it.

    Returns {"coverage_lp", "balance_lp", "status_coverage", "status_balance", "seconds",
    "rows", "columns"}; a bound is None when GLOP did not prove optimality in time.
    """
    t0 = time.perf_counter()
    q, p = need_arrays(problem)
    names, region = region_codes(problem)
    ne = np.asarray(cands.need, dtype=np.int64)
    oe = np.asarray(cands.offer, dtype=np.int64)
    cover = p[ne] * np.asarray(cands.fit, dtype=np.float64)  # coverage per unit of y_e
    load = np.asarray(cands.use, dtype=np.float64) * q[ne]  # capacity use per unit of y_e
    n_e = ne.shape[0]
    model = pb.MPModelProto(maximize=True)
    for c in cover.tolist():
        model.variable.add(lower_bound=0.0, upper_bound=1.0, objective_coefficient=c)
    cols = np.arange(n_e)
    for rows in _rows(ne, len(problem.needs)):
        if rows.size > 1:  # a single edge is already capped by its bound y_e <= 1
            _add_row(model, cols[rows], np.ones(rows.size), -np.inf, 1.0)
    caps = [o.capacity for o in problem.offers]
    for o, rows in enumerate(_rows(oe, len(problem.offers))):
        if rows.size and float(load[rows].sum()) > caps[o]:  # skip rows that cannot bind
            _add_row(model, cols[rows], load[rows], -np.inf, caps[o])
    build = time.perf_counter() - t0
    out: dict[str, Any] = {"columns": n_e, "rows": len(model.constraint)}
    status, cov_lp, secs = _solve(model, time_limit_s)
    out.update(coverage_lp=cov_lp, status_coverage=status, seconds_coverage=secs)
    out.update(balance_lp=None, status_balance=None, seconds_balance=0.0)
    if coverage_level is not None and n_e:
        if cov_lp is not None:  # round-off must not make the floor exceed what the LP reaches
            coverage_level = min(coverage_level, cov_lp)
        coverage_level -= 1e-7 * max(1.0, abs(coverage_level))
        # Second model: same rows plus the coverage floor and one row per region; max t.
        for v in model.variable:
            v.objective_coefficient = 0.0
        t_index = n_e
        model.variable.add(lower_bound=0.0, upper_bound=1.0, objective_coefficient=1.0)
        _add_row(model, cols, cover, coverage_level, np.inf)
        ptot = np.bincount(region, weights=p, minlength=len(names))
        by_group = _rows(region[ne], len(names))
        for g, rows in enumerate(by_group):
            idx = np.append(cols[rows], t_index)
            coef = np.append(cover[rows], -ptot[g])
            _add_row(model, idx, coef, 0.0, np.inf)
        status, bal_lp, secs = _solve(model, max(1.0, time_limit_s - secs))
        out.update(balance_lp=bal_lp, status_balance=status, seconds_balance=secs)
    out["seconds"] = time.perf_counter() - t0
    out["seconds_build"] = build
    return out
