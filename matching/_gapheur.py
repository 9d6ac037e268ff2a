"""Constructive heuristics for the all-indivisible path: complete assignments fast.

The coverage level of a GAP-like problem is a feasibility question ("can every need be served
through one of its best edges?"). CP-SAT on a model of 100k+ edges may not even reach the
greedy's coverage in its time, so the level starts from these heuristics:

- ``regret_assign``: Martello and Toth's MTHG. Every unserved need knows its best and second
  best edge that still fits (by a desirability measure); the need whose second choice is worst
  (largest regret; a need with one choice left has infinite regret) goes to its best edge, and
  only needs whose best or second edge was on that offer and no longer fits are re-evaluated.
  Several desirability measures (cost, load, load relative to capacity, cost per load) give
  different assignments; the best one is kept.
- ``eject_repair``: serves a left-over need by moving one served need of a full offer to
  another offer with room (a depth-one ejection chain), cheapest first.

All functions work on the integer data of ``_exact.IntData`` and return 0/1 edge vectors.
"""

from __future__ import annotations

import heapq

import numpy as np

INF = float("inf")
REPAIR_MAX = 50  # ejection repair only when few needs are left over


def _starts(d, n_needs: int) -> np.ndarray:
    return np.searchsorted(d.need, np.arange(n_needs + 1))


def _offer_edges(d) -> list[np.ndarray]:
    order = np.argsort(d.offer, kind="stable")
    bounds = np.searchsorted(d.offer[order], np.arange(len(d.cap) + 1))
    return [order[bounds[o]:bounds[o + 1]] for o in range(len(d.cap))]


def regret_assign(d, n_needs: int, f: np.ndarray, allowed: np.ndarray,
                  y0: np.ndarray | None = None) -> np.ndarray:
    """MTHG construction: needs by decreasing regret, each to its most desirable edge that fits.

    ``f`` is the desirability per edge (higher is better), ``allowed`` masks the edges that may be
    used. ``y0`` (optional) is a partial assignment kept as it is. Needs that fit nowhere stay
    unserved.
    """
    starts = _starts(d, n_needs)
    by_offer = _offer_edges(d)
    y = np.zeros(len(d.need), dtype=np.int64) if y0 is None else y0.copy()
    room = d.cap - np.bincount(d.offer, weights=d.load * y, minlength=len(d.cap)).astype(np.int64)
    open_ = np.ones(n_needs, dtype=bool)
    open_[d.need[y > 0]] = False
    open_[np.diff(starts) == 0] = False
    b1 = np.full(n_needs, -1, dtype=np.int64)  # best fitting edge
    b2 = np.full(n_needs, -1, dtype=np.int64)  # second best fitting edge (another offer)
    version = np.zeros(n_needs, dtype=np.int64)
    heap: list[tuple[float, int, int]] = []

    def evaluate(n: int) -> None:
        s, e = int(starts[n]), int(starts[n + 1])
        idx = np.arange(s, e)
        idx = idx[allowed[s:e] & (d.load[s:e] <= room[d.offer[s:e]])]
        version[n] += 1
        if idx.size == 0:
            b1[n] = b2[n] = -1
            return
        if idx.size == 1:
            b1[n], b2[n] = int(idx[0]), -1
            heapq.heappush(heap, (-INF, n, int(version[n])))
            return
        vals = f[idx]
        top = np.argpartition(-vals, 1)[:2]
        i1, i2 = (top[0], top[1]) if vals[top[0]] >= vals[top[1]] else (top[1], top[0])
        b1[n], b2[n] = int(idx[i1]), int(idx[i2])
        heapq.heappush(heap, (-(float(vals[i1]) - float(vals[i2])), n, int(version[n])))

    for n in np.flatnonzero(open_).tolist():
        evaluate(n)
    while heap:
        _, n, ver = heapq.heappop(heap)
        if not open_[n] or ver != version[n] or b1[n] < 0:
            continue
        k = int(b1[n])
        if d.load[k] > room[d.offer[k]]:  # stale (should not happen): re-evaluate
            evaluate(n)
            continue
        o = int(d.offer[k])
        y[k] = 1
        open_[n] = False
        room[o] -= d.load[k]
        # needs whose best or second edge sits on o and no longer fits
        es = by_offer[o]
        hit = es[(d.load[es] > room[o]) & open_[d.need[es]]]
        for e in hit.tolist():
            m = int(d.need[e])
            if b1[m] == e or b2[m] == e:
                evaluate(m)
    return y


