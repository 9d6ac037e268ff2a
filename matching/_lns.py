"""Large-neighbourhood search on the cost level of the exact path.

Each step frees every need served by a few offers (plus unserved needs that could use them),
keeps the rest of the allocation fixed, and lets CP-SAT re-assign the freed needs among those
offers at least cost. Coverage (and every balance group's coverage) of the freed needs may not
drop, so the earlier levels stay satisfied. The neighbourhood size adapts: it grows while
sub-problems are proven optimal quickly and shrinks when they time out.
"""

from __future__ import annotations

import random

import numpy as np
from ortools.sat.python import cp_model

from ._common import Budget, Progress, report

SUB_SECONDS = 1.0  # time limit of one sub-problem
FAST = 0.3  # a sub-problem proven optimal faster than this grows the neighbourhood


def improve_cost(em, y: np.ndarray, budget: Budget, workers: int, progress: Progress,
                 reserve: float = 0.2, seed: int = 0) -> tuple[np.ndarray, dict]:
    """Improve the cost of the 0/1 edge vector ``y`` until ``reserve`` of the time is left.

    Returns the best vector found and statistics (steps, improvements, final size).
    """
    d = em.d
    rng = random.Random(seed)
    n_offers = len(d.cap)
    order = np.argsort(d.offer, kind="stable")
    bounds = np.searchsorted(d.offer[order], np.arange(n_offers + 1))
    edges_of_offer = [order[bounds[o]:bounds[o + 1]] for o in range(n_offers)]
    balance = em.t is not None
    y = y.copy()
    k = min(3, n_offers)
    steps = improved = 0
    stop_at = budget.left() * reserve
    start_left = budget.left()
    total_start = int(np.dot(d.cost, y))
    while budget.left() > stop_at + 0.05 and n_offers > 1:
        chosen = _pick_offers(rng, d, y, edges_of_offer, k)
        seconds = min(SUB_SECONDS, budget.left() - stop_at)
        result = _sub_solve(d, y, chosen, edges_of_offer, balance, seconds)
        steps += 1
        if result is None:
            k = max(2, k - 1)
            continue
        new_y, optimal, wall = result
        if new_y is not None:
            y = new_y
            improved += 1
        if optimal and wall < FAST:
            k = min(n_offers, k + 1)
        elif not optimal:
            k = max(2, k - 1)
        if start_left > 0:
            report(progress, "cost", 0.5 + 0.45 * (1 - budget.left() / start_left))
    stats = {"steps": steps, "improved": improved, "size": k,
             "cost_before": total_start, "cost_after": int(np.dot(d.cost, y))}
    return y, stats


def _pick_offers(rng: random.Random, d, y, edges_of_offer, k: int) -> list[int]:
    """A seed offer and k-1 offers that its needs could move to cheaply (or random ones)."""
    n_offers = len(d.cap)
    seed = rng.randrange(n_offers)
    if rng.random() < 0.5:
        return [seed] + rng.sample([o for o in range(n_offers) if o != seed], k - 1)
    # offers where the seed's needs have their cheapest alternatives
    served = edges_of_offer[seed][y[edges_of_offer[seed]] > 0]
    needs = set(d.need[served].tolist())
    score: dict[int, float] = {}
    for o in range(n_offers):
        if o == seed:
            continue
        e = edges_of_offer[o]
        mask = np.isin(d.need[e], list(needs)) if needs else np.zeros(len(e), dtype=bool)
        score[o] = float(mask.sum()) + rng.random()
    ranked = sorted(score, key=score.get, reverse=True)
    pool = ranked[: max(k - 1, 2 * (k - 1))]
    return [seed] + rng.sample(pool, min(k - 1, len(pool)))


def _sub_solve(d, y, chosen, edges_of_offer, balance: bool, seconds: float):
    """Re-assign the needs of ``chosen`` offers; returns (new y or None, optimal, wall) or None."""
    sub = np.concatenate([edges_of_offer[o] for o in chosen])
    freed_needs = np.unique(d.need[sub[y[sub] > 0]])
    # needs served elsewhere stay where they are
    assigned_elsewhere = np.zeros(int(d.need.max()) + 1, dtype=bool)
    assigned_elsewhere[d.need[y > 0]] = True
    assigned_elsewhere[freed_needs] = False
    sub = sub[~assigned_elsewhere[d.need[sub]]]
    if sub.size == 0:
        return None
    m = cp_model.CpModel()
    v = [m.new_bool_var("") for _ in range(sub.size)]
    needs = d.need[sub]
    for n in np.unique(needs).tolist():
        idx = np.flatnonzero(needs == n)
        if idx.size > 1:
            m.add_at_most_one([v[i] for i in idx.tolist()])
    offers = d.offer[sub]
    for o in chosen:
        idx = np.flatnonzero(offers == o)
        if idx.size:
            m.add(cp_model.LinearExpr.weighted_sum([v[i] for i in idx.tolist()],
                                                   d.load[sub[idx]].tolist()) <= int(d.cap[o]))
    w = d.w[sub]
    cur = y[sub]
    m.add(cp_model.LinearExpr.weighted_sum(v, w.tolist()) >= int(np.dot(w, cur)))
    if balance:
        groups = d.group[sub]
        for g in np.unique(groups).tolist():
            idx = np.flatnonzero(groups == g)
            floor = int(np.dot(w[idx], cur[idx]))
            m.add(cp_model.LinearExpr.weighted_sum([v[i] for i in idx.tolist()],
                                                   w[idx].tolist()) >= floor)
    c = d.cost[sub]
    m.minimize(cp_model.LinearExpr.weighted_sum(v, c.tolist()))
    for var, h in zip(v, cur.tolist(), strict=True):
        m.add_hint(var, h)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.01, seconds)
    solver.parameters.num_workers = 1
    status = solver.solve(m)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    new = np.asarray([solver.value(var) for var in v], dtype=np.int64)
    optimal = status == cp_model.OPTIMAL
    if int(np.dot(c, new)) >= int(np.dot(c, cur)):
        return None, optimal, solver.wall_time
    y = y.copy()
    y[sub] = new
    return y, optimal, solver.wall_time
