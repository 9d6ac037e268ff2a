"""Fast local search on the cost level of the all-indivisible path (numpy, no solver).

Moves keep every need served as well as before (a need only moves to an allowed edge of at least
its current coverage weight), so the coverage floor and every balance group's floor stay met:
- shift: one need moves to another offer with room;
- swap: two needs on different offers trade places, when both fit after the trade.
Both neighbourhoods are evaluated for all needs at once on dense need x offer matrices; every
scan applies the improving moves best first, skipping moves that touch an offer or need already
changed in that scan (their figures are stale). Only used when the dense matrices are small.
"""

from __future__ import annotations

import time

import numpy as np

DENSE_MAX = 4_000_000  # needs x offers cells
SWAP_MAX_NEEDS = 3_000  # the swap scan builds served x served matrices


class Dense:
    """Need x offer matrices of one all-indivisible problem (integer data of ``IntData``)."""

    def __init__(self, d, n_needs: int, allowed: np.ndarray) -> None:
        m = len(d.cap)
        self.d = d
        self.n, self.m = n_needs, m
        big = np.iinfo(np.int64).max // 4
        self.cost = np.zeros((n_needs, m), dtype=np.int64)
        self.load = np.full((n_needs, m), big, dtype=np.int64)
        self.w = np.full((n_needs, m), -1, dtype=np.int64)
        self.edge = np.full((n_needs, m), -1, dtype=np.int64)
        ok = np.flatnonzero(allowed)
        self.cost[d.need[ok], d.offer[ok]] = d.cost[ok]
        self.load[d.need[ok], d.offer[ok]] = d.load[ok]
        self.w[d.need[ok], d.offer[ok]] = d.w[ok]
        self.edge[d.need[ok], d.offer[ok]] = ok
        self.ok = self.edge >= 0

    @staticmethod
    def fits(d, n_needs: int) -> bool:
        """Whether the dense matrices are small enough."""
        return n_needs * len(d.cap) <= DENSE_MAX


def local_search(dense: Dense, y: np.ndarray, seconds: float) -> tuple[np.ndarray, int]:
    """Shift and swap moves until none improves or ``seconds`` pass.

    Returns the improved 0/1 edge vector and the number of moves applied. Needs served through an
    edge outside the dense matrices' allowed set stay where they are.
    """
    d = dense.d
    stop = time.monotonic() + seconds
    y = y.copy()
    served_e = np.flatnonzero(y > 0)
    at = np.full(dense.n, -1, dtype=np.int64)  # offer per need, -1 unserved or pinned
    movable = dense.edge[d.need[served_e], d.offer[served_e]] == served_e
    at[d.need[served_e[movable]]] = d.offer[served_e[movable]]
    room = d.cap - np.bincount(d.offer, weights=d.load * y, minlength=len(d.cap)).astype(np.int64)
    moves = 0
    while time.monotonic() < stop:
        got = _shift_scan(dense, at, room)
        if time.monotonic() < stop and dense.n <= SWAP_MAX_NEEDS:
            got += _swap_scan(dense, at, room)
        moves += got
        if got == 0:
            break
    idx = np.flatnonzero(at >= 0)
    y_new = y.copy()
    y_new[served_e[movable]] = 0
    y_new[dense.edge[idx, at[idx]]] = 1
    return y_new, moves


def _shift_scan(dense: Dense, at: np.ndarray, room: np.ndarray) -> int:
    needs = np.flatnonzero(at >= 0)
    if needs.size == 0:
        return 0
    cur = at[needs]
    cur_cost = dense.cost[needs, cur]
    cur_w = dense.w[needs, cur]
    delta = dense.cost[needs] - cur_cost[:, None]
    feas = (dense.ok[needs] & (dense.load[needs] <= room[None, :])
            & (dense.w[needs] >= cur_w[:, None]))
    feas[np.arange(needs.size), cur] = False
    delta = np.where(feas, delta, 0)
    rows, cols = np.nonzero(delta < 0)
    if rows.size == 0:
        return 0
    order = np.argsort(delta[rows, cols], kind="stable")
    done = np.zeros(needs.size, dtype=bool)
    applied = 0
    for r, o in zip(rows[order].tolist(), cols[order].tolist(), strict=True):
        if done[r]:
            continue
        n = int(needs[r])
        ld = int(dense.load[n, o])
        if ld > room[o]:
            continue
        old = int(at[n])
        room[old] += dense.load[n, old]
        room[o] -= ld
        at[n] = o
        done[r] = True
        applied += 1
    return applied


