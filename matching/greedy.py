"""Greedy first-come-first-served baseline: how platforms without an optimiser allocate today.

Needs are taken in descending priority (input order among equal priorities); each is filled from
its candidates in input order (explicit edge order, or offer order for derived candidates).
An indivisible need goes whole to the first candidate with enough remaining capacity, or
nowhere. Runs in time linear in the number of candidate edges.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from .candidates import candidate_edges
from .evaluate import Result, make_result
from .problem import Problem

# relative slack when comparing a need's capacity use with what is left of an offer, so that
# float round-off in earlier subtractions does not turn away a need that fits exactly
_FIT_RTOL = 1e-9


def _input_order_edges(problem: Problem, cands: Any) -> tuple[list, list, list]:
    """Per-need CSR (starts, offer, use) in the order the greedy walks them."""
    if problem.edges is None:  # derived candidates are already in offer input order per need
        return cands.starts.tolist(), cands.offer.tolist(), cands.use.tolist()
    edges, n = problem.edges, len(problem.edges)
    need = np.fromiter((e.need for e in edges), dtype=np.int64, count=n)
    order = np.argsort(need, kind="stable")  # group by need, keep the edge order inside
    starts = np.searchsorted(need[order], np.arange(len(problem.needs) + 1)).tolist()

    def column(name: str, dtype: type) -> list:
        values = np.fromiter((getattr(e, name) for e in edges), dtype=dtype, count=n)
        return values[order].tolist()

    return starts, column("offer", np.int64), column("use", np.float64)


def greedy_quantities(problem: Problem, cands: Any) -> dict[tuple[int, int], float]:
    """The greedy allocation as ``{(need index, offer index): quantity}``."""
    starts, offer, use = _input_order_edges(problem, cands)
    remaining = [o.capacity for o in problem.offers]
    rtol = [o.capacity * _FIT_RTOL for o in problem.offers]
    prio = np.fromiter((n.priority for n in problem.needs), dtype=np.float64,
                       count=len(problem.needs))
    out: dict[tuple[int, int], float] = {}
    for i in np.argsort(-prio, kind="stable").tolist():
        need = problem.needs[i]
        lo, hi = starts[i], starts[i + 1]
        if need.divisible:
            left = need.quantity
            for k in range(lo, hi):
                o = offer[k]
                cap = remaining[o]
                if cap <= 0.0:
                    continue
                u = use[k]
                if left * u <= cap:  # the rest of the need fits: done
                    remaining[o] = cap - left * u
                    out[(i, o)] = left
                    break
                take = cap / u
                remaining[o] = 0.0  # the whole remaining capacity goes to this need
                out[(i, o)] = take
                left -= take
        else:
            q = need.quantity
            for k in range(lo, hi):
                o = offer[k]
                if q * use[k] <= remaining[o] + rtol[o]:
                    remaining[o] = max(remaining[o] - q * use[k], 0.0)
                    out[(i, o)] = q
                    break
    return out


def coverage_bound(problem: Problem, cands: Any) -> float:
    """Trivial upper bound on coverage: every need served whole through its best-fit edge."""
    n = len(problem.needs)
    best = np.zeros(n)
    if len(cands.need):
        np.maximum.at(best, np.asarray(cands.need, dtype=np.int64), np.asarray(cands.fit))
    prio = np.fromiter((x.priority for x in problem.needs), dtype=np.float64, count=n)
    return float(np.dot(prio, best))


def baseline(problem: Problem) -> Result:
    """Greedy first-come-first-served allocation of ``problem`` as a "feasible" Result."""
    t0 = time.perf_counter()
    cands = candidate_edges(problem)
    quantities = greedy_quantities(problem, cands)
    bound = coverage_bound(problem, cands)
    seconds = time.perf_counter() - t0
    return make_result(problem, cands, quantities, "feasible", bound, seconds,
                       {"engine": "greedy", "candidates": len(cands.need)})
