"""Large-neighbourhood search on the cost level of the exact path.

Each step frees a set of needs (those of a few random offers, sampled down to a target size,
plus unserved needs that could use those offers), keeps every other need where it is, and lets
CP-SAT re-assign the freed needs to any of their offers within the capacity the fixed needs leave,
at least cost. Coverage (and every balance group's coverage) of the freed needs may not drop, so
the earlier levels stay satisfied. The target size adapts: it grows while sub-problems are proven
optimal quickly and shrinks when they time out.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from ortools.sat.python import cp_model

from ._common import Budget, Progress, report

SUB_SECONDS = 0.5  # time limit of one sub-problem
FAST = 0.25  # a sub-problem proven optimal faster than this grows the neighbourhood
START_SIZE = 24  # freed needs in the first step
EXCHANGE_SHARE = 0.5  # share of steps that move needs only among the chosen offers
SUB_PARAMS: dict = {}
GUIDED_SHARE = 0.7  # share of steps drawn by LP reduced cost (when given)


def improve_cost(em, y: np.ndarray, budget: Budget, workers: int, progress: Progress,
                 reserve: float = 0.15, seed: int = 0,
                 keep: np.ndarray | None = None,
                 rc: np.ndarray | None = None,
                 stop: Callable[[], bool] | None = None,
                 lanes: int = 1) -> tuple[np.ndarray, dict]:
    """Improve the cost of the 0/1 edge vector ``y`` until ``reserve`` of the time is left.

    ``keep`` (per edge) limits the edges a freed need may move to; its current edge always stays.
    ``rc`` (per edge, LP reduced costs) guides some steps to the needs whose current edge the LP
    prices worst: with a tight LP, that is where the cost above the optimum sits.
    ``stop`` (optional) ends the search early when it returns True (another method proved the
    optimum). With ``lanes`` 2, every step solves two sub-problems at once (disjoint needs, the
    offers' free capacity split between them) on two threads: CP-SAT releases the GIL, so each
    runs on its own core (not used by default: see LNS_LANES in ``_costlevel``).

    Returns the best vector found and statistics (steps, improvements, final size).
    """
    d = em.d
    rng = random.Random(seed)
    nrng = np.random.default_rng(seed)
    n_needs = int(d.need.max()) + 1 if len(d.need) else 0
    n_offers = len(d.cap)
    starts = np.searchsorted(d.need, np.arange(n_needs + 1))
    order = np.argsort(d.offer, kind="stable")
    bounds = np.searchsorted(d.offer[order], np.arange(n_offers + 1))
    edges_of_offer = [order[bounds[o]:bounds[o + 1]] for o in range(n_offers)]
    balance = em.t is not None
    lanes = max(1, min(2, lanes))
    pool = ThreadPoolExecutor(max_workers=1) if lanes > 1 else None
    y = y.copy()
    size = min(START_SIZE, n_needs)
    steps = improved = 0
    stop_at = budget.left() * reserve
    start_left = budget.left()
    cost_start = int(np.dot(d.cost, y))
    try:
        while budget.left() > stop_at + 0.05 and n_needs > 1 and not (stop and stop()):
            subs = []
            taken = np.zeros(0, dtype=np.int64)
            for _ in range(lanes):
                if rc is not None and rng.random() < GUIDED_SHARE:
                    free, among = _pick_guided(nrng, d, y, rc, size), None
                else:
                    free, among = _pick_needs(rng, d, y, edges_of_offer, size)
                free = np.setdiff1d(free, taken)
                if free.size:
                    subs.append(_sub_edges(d, y, free, among, starts, keep))
                    taken = np.union1d(taken, free)
            if not subs:
                break
            rooms = _rooms(d, y, subs)
            seconds = min(SUB_SECONDS, budget.left() - stop_at)
            if len(subs) > 1:
                later = [pool.submit(_sub_solve, d, y, sub, room, balance, seconds)
                         for sub, room in zip(subs[1:], rooms[1:], strict=True)]
                results = [_sub_solve(d, y, subs[0], rooms[0], balance, seconds)]
                results += [f.result() for f in later]
            else:
                results = [_sub_solve(d, y, subs[0], rooms[0], balance, seconds)]
            y = y.copy()
            for sub, result in zip(subs, results, strict=True):
                steps += 1
                if result is None:
                    size = max(4, int(size * 0.8))
                    continue
                new, optimal, wall = result
                if new is not None:
                    y[sub] = new
                    improved += 1
                if optimal and wall < FAST:
                    size = min(n_needs, size + max(1, size // (8 * lanes)))
                elif not optimal:
                    size = max(4, int(size * 0.8))
            if start_left > 0:
                report(progress, "cost", 0.5 + 0.45 * (1 - budget.left() / start_left))
    finally:
        if pool is not None:
            pool.shutdown(wait=True)
    stats = {"steps": steps, "improved": improved, "size": size, "lanes": lanes,
             "cost_before": cost_start, "cost_after": int(np.dot(d.cost, y))}
    return y, stats


def _pick_guided(nrng, d, y, rc: np.ndarray, size: int) -> np.ndarray:
    """About ``size`` served needs, drawn with weight growing with their edge's reduced cost."""
    cur = np.flatnonzero(y > 0)
    if cur.size == 0:
        return np.zeros(0, dtype=np.int64)
    weight = np.maximum(rc[cur], 0.0)
    weight = weight + max(float(weight.mean()), 1e-9) * 0.1
    take = min(size, cur.size)
    picked = nrng.choice(cur, size=take, replace=False, p=weight / weight.sum())
    return np.unique(d.need[picked])


def _pick_needs(rng: random.Random, d, y, edges_of_offer,
                size: int) -> tuple[np.ndarray, np.ndarray | None]:
    """A neighbourhood: (needs to free, offers they may use or None for all their offers).

    Half the time: every need of random offers (taken until about ``size`` needs), moving only
    among those offers (an exchange between a few offers). Otherwise: about ``size`` needs of
    random offers, free to use any of their offers. Unserved needs with an edge to the chosen
    offers join in both cases.
    """
    offers = list(range(len(d.cap)))
    rng.shuffle(offers)
    parts, chosen, count = [], [], 0
    for o in offers:
        e = edges_of_offer[o]
        parts.append(e)
        chosen.append(o)
        count += int(np.count_nonzero(y[e]))
        if count >= size and len(parts) >= 2:
            break
    sub = np.concatenate(parts)
    needs = np.unique(d.need[sub[y[sub] > 0]])
    exchange = rng.random() < EXCHANGE_SHARE
    if not exchange and needs.size > size:
        needs = np.asarray(rng.sample(needs.tolist(), size), dtype=np.int64)
    open_needs = np.setdiff1d(d.need[sub], d.need[y > 0])
    if open_needs.size:
        extra = max(1, size // 4)
        if open_needs.size > extra:
            open_needs = np.asarray(rng.sample(open_needs.tolist(), extra), dtype=np.int64)
        needs = np.union1d(needs, open_needs)
    return needs, (np.asarray(chosen, dtype=np.int64) if exchange else None)


def _sub_edges(d, y, free: np.ndarray, among: np.ndarray | None, starts,
               keep: np.ndarray | None) -> np.ndarray:
    """The edges of a sub-problem: those of the ``free`` needs (to offers in ``among`` when
    given, within ``keep`` or in use)."""
    sub = np.concatenate([np.arange(starts[n], starts[n + 1]) for n in free.tolist()])
    if among is not None:
        sub = sub[np.isin(d.offer[sub], among)]
    if keep is not None:
        sub = sub[keep[sub] | (y[sub] > 0)]
    return sub


def _rooms(d, y, subs: list[np.ndarray]) -> list[np.ndarray]:
    """Per sub-problem, the capacity per offer its needs may use: what they use now plus the
    offer's free capacity, split evenly between the sub-problems that reach the offer (so any
    combination of their answers stays within capacity)."""
    n = len(d.cap)
    free = d.cap - np.bincount(d.offer, weights=d.load * y, minlength=n).astype(np.int64)
    reach = np.zeros(n, dtype=np.int64)
    for sub in subs:
        reach[np.unique(d.offer[sub])] += 1
    share = free // np.maximum(reach, 1)
    rooms = []
    for i, sub in enumerate(subs):
        own = np.bincount(d.offer[sub], weights=d.load[sub] * y[sub], minlength=n).astype(np.int64)
        extra = free - share * (reach - 1) if i == 0 else share  # the first gets the remainder
        rooms.append(own + np.where(reach > 0, extra, free))
    return rooms


def _sub_solve(d, y, sub: np.ndarray, room: np.ndarray, balance: bool, seconds: float):
    """Re-assign the needs of the edges ``sub`` within ``room`` (per offer) at least cost,
    keeping their coverage (and each group's); returns (new values of y[sub] or None when not
    cheaper, optimal, wall) or None when CP-SAT found nothing."""
    cur = y[sub]
    m = cp_model.CpModel()
    v = [m.new_bool_var("") for _ in range(sub.size)]
    sub_need = d.need[sub]
    cut_n = np.flatnonzero(np.r_[True, sub_need[1:] != sub_need[:-1], True])
    for a, b in zip(cut_n[:-1].tolist(), cut_n[1:].tolist(), strict=True):
        if b - a > 1:
            m.add_at_most_one(v[a:b])  # one offer per need
    offers = d.offer[sub]
    order = np.argsort(offers, kind="stable")
    cut = np.flatnonzero(np.r_[True, offers[order][1:] != offers[order][:-1], True])
    for a, b in zip(cut[:-1].tolist(), cut[1:].tolist(), strict=True):
        idx = order[a:b]
        o = int(offers[idx[0]])
        if int(d.load[sub[idx]].sum()) > int(room[o]):
            m.add(cp_model.LinearExpr.weighted_sum([v[i] for i in idx.tolist()],
                                                   d.load[sub[idx]].tolist()) <= int(room[o]))
    w = d.w[sub]
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
    for k_, v_ in SUB_PARAMS.items():
        setattr(solver.parameters, k_, v_)
    status = solver.solve(m)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    new = np.asarray(solver.response_proto.solution, dtype=np.int64)[: len(v)]
    optimal = status == cp_model.OPTIMAL
    if int(np.dot(c, new)) >= int(np.dot(c, cur)):
        return None, optimal, solver.wall_time
    return new, optimal, solver.wall_time
