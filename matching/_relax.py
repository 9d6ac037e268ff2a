"""The scalable path: lexicographic LP over need classes, then rounding and repair.

Used for large problems and for any problem with divisible needs. The LP (see ``_lp.py``) is
exact for divisible needs; for indivisible ones it is a relaxation, so its coverage optimum is
the proven upper bound reported, and the rounding loss is measured against it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ._classes import build_classes
from ._common import Arrays, Budget, Progress, coverage_floor, coverage_of, group_shares, report
from ._lp import ClassLP
from ._rounding import disaggregate, make_exact, repair

# Share of the remaining time each LP level may take (the rest carries over).
LEVEL_SHARE = {"coverage": 0.45, "balance": 0.6, "cost": 0.8}
# Relative tolerance when a level's optimum becomes a floor for the next level.
FLOOR_RTOL = 1e-7


@dataclass
class Outcome:
    """What a solve path returns: per-edge quantities, proof status and bound, statistics."""

    x: np.ndarray
    optimal: bool
    bound: float | None
    stats: dict = field(default_factory=dict)


def solve_relaxed(cands, a: Arrays, slack: float, balance: bool, budget: Budget,
                  progress: Progress) -> Outcome:
    """Lexicographic LP on classes, then disaggregate, round and repair."""
    stats: dict = {"method": "class-lp"}
    n_edges = len(cands)
    classes = build_classes(cands, a.q, a.p, a.group, a.divisible)
    stats["classes"] = len(classes)
    if not classes:
        return Outcome(np.zeros(n_edges), True, 0.0, stats)
    lp = ClassLP(classes, a.capacity, len(a.group_names), a.group_priority)
    stats["lp_columns"] = lp.solver.NumVariables()
    report(progress, "coverage", 0.15)

    proven = []
    status, c_lp = lp.coverage(budget.share(LEVEL_SHARE["coverage"]))
    proven.append(status is True)
    if status is None:  # no LP solution in time: fall back to repair alone
        stats["lp"] = "no solution in time"
        return _finish(np.zeros(n_edges), cands, a, balance, False, None, stats, None)
    z = lp.values()
    bound = c_lp * (1 + 1e-9) + 1e-9 if status else None
    stats["lp_coverage"] = c_lp
    floor_c = coverage_floor(c_lp, slack)

    b_lp = None
    if balance and len(a.group_names) > 1 and budget.left() > 0:
        report(progress, "balance", 0.4)
        status, b_lp = lp.balance(floor_c, budget.share(LEVEL_SHARE["balance"]))
        proven.append(status is True)
        if status is not None:
            z = lp.values()
            stats["lp_balance"] = b_lp
        else:
            b_lp = None
    has_cost = any(np.any(cl.cost != 0) for cl in classes)
    if has_cost and budget.left() > 0:
        report(progress, "cost", 0.65)
        floor_b = 0.0 if b_lp is None else max(0.0, b_lp - FLOOR_RTOL * max(b_lp, 1e-9))
        status, k_lp = lp.cost(floor_c, floor_b, budget.share(LEVEL_SHARE["cost"]))
        proven.append(status is True)
        if status is not None:
            z = lp.values()
            stats["lp_cost"] = k_lp
    elif has_cost:
        proven.append(False)
    report(progress, "rounding", 0.85)
    x = disaggregate(classes, z, cands, a.q, n_edges)
    exact = bool(np.all(a.divisible)) and all(proven)
    return _finish(x, cands, a, balance, exact, bound, stats, floor_c)


def _finish(x, cands, a: Arrays, balance: bool, exact: bool, bound, stats,
            floor_c: float | None) -> Outcome:
    """Make ``x`` exactly feasible, hand leftover capacity out, and package the outcome.

    Repair first lifts coverage back to its floor (rounding may have lost some) through any
    edge, then gives what is left through free edges only (cost <= 0 cannot hurt any level):
    past the floor, coverage bought at a cost would break the cost level.
    """
    x = make_exact(x, cands, a.q, a.capacity, a.divisible)
    before = coverage_of(x, cands, a)
    missing = np.inf if floor_c is None else floor_c - before
    if missing > 0:
        x = repair(x, cands, a.q, a.p, a.capacity, a.divisible, repair_order(x, cands, a, balance),
                   need_gain=None if floor_c is None else missing)
    x = repair(x, cands, a.q, a.p, a.capacity, a.divisible, repair_order(x, cands, a, balance),
               free_only=True)
    x = make_exact(x, cands, a.q, a.capacity, a.divisible)
    stats["repair_gain"] = coverage_of(x, cands, a) - before
    return Outcome(x, exact, bound, stats)


def repair_order(x: np.ndarray, cands, a: Arrays, balance: bool) -> np.ndarray:
    """Needs in the order repair serves them: worst-served group first when balancing, then
    value per unit (priority / quantity), best first."""
    ratio = a.p / a.q
    if balance and len(a.group_names) > 1:
        share = group_shares(x, cands, a)
        return np.lexsort((-ratio, share[a.group]))
    return np.argsort(-ratio, kind="stable")


def polish(x: np.ndarray, cands, a: Arrays, balance: bool) -> np.ndarray:
    """Make a solver's ``x`` exactly feasible and give leftovers through free edges only."""
    x = make_exact(x, cands, a.q, a.capacity, a.divisible)
    x = repair(x, cands, a.q, a.p, a.capacity, a.divisible, repair_order(x, cands, a, balance),
               free_only=True)
    return make_exact(x, cands, a.q, a.capacity, a.divisible)
