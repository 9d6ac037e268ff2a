"""LP-relaxation bounds for the benchmarks: coverage, and balance at a coverage level.

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
The model is written as an MPModelProto and solved through one serialized request (per-variable
Python calls would dominate at millions of edges): GLOP (simplex) for small models, PDLP (a
first-order method, fast on large ones but only accurate to a tolerance) above ``GLOP_MAX_COLUMNS``.

Either way the reported bound is not the solver's objective but a Lagrangian dual bound computed
here from the solver's offer/region/floor multipliers: with any multipliers v, lambda, mu >= 0,

    C <= sum_o v_o cap_o + sum_n max(0, max_e (c_e - a_e v_o(e)))
    B <= max(0, 1 - sum_g mu_g P_g) + sum_o v_o cap_o - lambda*level
         + sum_n max(0, max_e (c_e (lambda + mu_g(n)) - a_e v_o(e)))

(c_e coverage per unit of y_e, a_e capacity use per unit). These hold for every allocation, so the
bound is rigorous even when PDLP stops at its tolerance or time limit; at an exact LP optimum it
equals the LP value.
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


GLOP_MAX_COLUMNS = 100_000
PDLP_TOLERANCE = 1e-4
PDLP_PARAMS = ("num_threads: 2 termination_criteria { simple_optimality_criteria { "
               "eps_optimal_relative: TOL eps_optimal_absolute: TOL } }")


def _solve(model: Any, time_limit_s: float, pdlp: bool, tol: float = PDLP_TOLERANCE
           ) -> tuple[str, float | None, np.ndarray, float]:
    """Solve; (status name, objective or None, dual values, seconds)."""
    req = pb.MPModelRequest(
        model=model,
        solver_type=(pb.MPModelRequest.PDLP_LINEAR_PROGRAMMING if pdlp
                     else pb.MPModelRequest.GLOP_LINEAR_PROGRAMMING),
        solver_time_limit_seconds=time_limit_s,
    )
    if pdlp:
        req.solver_specific_parameters = PDLP_PARAMS.replace("TOL", repr(tol))
    t0 = time.perf_counter()
    raw = mbh.ModelSolverHelper("pdlp" if pdlp else "glop").solve_serialized_request(
        req.SerializeToString())
    seconds = time.perf_counter() - t0
    resp = pb.MPSolutionResponse.FromString(raw)
    status = pb.MPSolverResponseStatus.Name(resp.status)
    dual = np.asarray(resp.dual_value, dtype=np.float64)
    if len(dual) != len(model.constraint):
        dual = np.zeros(len(model.constraint))
    obj = float(resp.objective_value) if resp.status == pb.MPSOLVER_OPTIMAL else None
    return status, obj, dual, seconds


def _need_max(ne: np.ndarray, val: np.ndarray, n_needs: int) -> float:
    """sum over needs of max(0, max over the need's edges of val)."""
    best = np.zeros(n_needs)
    np.maximum.at(best, ne, val)
    return float(best.sum())


def _class_lp(problem: Problem, cands: Any) -> Any:
    """The engine's class LP (identical needs aggregated, GLOP). Used here only as a source of
    multipliers: the bounds are computed from them by the formulas above over the need-level
    data, so they are proven whatever the class LP does; when it is exact they are tight."""
    from matching._classes import build_classes
    from matching._common import problem_arrays
    from matching._lp import ClassLP

    a = problem_arrays(problem)
    classes = build_classes(cands, a.q, a.p, a.group, a.divisible)
    return ClassLP(classes, a.capacity, len(a.group_names), a.group_priority)


def lp_bounds(
    problem: Problem, cands: Any, coverage_level: float | None, time_limit_s: float = 300.0,
    *, skip_coverage: bool = False, tolerance: float = PDLP_TOLERANCE,
    multipliers: str = "class",
) -> dict[str, Any]:
    """Coverage bound, and (when ``coverage_level`` is given) the balance bound at that level.

    ``skip_coverage`` skips the coverage LP (only with a level: the balance LP alone, for large
    problems whose coverage bound is already known); ``tolerance`` is PDLP's relative/absolute
    optimality tolerance (its multipliers only need to be good, the bound stays valid).

    Returns {"coverage_bound", "balance_bound" (rigorous dual bounds, None when not computed),
    "coverage_lp", "balance_lp" (the solver's objective when it reports optimal), statuses,
    seconds, "method", "rows", "columns"}.
    """
    t0 = time.perf_counter()
    q, p = need_arrays(problem)
    names, region = region_codes(problem)
    ne = np.asarray(cands.need, dtype=np.int64)
    oe = np.asarray(cands.offer, dtype=np.int64)
    cover = p[ne] * np.asarray(cands.fit, dtype=np.float64)  # coverage per unit of y_e
    load = np.asarray(cands.use, dtype=np.float64) * q[ne]  # capacity use per unit of y_e
    caps = np.array([o.capacity for o in problem.offers], dtype=np.float64)
    n_e, n_needs = ne.shape[0], len(problem.needs)
    pdlp = n_e > GLOP_MAX_COLUMNS
    # PDLP's multipliers at a loose tolerance give loose Lagrangian bounds (province balance:
    # 0.618 at 1e-3 against an exact 0.583); GLOP on the aggregated LP gives exact ones fast.
    class_lp = _class_lp(problem, cands) if pdlp and multipliers == "class" else None
    model = pb.MPModelProto(maximize=True)
    for c in cover.tolist():
        model.variable.add(lower_bound=0.0, upper_bound=1.0, objective_coefficient=c)
    cols = np.arange(n_e)
    for rows in _rows(ne, n_needs):
        if rows.size > 1:  # a single edge is already capped by its bound y_e <= 1
            _add_row(model, cols[rows], np.ones(rows.size), -np.inf, 1.0)
    offer_row: list[tuple[int, int]] = []  # (constraint index, offer)
    for o, rows in enumerate(_rows(oe, len(problem.offers))):
        if rows.size and float(load[rows].sum()) > caps[o]:  # skip rows that cannot bind
            offer_row.append((len(model.constraint), o))
            _add_row(model, cols[rows], load[rows], -np.inf, caps[o])
    ct_idx = np.array([k for k, _ in offer_row], dtype=np.int64)
    ct_off = np.array([o for _, o in offer_row], dtype=np.int64)
    out: dict[str, Any] = {"columns": n_e, "rows": len(model.constraint),
                           "method": ("class-lp glop" if class_lp is not None
                                      else "pdlp" if pdlp else "glop"),
                           "seconds_build": time.perf_counter() - t0}

    def offer_prices(dual: np.ndarray, sign: float) -> np.ndarray:
        v = np.zeros(len(caps))
        v[ct_off] = np.maximum(0.0, sign * dual[ct_idx])
        return v

    if skip_coverage and coverage_level is not None:
        status, cov_lp, secs, cov_bound = "SKIPPED", None, 0.0, float("inf")
    else:
        if class_lp is not None:
            t1 = time.perf_counter()
            ok, value = class_lp.coverage(time_limit_s)
            v_cls, _, _ = class_lp.multipliers()
            dual = np.zeros(len(model.constraint))
            dual[ct_idx] = v_cls[ct_off]
            status = "CLASS_LP_" + {True: "OPTIMAL", False: "FEASIBLE", None: "NONE"}[ok]
            cov_lp, secs = (value if ok else None), time.perf_counter() - t1
        else:
            status, cov_lp, dual, secs = _solve(model, time_limit_s, pdlp, tolerance)
        bounds = []
        for sign in (1.0, -1.0):  # any v >= 0 gives a valid bound: try both sign conventions
            v = offer_prices(dual, sign)
            bounds.append(float(v @ caps) + _need_max(ne, cover - load * v[oe], n_needs))
        cov_bound = min(bounds)
    out.update(coverage_lp=cov_lp, status_coverage=status,
               coverage_bound=None if cov_bound == float("inf") else cov_bound,
               seconds_coverage=secs)
    out.update(balance_lp=None, balance_bound=None, status_balance=None, seconds_balance=0.0)
    if coverage_level is not None and n_e:
        # round-off must not lift the floor above what the LP can reach
        level = min(coverage_level, cov_bound) - 1e-7 * max(1.0, abs(coverage_level))
        for var in model.variable:
            var.objective_coefficient = 0.0
        t_index = n_e
        model.variable.add(lower_bound=0.0, upper_bound=1.0, objective_coefficient=1.0)
        floor_row = len(model.constraint)
        _add_row(model, cols, cover, level, np.inf)
        ptot = np.bincount(region, weights=p, minlength=len(names))
        first_group = len(model.constraint)
        for g, rows in enumerate(_rows(region[ne], len(names))):
            _add_row(model, np.append(cols[rows], t_index), np.append(cover[rows], -ptot[g]),
                     0.0, np.inf)
        if class_lp is not None:
            t1 = time.perf_counter()
            ok, value = class_lp.balance(level, max(1.0, time_limit_s - secs))
            v_cls, d_floor, d_groups = class_lp.multipliers()
            dual = np.zeros(len(model.constraint))
            dual[ct_idx] = v_cls[ct_off]
            dual[floor_row] = d_floor
            dual[first_group:first_group + len(names)] = d_groups
            status = "CLASS_LP_" + {True: "OPTIMAL", False: "FEASIBLE", None: "NONE"}[ok]
            bal_lp, secs = (value if ok else None), time.perf_counter() - t1
        else:
            status, bal_lp, dual, secs = _solve(model, max(1.0, time_limit_s - secs), pdlp,
                                                tolerance)
        bounds = []
        gdual = dual[first_group:first_group + len(names)]
        for sign in (1.0, -1.0):
            v = offer_prices(dual, sign)
            lam = max(0.0, -sign * float(dual[floor_row]))
            mu = np.maximum(0.0, -sign * gdual)
            val = cover * (lam + mu[region[ne]]) - load * v[oe]
            bounds.append(max(0.0, 1.0 - float(mu @ ptot)) + float(v @ caps) - lam * level
                          + _need_max(ne, val, n_needs))
        out.update(balance_lp=bal_lp, balance_bound=min(bounds), status_balance=status,
                   seconds_balance=secs)
    out["seconds"] = time.perf_counter() - t0
    return out