def desirabilities(d) -> list[np.ndarray]:
    """Martello-Toth's desirability measures, adapted to costs (higher is better)."""
    rel = d.load / np.maximum(d.cap[d.offer], 1)
    cost = d.cost.astype(np.float64)
    profit = (cost.max() if cost.size else 0.0) + 1.0 - cost
    tiny = 1e-9 * (np.abs(cost).max() + 1.0) if cost.size else 0.0
    return [
        -cost - rel * tiny,  # cheapest
        -rel - cost * 1e-12,  # lightest relative to the offer's capacity
        -d.load.astype(np.float64) - cost * 1e-12,  # lightest
        profit / np.maximum(d.load, 1),  # value per unit of capacity
    ]


def eject_repair(d, n_needs: int, y: np.ndarray, allowed: np.ndarray,
                 max_needs: int = 500) -> np.ndarray:
    """Serve unserved needs by moving one served need out of the way (depth-one ejection).

    For an unserved need n and an allowed edge (n, o) that does not fit, look for a need k
    served by o whose departure makes room and who fits on another allowed edge (k, o'); take
    the cheapest such pair of moves. Repeats until no need can be placed this way.
    """
    y = y.copy()
    starts = _starts(d, n_needs)
    room = d.cap - np.bincount(d.offer, weights=d.load * y, minlength=len(d.cap)).astype(np.int64)
    served = np.zeros(n_needs, dtype=bool)
    served[d.need[y > 0]] = True
    assigned_edge = np.full(n_needs, -1, dtype=np.int64)
    assigned_edge[d.need[y > 0]] = np.flatnonzero(y > 0)
    by_offer = _offer_edges(d)
    todo = [n for n in np.flatnonzero(~served & (np.diff(starts) > 0)).tolist()][:max_needs]
    for n in todo:
        s, e = int(starts[n]), int(starts[n + 1])
        best = None  # (extra cost, edge for n, need k, new edge for k)
        for en in range(s, e):
            if not allowed[en]:
                continue
            o = int(d.offer[en])
            if d.load[en] <= room[o]:
                best = (float(d.cost[en]), en, -1, -1)
                break
            short = int(d.load[en] - room[o])
            if d.load[en] > d.cap[o]:
                continue
            # served needs of o that free enough room when they leave
            es = by_offer[o]
            es = es[(y[es] > 0) & (d.load[es] >= short)]
            for ek in es.tolist():
                k = int(d.need[ek])
                ks, ke = int(starts[k]), int(starts[k + 1])
                alt = np.arange(ks, ke)
                alt = alt[allowed[ks:ke] & (d.offer[ks:ke] != o) & (d.w[ks:ke] >= d.w[ek])
                          & (d.load[ks:ke] <= room[d.offer[ks:ke]])]
                if alt.size == 0:
                    continue
                j = int(alt[np.argmin(d.cost[alt])])
                extra = float(d.cost[en] + d.cost[j] - d.cost[ek])
                if best is None or extra < best[0]:
                    best = (extra, en, ek, j)
        if best is None:
            continue
        _, en, ek, j = best
        if ek >= 0:
            y[ek], y[j] = 0, 1
            room[d.offer[ek]] += d.load[ek]
            room[d.offer[j]] -= d.load[j]
            assigned_edge[int(d.need[ek])] = j
        y[en] = 1
        room[d.offer[en]] -= d.load[en]
        served[n] = True
    return y


def construct(d, n_needs: int, allowed: np.ndarray,
              extra: list[np.ndarray] = ()) -> np.ndarray:
    """The best of MTHG under every desirability measure (repaired by ejection), and of the
    ``extra`` starts given: most coverage first, then least cost."""
    def key(y: np.ndarray) -> tuple[int, int]:
        return int(np.dot(d.w, y)), -int(np.dot(d.cost, y))

    best = None
    for y in list(extra):
        if best is None or key(y) > key(best):
            best = y
    servable = int(np.count_nonzero(np.diff(_starts(d, n_needs)) > 0))
    for f in desirabilities(d):
        y = regret_assign(d, n_needs, f, allowed)
        missing = servable - int(np.count_nonzero(y))
        if 0 < missing <= max(REPAIR_MAX, servable // 20):  # many missing: a poor measure
            y = eject_repair(d, n_needs, y, allowed)
        if best is None or key(y) > key(best):
            best = y
    return best


def coverage_start(d, n_needs: int, best_edges: np.ndarray,
                   extra: list[np.ndarray] = ()) -> np.ndarray:
    """A first allocation for the coverage level: the best construction on the needs' best
    edges (the only ones that keep coverage at its ceiling), then needs still unserved go to any
    edge that fits (MTHG again, by weight)."""
    y = construct(d, n_needs, best_edges, extra)
    everything = np.ones(len(d.need), dtype=bool)
    f = d.w.astype(np.float64) - d.load / np.maximum(d.cap[d.offer], 1) * 1e-3
    return regret_assign(d, n_needs, f, everything, y0=y)
