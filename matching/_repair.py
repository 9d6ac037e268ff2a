"""Re-packing indivisible needs after rounding, one connected component at a time (CP-SAT).

Rounding a class LP leaves capacity in fragments: an offer's room is smaller than every unserved
indivisible need it could take, although the LP filled it fractionally. Indivisible needs and the
offers they can use fall apart into small components (services are local: one county and one
category each), and each component is a multiple-knapsack problem CP-SAT solves in milliseconds.

A component is re-solved with everything else fixed (divisible quantities on its offers keep their
capacity), from the current assignment as a hint, under floors that keep its coverage and the
coverage of each of its regions at least where they are, so no objective level gets worse:
- *capped* pass: maximise min(value, target) then minimise cost, where the target is the value
  the LP gave the component's classes; the LP spent the coverage slack where it saved cost, and
  buying coverage beyond it would break the cost level;
- *open* pass (only while coverage is still under its floor): maximise value, then cost,
  worst-served regions first.
"""

from __future__ import annotations

import numpy as np
from ortools.sat.python import cp_model

from ._common import Arrays, Budget, group_shares
from ._scale import scale_capacity

MAX_COMPONENT_EDGES = 20_000  # larger components are left to the greedy repair
COMPONENT_SECONDS = 0.5  # time limit of one component
VALUE_SCALE = 10_000  # value of the best need in a component, as an integer
COST_SCALE = 10_000  # total |cost| of a component's edges, as an integer
RESERVE = 0.5  # seconds left to the caller


def components(cands, a: Arrays) -> list[np.ndarray]:
    """Edges of indivisible needs, grouped by connected component of the need-offer graph."""
    ind = np.flatnonzero(~a.divisible[cands.need])
    if ind.size == 0:
        return []
    parent = np.arange(len(a.capacity))

    def find(o: int) -> int:
        root = o
        while parent[root] != root:
            root = parent[root]
        while parent[o] != root:
            parent[o], o = root, parent[o]
        return root

    need_of, offer_of = cands.need[ind], cands.offer[ind]
    starts = np.flatnonzero(np.r_[True, need_of[1:] != need_of[:-1]])
    for s, e in zip(starts.tolist(), np.r_[starts[1:], ind.size].tolist(), strict=True):
        r = find(int(offer_of[s]))
        for o in offer_of[s + 1:e].tolist():
            ro = find(o)
            if ro != r:
                parent[ro] = r
    roots = np.fromiter((find(o) for o in offer_of.tolist()), dtype=np.int64, count=ind.size)
    order = np.argsort(roots, kind="stable")
    cuts = np.flatnonzero(np.r_[True, roots[order][1:] != roots[order][:-1]])
    return [ind[order[s:e]] for s, e in zip(cuts.tolist(), np.r_[cuts[1:], ind.size].tolist(),
                                            strict=True)]


def repack(x: np.ndarray, cands, a: Arrays, target: np.ndarray, budget: Budget,
           need_gain: float, stats: dict) -> np.ndarray:
    """Re-pack indivisible needs component by component; returns the new ``x``.

    ``target`` is the LP's value per need (summed over a component it caps the capped pass);
    ``need_gain`` is how far coverage is under its floor (the open pass runs while it is > 0).
    """
    comps = [c for c in components(cands, a) if c.size <= MAX_COMPONENT_EDGES]
    x = x.copy()
    value = a.p[cands.need] * cands.fit  # coverage of an indivisible edge when used
    gained = {"capped": 0.0, "open": 0.0}
    solved = 0
    for mode in ("capped", "open"):
        if mode == "open" and need_gain - gained["capped"] <= 0:
            break
        share = group_shares(x, cands, a)
        todo = []
        for c in comps:
            cur = float(value[c] @ (x[c] > 0))
            needs = np.unique(cands.need[c])
            cap = float(target[needs].sum()) if mode == "capped" else np.inf
            if cap - cur > 1e-9 and (x[c] == 0).any():
                todo.append((float(share[a.group[needs]].min()), -(cap - cur), c, cap))
        todo.sort(key=lambda t: (t[0], t[1]))
        for _, _, c, cap in todo:
            if budget.left() <= RESERVE:
                break
            if mode == "open" and gained["capped"] + gained["open"] >= need_gain:
                break
            new = _solve_component(x, c, cands, a, value, cap,
                                   min(COMPONENT_SECONDS, budget.left() - RESERVE))
            if new is None:
                continue
            solved += 1
            gained[mode] += float(value[c] @ (new > 0)) - float(value[c] @ (x[c] > 0))
            x[c] = new
    stats.update(repack_components=len(comps), repack_solved=solved,
                 repack_gain_capped=gained["capped"], repack_gain_open=gained["open"])
    return x


