"""The optimiser: lexicographic coverage, balance, cost (see docs/matching.md).

``solve`` picks a method by the problem's shape:
- all needs indivisible and few enough candidate edges: CP-SAT level by level, with a
  large-neighbourhood search on the cost level (``_exact.py``, ``_lns.py``);
- small problems mixing divisible and indivisible needs: a need-level MIP (SCIP, ``_mip.py``),
  checked against the relaxed path below;
- otherwise: a lexicographic LP over classes of interchangeable needs (GLOP), rounded and
  repaired (``_relax.py``).
Both return per-edge quantities that satisfy every constraint exactly; the Result is built by
``evaluate.make_result`` so objectives are computed the one shared way.
"""

from __future__ import annotations

import math

import numpy as np

from ._common import Arrays, Budget, Progress, coverage_of, problem_arrays, report
from ._exact import EXACT_MAX_EDGES, solve_exact
from ._mip import MIP_MAX_EDGES, solve_mip
from ._relax import Outcome, polish, solve_relaxed
from ._rounding import make_exact
from .candidates import candidate_edges
from .evaluate import Result, make_result
from .greedy import coverage_bound, greedy_quantities
from .problem import Problem

DEFAULT_WORKERS = 2


def solve(problem: Problem, *, time_limit_s: float | None = None, workers: int | None = None,
          progress: Progress = None) -> Result:
    """Allocate offers to needs, lexicographically: coverage, then balance, then cost.

    Args:
        problem: a validated problem.
        time_limit_s: wall-clock budget for the whole solve (default: the policy's).
        workers: CP-SAT search workers (default 2).
        progress: optional callback ``progress(stage, fraction)``.

    Returns:
        A Result; status "optimal" only when every level is proven optimal. Never raises on a
        valid problem: when time runs out the best valid allocation found is returned.
    """
    limit = problem.policy.time_limit_s if time_limit_s is None else time_limit_s
    if not (isinstance(limit, int | float) and math.isfinite(limit) and limit > 0):
        limit = problem.policy.time_limit_s
    # what is not interruptible (building models, the result) is paid out of a margin
    budget = Budget(max(limit * 0.5, limit - min(0.05 * limit, 1.0) - 1e-5 * _edge_count(problem)))
    workers = max(1, int(workers or DEFAULT_WORKERS))
    report(progress, "candidates", 0.0)
    cands = candidate_edges(problem)
    arrays = problem_arrays(problem)
    policy = problem.policy
    balance = policy.balance_by == "region"
    slack = min(max(float(policy.coverage_slack), 0.0), 1.0)
    report(progress, "model", 0.05)
    mixed = arrays.divisible.any() and not arrays.divisible.all()
    x_greedy = _greedy_x(problem, cands)
    if len(cands) and not arrays.divisible.any() and len(cands) <= EXACT_MAX_EDGES:
        out = solve_exact(cands, arrays, slack, balance, budget, workers, progress, x_greedy)
    elif mixed and len(cands) <= MIP_MAX_EDGES:
        out = _solve_mixed(cands, arrays, slack, balance, budget, progress)
    else:
        out = solve_relaxed(cands, arrays, slack, balance, budget, progress)
    report(progress, "done", 1.0)
    x = make_exact(out.x, cands, arrays.q, arrays.capacity, arrays.divisible)  # a safety net
    out = _not_below_greedy(x, x_greedy, out, cands, arrays, slack)
    x = out.x
    if out.bound is not None:  # no bound above every need served whole at its best fit
        out.bound = max(min(out.bound, coverage_bound(problem, cands)), coverage_of(x, cands,
                                                                                   arrays))
    nz = np.flatnonzero(x > 0)
    allocations = {(int(cands.need[e]), int(cands.offer[e])): float(x[e]) for e in nz.tolist()}
    status = "optimal" if out.optimal else "feasible"
    stats = {"edges": len(cands), "workers": workers, **out.stats}
    return make_result(problem, cands, allocations, status, out.bound, budget.elapsed(), stats)


def _greedy_x(problem: Problem, cands) -> np.ndarray:
    """The greedy baseline's allocation as per-edge quantities."""
    x = np.zeros(len(cands))
    for (i, o), qty in greedy_quantities(problem, cands).items():
        s = int(cands.starts[i])
        k = s + int(np.flatnonzero(cands.offer[s:int(cands.starts[i + 1])] == o)[0])
        x[k] = qty
    return x


def _not_below_greedy(x: np.ndarray, x_greedy: np.ndarray, out: Outcome, cands,
                      a: Arrays, slack: float) -> Outcome:
    """The engine never returns less coverage than the greedy baseline less the share the
    policy lets balance and cost spend (the exact path keeps the greedy's full coverage as a
    floor, so with it, and whenever the slack is 0, never less than the greedy at all): when a
    method (or its time limit) ends below, the greedy allocation is returned instead."""
    c_engine, c_greedy = coverage_of(x, cands, a), coverage_of(x_greedy, cands, a)
    if c_engine >= (1 - slack) * c_greedy - 1e-9 * max(1.0, abs(c_greedy)):
        return Outcome(x, out.optimal, out.bound, out.stats)
    stats = {**out.stats, "greedy_fallback": {"engine_coverage": c_engine}}
    return Outcome(x_greedy, False, out.bound, stats)


def _edge_count(problem: Problem) -> int:
    """Explicit edges, or an estimate of derived ones (the margin only needs the scale)."""
    if problem.edges is not None:
        return len(problem.edges)
    return 12 * len(problem.needs)


def _solve_mixed(cands, a: Arrays, slack: float, balance: bool, budget: Budget,
                 progress: Progress) -> Outcome:
    """Relaxed path first (fast, a fallback), then the MIP with the time left."""
    relaxed_budget = Budget(budget.share(0.3))
    relaxed = solve_relaxed(cands, a, slack, balance, relaxed_budget, None)
    found = solve_mip(cands, a, slack, balance, budget, progress)
    if found is None:
        relaxed.stats["mip"] = "no solution in time"
        return relaxed
    y, proven, bound, stats = found
    x = np.where(a.divisible[cands.need], y, np.round(y)) * a.q[cands.need]
    x = polish(x, cands, a, balance)
    if not proven and coverage_of(x, cands, a) < coverage_of(relaxed.x, cands, a):
        relaxed.stats["mip"] = "worse than the relaxed path"
        return relaxed
    if relaxed.bound is not None:
        bound = min(bound, relaxed.bound)
    return Outcome(x, proven, bound, stats)
