"""Need classes: needs that the optimiser may treat as one pool.

Two needs with the same balance group, the same divisibility and exactly the same candidate edges
(offer, use, cost, fit) are interchangeable for every objective except through their value per
unit, priority / quantity. A class keeps its needs sorted by that value (best first), so an amount
given to the class is best spent by filling its needs in order: the class value is a concave
piecewise-linear function of the amount, one segment per distinct value. When the fits of the
class differ between offers, the value of a unit depends on the offer too, so such classes are
split further by value (one segment each). Aggregating turns the province LP from millions of
need-offer variables into class-offer variables.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(slots=True)
class NeedClass:
    """One pool of interchangeable needs and the edges they share."""

    region: int  # balance group code
    divisible: bool
    needs: np.ndarray  # need indices, best value per unit first
    offers: np.ndarray  # offer indices of the shared edges
    use: np.ndarray
    cost: np.ndarray
    fit: np.ndarray
    seg_value: np.ndarray  # distinct priority / quantity, descending
    seg_amount: np.ndarray  # total quantity of the needs with that value
    const_fit: bool


def build_classes(cands, q: np.ndarray, p: np.ndarray, group: np.ndarray,
                  divisible: np.ndarray) -> list[NeedClass]:
    """Group the needs that have at least one candidate edge into classes."""
    ratio = p / q
    starts = cands.starts
    offer_b = cands.offer
    use_b, cost_b, fit_b = cands.use, cands.cost, cands.fit
    uniform = bool(np.all(use_b == 1.0)) and bool(np.all(fit_b == 1.0))
    pools: dict[tuple, list[int]] = {}
    for i in np.flatnonzero(np.diff(starts) > 0).tolist():
        s, e = starts[i], starts[i + 1]
        f = fit_b[s:e]
        if uniform:  # derived candidates: the cost follows from the offer
            key = (group[i], divisible[i], offer_b[s:e].tobytes())
        else:
            key = (group[i], divisible[i], offer_b[s:e].tobytes(), use_b[s:e].tobytes(),
                   cost_b[s:e].tobytes(), f.tobytes())
            if f.min() != f.max():
                key = (*key, ratio[i])
        members = pools.get(key)
        if members is None:
            pools[key] = [i]
        else:
            members.append(i)

    classes = []
    for members in pools.values():
        idx = np.asarray(members, dtype=np.int64)
        idx = idx[np.lexsort((idx, -ratio[idx]))]
        first = idx[0]
        s, e = starts[first], starts[first + 1]
        fit = fit_b[s:e]
        r = ratio[idx]
        # boundaries between distinct values (idx is sorted by value, descending)
        cut = np.flatnonzero(np.r_[True, r[1:] != r[:-1]])
        amounts = np.add.reduceat(q[idx], cut)
        classes.append(NeedClass(
            region=int(group[first]), divisible=bool(divisible[first]), needs=idx,
            offers=offer_b[s:e].copy(), use=use_b[s:e].copy(), cost=cost_b[s:e].copy(),
            fit=fit.copy(), seg_value=r[cut], seg_amount=amounts,
            const_fit=bool(fit.min() == fit.max())))
    return classes