def _swap_scan(dense: Dense, at: np.ndarray, room: np.ndarray) -> int:
    needs = np.flatnonzero(at >= 0)
    if needs.size < 2:
        return 0
    a = at[needs]
    c_x = dense.cost[needs][:, a]  # c_x[i, j] = cost of need i on the offer of need j
    l_x = dense.load[needs][:, a]
    w_x = dense.w[needs][:, a]
    cur_c = np.diagonal(c_x).copy()
    cur_l = np.diagonal(l_x).copy()
    cur_w = np.diagonal(w_x).copy()
    # i goes to a_j in place of j: fits when l(i, a_j) - l(j, a_j) <= room(a_j)
    fit = (l_x - cur_l[None, :]) <= room[a][None, :]
    ok = fit & fit.T & dense.ok[needs][:, a] & (w_x >= cur_w[:, None])
    ok &= ok.T
    ok &= a[:, None] != a[None, :]
    delta = c_x + c_x.T - cur_c[:, None] - cur_c[None, :]
    delta = np.where(ok, delta, 0)
    rows, cols = np.nonzero(np.triu(delta < 0, 1))
    if rows.size == 0:
        return 0
    order = np.argsort(delta[rows, cols], kind="stable")
    touched = np.zeros(dense.m, dtype=bool)
    applied = 0
    for i, j in zip(rows[order].tolist(), cols[order].tolist(), strict=True):
        oi, oj = int(a[i]), int(a[j])
        if touched[oi] or touched[oj]:
            continue
        ni, nj = int(needs[i]), int(needs[j])
        room[oi] += dense.load[ni, oi] - dense.load[nj, oi]
        room[oj] += dense.load[nj, oj] - dense.load[ni, oj]
        at[ni], at[nj] = oj, oi
        touched[oi] = touched[oj] = True
        applied += 1
    return applied


SWAP_TABU_MAX = 500  # served needs up to which tabu search also evaluates swaps
TENURE_MIN = 5
TENURE_DIV = 10
ALPHA_STEP = 1.1


