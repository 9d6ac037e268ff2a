"""From class quantities to a valid allocation: disaggregate, round, make exact, repair.

Allocations are kept as a per-edge quantity vector ``x`` over the candidate edges. Every function
here returns a vector that satisfies the spec's constraints exactly when summed the way
``evaluate`` sums them (numpy bincount): indivisible needs whole on one edge, served <= quantity,
offer use <= capacity. Divisible quantities are rounded down where needed, so float error never
makes an allocation infeasible.
"""

from __future__ import annotations

import numpy as np

from ._classes import NeedClass

# Divisible quantities are shaved by this relative margin when a sum is at its limit.
SHAVE = 1e-9


def disaggregate(classes: list[NeedClass], z: np.ndarray, cands, q: np.ndarray,
                 n_edges: int) -> np.ndarray:
    """Spread each class's edge quantities ``z`` over its needs, best value per unit first.

    Divisible classes fill their needs in order and split offers over them (north-west corner
    rule, so each need uses few offers). Indivisible classes give whole needs to the offer whose
    remaining class budget fits best; what does not fit is left to :func:`repair`.
    """
    x = np.zeros(n_edges, dtype=np.float64)
    pos = 0
    for cl in classes:
        k = len(cl.offers)
        zc = z[pos:pos + k]
        pos += k
        if zc.sum() <= 0:
            continue
        first = cands.starts[cl.needs]  # edge j of need n is at starts[n] + j
        if cl.divisible:
            _fill_divisible(cl, zc, first, q, x)
        else:
            _fill_indivisible(cl, zc, first, q, x)
    return x


def _fill_divisible(cl: NeedClass, zc: np.ndarray, first: np.ndarray, q: np.ndarray,
                    x: np.ndarray) -> None:
    qn = q[cl.needs]
    cum_need = np.cumsum(qn)
    total = min(float(zc.sum()), float(cum_need[-1]))
    cum_off = np.cumsum(zc)
    # breakpoints of the merged need/offer intervals on [0, total]
    cuts = np.unique(np.concatenate(([0.0], cum_need, cum_off, [total])))
    cuts = cuts[cuts <= total]
    lo, hi = cuts[:-1], cuts[1:]
    mid = (lo + hi) / 2
    ni = np.minimum(np.searchsorted(cum_need, mid), len(qn) - 1)
    oi = np.minimum(np.searchsorted(cum_off, mid), len(zc) - 1)
    np.add.at(x, first[ni] + oi, hi - lo)


def _fill_indivisible(cl: NeedClass, zc: np.ndarray, first: np.ndarray, q: np.ndarray,
                      x: np.ndarray) -> None:
    budget = zc.copy()
    slack = 1e-9 * max(float(budget.max()), 1.0)
    for n, f in zip(cl.needs.tolist(), first.tolist(), strict=True):
        need = q[n]
        fits = np.flatnonzero(budget >= need - slack)
        if fits.size == 0:
            if budget.max() < q[cl.needs].min() - slack:
                break
            continue
        k = int(fits[np.argmin(budget[fits])])  # best fit keeps big budgets for big needs
        budget[k] -= need
        x[f + k] = need


def make_exact(x: np.ndarray, cands, q: np.ndarray, capacity: np.ndarray,
               divisible: np.ndarray) -> np.ndarray:
    """Clip ``x`` so that every constraint holds exactly in floating point.

    Indivisible needs keep exactly one edge at their full quantity; divisible quantities shrink
    (rounded down) where a need or an offer is over its limit; as a last resort whole
    indivisible allocations are dropped from an offer still over capacity.
    """
    x = np.where(x > 0, x, 0.0)
    need_of = cands.need
    div_edge = divisible[need_of]
    # indivisible: exactly q on at most one edge
    ind = ~div_edge & (x > 0)
    x[ind] = q[need_of[ind]]
    seen = np.zeros(len(q), dtype=bool)
    for e in np.flatnonzero(ind).tolist():
        n = need_of[e]
        if seen[n]:
            x[e] = 0.0
        seen[n] = True
    # divisible: served <= q
    for _ in range(5):
        served = np.bincount(need_of, weights=x, minlength=len(q))
        over = served > q
        if not over.any():
            break
        factor = np.ones(len(q))
        factor[over] = q[over] / served[over] * (1 - SHAVE)  # over implies served > q > 0
        x = np.where(div_edge, x * factor[need_of], x)
    # offers: use <= capacity
    offer_of = cands.offer
    for _ in range(8):
        used = np.bincount(offer_of, weights=cands.use * x, minlength=len(capacity))
        over = used > capacity
        if not over.any():
            return x
        div_used = np.bincount(offer_of, weights=np.where(div_edge, cands.use * x, 0.0),
                               minlength=len(capacity))
        fixed = used - div_used
        room = np.maximum(capacity - fixed, 0.0) * (1 - SHAVE)
        factor = np.ones(len(capacity))
        shrink = over & (div_used > 0)
        factor[shrink] = np.minimum(room[shrink] / div_used[shrink], 1.0)
        x = np.where(div_edge, x * factor[offer_of], x)
        for o in np.flatnonzero(over & (fixed > capacity)).tolist():
            _drop_indivisible(x, cands, o, capacity[o], div_edge)
    return x


