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