def _solve_component(x, c: np.ndarray, cands, a: Arrays, value: np.ndarray, cap: float,
                     seconds: float) -> np.ndarray | None:
    """Best 0/1 use of the edges ``c``; None when not better than the current one."""
    if seconds <= 0.05:
        return None
    need_of, offer_of = cands.need[c], cands.offer[c]
    q = a.q[need_of]
    offers, loc = np.unique(offer_of, return_inverse=True)
    # capacity left by everything outside the component (divisible quantities) stays fixed
    fixed = np.bincount(cands.offer, weights=cands.use * np.where(a.divisible[cands.need], x, 0.0),
                        minlength=len(a.capacity))[offers]
    room = np.maximum(a.capacity[offers] - fixed, 0.0)
    cur = x[c] > 0
    load = cands.use[c] * q
    # an edge whose load exceeds its offer's room stays unused; zeroing its load keeps every
    # scaled integer within range (a room of 1e-14 would otherwise scale loads past int64)
    fits = (load <= room[loc] * (1 + 1e-9)) | cur
    load_i, room_i, _ = scale_capacity(np.where(fits, load, 0.0), room)
    top = float(value[c].max())
    val_i = np.maximum(np.round(value[c] / top * VALUE_SCALE), 1).astype(np.int64)
    cost = cands.cost[c] * q
    span = float(np.abs(cost).sum())
    cost_i = (np.round(cost / span * COST_SCALE).astype(np.int64) if span > 0
              else np.zeros(c.size, dtype=np.int64))

    m = cp_model.CpModel()
    b = [m.NewBoolVar("") for _ in range(c.size)]
    for k in np.flatnonzero(cur).tolist():
        m.AddHint(b[k], 1)
    for k in np.flatnonzero(~cur).tolist():
        m.AddHint(b[k], 0)
    for k in np.flatnonzero(~fits).tolist():
        m.Add(b[k] == 0)
    for idx in _split(need_of):
        if idx.size > 1:
            m.AddAtMostOne(b[k] for k in idx.tolist())
    for o, idx in enumerate(_split(loc)):
        if int(load_i[idx].sum()) > int(room_i[o]):
            m.Add(sum(int(load_i[k]) * b[k] for k in idx.tolist()) <= int(room_i[o]))
    # no region of the component may lose coverage (so neither may the component)
    region = a.group[need_of]
    for g in np.unique(region).tolist():
        idx = np.flatnonzero(region == g)
        m.Add(sum(int(val_i[k]) * b[k] for k in idx.tolist())
              >= int(val_i[idx] @ cur[idx]))
    total = sum(int(val_i[k]) * b[k] for k in range(c.size))
    weight = int(np.abs(cost_i).sum()) + 1
    if np.isfinite(cap):
        capped = m.NewIntVar(0, int(val_i.sum()), "")
        m.Add(capped <= total)
        m.Add(capped <= max(int(np.floor(cap / top * VALUE_SCALE)), int(val_i @ cur)))
        m.Maximize(weight * capped - sum(int(cost_i[k]) * b[k] for k in range(c.size)))
    else:
        m.Maximize(weight * total - sum(int(cost_i[k]) * b[k] for k in range(c.size)))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = seconds
    solver.parameters.num_workers = 1
    status = solver.Solve(m)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    pick = np.fromiter((solver.BooleanValue(v) for v in b), dtype=bool, count=c.size)
    # exact check in floating point: every region keeps its coverage, the change helps
    old, new_v = value[c] * cur, value[c] * pick
    for g in np.unique(region).tolist():
        idx = region == g
        if new_v[idx].sum() < old[idx].sum() - 1e-9:
            return None
    if new_v.sum() <= old.sum() + 1e-12 and cost @ pick >= cost @ cur:
        return None
    return np.where(pick, q, 0.0)


def _split(labels: np.ndarray) -> list[np.ndarray]:
    """Positions of each label value 0..max (labels small non-negative ints) or each distinct
    value (need indices), in order."""
    order = np.argsort(labels, kind="stable")
    cuts = np.flatnonzero(np.r_[True, labels[order][1:] != labels[order][:-1]])
    return [order[s:e] for s, e in zip(cuts.tolist(), np.r_[cuts[1:], labels.size].tolist(),
                                       strict=True)]