def _drop_indivisible(x, cands, o: int, cap: float, div_edge: np.ndarray) -> None:
    """Drop whole indivisible allocations of offer ``o`` (largest use first) until it fits."""
    edges = np.flatnonzero((cands.offer == o) & ~div_edge & (x > 0))
    load = cands.use[edges] * x[edges]
    total = float(load.sum())
    for k in np.argsort(-load).tolist():
        if total <= cap:
            break
        total -= float(load[k])
        x[edges[k]] = 0.0


def repair(x: np.ndarray, cands, q: np.ndarray, p: np.ndarray, capacity: np.ndarray,
           divisible: np.ndarray, order: np.ndarray, free_only: bool = False,
           need_gain: float | None = None) -> np.ndarray:
    """Give leftover capacity to needs not fully served, in ``order`` (need indices).

    On each need, edges are tried by fit (best first) then cost (cheapest first). With
    ``free_only`` only edges of cost <= 0 are used (they can only improve every level); with
    ``need_gain`` the repair stops once coverage has grown by that much, and an indivisible need
    that fits nowhere may push out divisible quantities of lower value per unit of capacity.
    """
    need_of, offer_of, use, cost, fit = cands.need, cands.offer, cands.use, cands.cost, cands.fit
    served = np.bincount(need_of, weights=x, minlength=len(q))
    used = np.bincount(offer_of, weights=use * x, minlength=len(capacity))
    room = capacity - used  # exact fits of integral data must stay possible: no shave here
    starts = cands.starts
    gained = 0.0
    by_offer = None
    for n in order.tolist():
        if need_gain is not None and gained >= need_gain:
            break
        gap = q[n] - served[n]
        s, e = int(starts[n]), int(starts[n + 1])
        if gap <= q[n] * 1e-9 or s == e or (not divisible[n] and served[n] > 0):
            continue
        u = use[s:e]
        allowed = cost[s:e] <= 0 if free_only else np.ones(e - s, dtype=bool)
        value = p[n] / q[n]
        if divisible[n]:
            for k in np.lexsort((cost[s:e], -fit[s:e])).tolist():
                o = offer_of[s + k]
                take = min(gap, room[o] / u[k] * (1 - SHAVE))
                if take <= 0 or not allowed[k]:
                    continue
                x[s + k] += take
                room[o] -= take * u[k]
                gap -= take
                gained += value * fit[s + k] * take
                if gap <= 0:
                    break
            served[n] = q[n] - gap
        else:
            ok = np.flatnonzero((room[offer_of[s:e]] >= u * q[n]) & allowed)
            if ok.size == 0:
                if need_gain is not None:
                    if by_offer is None:
                        by_offer = _edges_by_offer(offer_of, len(capacity))
                    gained += _evict_and_place(n, x, cands, q, p, divisible, room, served,
                                               by_offer)
                continue
            best = ok[np.lexsort((cost[s:e][ok], -fit[s:e][ok]))[0]]
            x[s + best] = q[n]
            room[offer_of[s + best]] -= u[best] * q[n]
            served[n] = q[n]
            gained += p[n] * fit[s + best]
    return x


def _edges_by_offer(offer_of: np.ndarray, n_offers: int) -> list[np.ndarray]:
    order = np.argsort(offer_of, kind="stable")
    bounds = np.searchsorted(offer_of[order], np.arange(n_offers + 1))
    return [order[bounds[o]:bounds[o + 1]] for o in range(n_offers)]


def _evict_and_place(n: int, x, cands, q, p, divisible, room, served, by_offer) -> float:
    """Place indivisible need ``n`` whole by shrinking divisible quantities that bring less
    coverage per unit of capacity; returns the coverage gained (0 when no edge allows it)."""
    s, e = int(cands.starts[n]), int(cands.starts[n + 1])
    for k in np.argsort(-cands.fit[s:e], kind="stable").tolist():
        edge = s + k
        o = int(cands.offer[edge])
        load = cands.use[edge] * q[n]
        value = p[n] * cands.fit[edge]
        others = by_offer[o]
        others = others[(x[others] > 0) & divisible[cands.need[others]]]
        if others.size == 0:
            continue
        m = cands.need[others]
        density = p[m] * cands.fit[others] / (q[m] * cands.use[others])
        cheap = density < value / load
        others, density = others[cheap], density[cheap]
        freeable = cands.use[others] * x[others]
        if room[o] + freeable.sum() < load:
            continue
        lost = 0.0
        for j in np.argsort(density, kind="stable").tolist():
            if room[o] >= load:
                break
            f = others[j]
            cut = min(x[f], (load - room[o]) / cands.use[f] * (1 + SHAVE))
            cut = min(cut, x[f])
            x[f] -= cut
            served[cands.need[f]] -= cut
            room[o] += cut * cands.use[f]
            lost += density[j] * cands.use[f] * cut
        if room[o] < load:  # float shortfall: give the capacity back to no one, try next
            continue
        x[edge] = q[n]
        room[o] -= load
        served[n] = q[n]
        return value - lost
    return 0.0