def tabu_search(dense: Dense, y: np.ndarray, seconds: float, seed: int = 0,
                best_cost: float | None = None,
                max_iterations: int | None = None) -> tuple[np.ndarray, dict]:
    """Tabu search with strategic oscillation over shift and swap moves (after Diaz and
    Fernandez's GAP tabu search): capacity may be exceeded at a price alpha per unit, alpha
    grows while the current point is infeasible and shrinks while it is feasible; a need may
    not return to an offer it left for a few iterations, unless that yields a new best feasible
    point. Returns the best capacity-feasible 0/1 vector found (``y`` itself when nothing
    better) and statistics. Only needs served in ``y`` through an allowed edge move, and only to
    allowed edges of at least the same coverage weight.
    """
    d = dense.d
    stop = time.monotonic() + seconds
    rng = np.random.default_rng(seed)
    served_e = np.flatnonzero(y > 0)
    movable = dense.edge[d.need[served_e], d.offer[served_e]] == served_e
    needs = d.need[served_e[movable]]
    at = d.offer[served_e[movable]].astype(np.int64)
    k = needs.size
    if k == 0 or dense.m < 2:
        return y, {"iterations": 0}
    cost = dense.cost[needs].astype(np.float64)
    load_m = dense.load[needs].astype(np.float64)
    ok = dense.ok[needs] & (dense.w[needs] >= dense.w[needs, at][:, None])
    load_m[~ok] = 0.0
    cap = d.cap.astype(np.float64)
    load = np.bincount(d.offer, weights=d.load * y, minlength=dense.m).astype(np.float64)
    rows = np.arange(k)
    cur_cost = float(cost[rows, at].sum())
    start_cost = cur_cost
    best = cur_cost if best_cost is None else min(cur_cost, float(best_cost))
    best_at = at.copy() if cur_cost <= best else None
    spread = float(np.percentile(np.abs(cost - cost[rows, at][:, None])[ok], 50)) + 1.0
    alpha = spread / max(float(np.median(load_m[ok])), 1.0)
    tabu = np.zeros((k, dense.m), dtype=np.int64)
    swaps = k <= SWAP_TABU_MAX
    it = 0
    while time.monotonic() < stop and (max_iterations is None or it < max_iterations):
        it += 1
        over = np.maximum(load - cap, 0.0)
        excess = float(over.sum())
        l_cur = load_m[rows, at]
        c_cur = cost[rows, at]
        # shift i -> o
        pen_to = np.maximum(load[None, :] + load_m - cap[None, :], 0.0) - over[None, :]
        pen_from = np.maximum(load[at] - l_cur - cap[at], 0.0) - over[at]
        pen = pen_to + pen_from[:, None]
        dc = cost - c_cur[:, None]
        val = dc + alpha * pen
        bad = ~ok
        bad[rows, at] = True
        new_best = (excess + pen <= 1e-9) & (cur_cost + dc < best - 1e-9)
        val[bad | ((tabu > it) & ~new_best)] = np.inf
        i = int(np.argmin(val))
        move = (val.flat[i], i // dense.m, i % dense.m, -1)
        if swaps:
            a = at
            c_x = cost[:, a]
            l_x = load_m[:, a]
            p = np.maximum(load[a][None, :] - l_cur[None, :] + l_x - cap[a][None, :], 0.0) \
                - over[a][None, :]
            dcs = c_x + c_x.T - c_cur[:, None] - c_cur[None, :]
            ok_x = ok[:, a]
            sbad = ~(ok_x & ok_x.T) | (a[:, None] == a[None, :])
            ps = p + p.T
            tb = tabu[:, a] > it
            nb = (excess + ps <= 1e-9) & (cur_cost + dcs < best - 1e-9)
            sval = dcs + alpha * ps
            sval[sbad | ((tb | tb.T) & ~nb)] = np.inf
            j = int(np.argmin(sval))
            if sval.flat[j] < move[0]:
                move = (sval.flat[j], j // k, -1, j % k)
        if not np.isfinite(move[0]):
            break
        _, i, o, j = move
        tenure = int(rng.integers(TENURE_MIN, TENURE_MIN + max(TENURE_MIN, k // TENURE_DIV)))
        if j < 0:  # shift
            old = int(at[i])
            load[old] -= load_m[i, old]
            load[o] += load_m[i, o]
            cur_cost += cost[i, o] - cost[i, old]
            at[i] = o
            tabu[i, old] = it + tenure
        else:  # swap
            ai, aj = int(at[i]), int(at[j])
            load[ai] += load_m[j, ai] - load_m[i, ai]
            load[aj] += load_m[i, aj] - load_m[j, aj]
            cur_cost += cost[i, aj] + cost[j, ai] - cost[i, ai] - cost[j, aj]
            at[i], at[j] = aj, ai
            tabu[i, ai] = tabu[j, aj] = it + tenure
        feasible = bool(np.all(load <= cap + 1e-9))
        if feasible and cur_cost < best - 1e-9:
            best, best_at = cur_cost, at.copy()
        alpha = alpha / ALPHA_STEP if feasible else alpha * ALPHA_STEP
    stats = {"iterations": it, "cost_before": start_cost, "cost_after": best}
    if best_at is None:
        return y, stats
    y_new = y.copy()
    y_new[served_e[movable]] = 0
    y_new[dense.edge[needs, best_at]] = 1
    return y_new, stats
