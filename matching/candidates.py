"""Candidate edges: which offer may serve which need.

Explicit ``problem.edges`` are taken as they are. Otherwise the spec's compatibility rules apply:
same kind and category; item equal when both are set; an offer region entry serves a need when it
is a prefix of the need's region (no entry = everywhere); the offer's qualifications contain every
requirement of the need; an offer with groups only serves needs sharing one of them.

Needs are grouped by *signature* (kind, category, item, region, requires, groups): all needs of a
signature have the same candidate offers, so the offers are looked up once per signature through
an index by (kind, category) and region prefix, and the edges are expanded with numpy. The cost is
proportional to the number of edges produced plus the number of signatures, never to
needs x offers.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from .problem import Problem

__all__ = ["Candidates", "candidate_edges"]


@dataclass(frozen=True, slots=True)
class Candidates:
    """Candidate edges as parallel numpy arrays, sorted by need, then by offer index.

    ``need`` and ``offer`` index ``problem.needs`` / ``problem.offers``; ``use``, ``cost`` and
    ``fit`` are per edge (derived edges: use 1, cost = offer unit cost, fit 1). ``starts`` has one
    entry per need plus one: the edges of need ``i`` are ``starts[i]:starts[i+1]``.
    """

    need: np.ndarray
    offer: np.ndarray
    use: np.ndarray
    cost: np.ndarray
    fit: np.ndarray
    starts: np.ndarray

    def __len__(self) -> int:
        return int(self.need.shape[0])

    def of_need(self, i: int) -> slice:
        """Slice of the edges of need ``i``."""
        return slice(int(self.starts[i]), int(self.starts[i + 1]))


def candidate_edges(problem: Problem) -> Candidates:
    """All candidate edges of ``problem`` (exactly ``problem.edges`` when it is given)."""
    if problem.edges is not None:
        return _explicit(problem)
    return _derived(problem)


def _finish(problem: Problem, need, offer, use, cost, fit) -> Candidates:
    """Sort by (need, offer) and build the per-need offsets."""
    need = np.asarray(need, dtype=np.int64)
    offer = np.asarray(offer, dtype=np.int64)
    key = need * max(len(problem.offers), 1) + offer
    order = np.argsort(key, kind="stable")
    need = need[order]
    starts = np.searchsorted(need, np.arange(len(problem.needs) + 1), side="left")
    return Candidates(
        need=need,
        offer=offer[order],
        use=np.asarray(use, dtype=np.float64)[order],
        cost=np.asarray(cost, dtype=np.float64)[order],
        fit=np.asarray(fit, dtype=np.float64)[order],
        starts=starts.astype(np.int64),
    )


def _explicit(problem: Problem) -> Candidates:
    edges = problem.edges or ()
    return _finish(
        problem,
        [e.need for e in edges],
        [e.offer for e in edges],
        [e.use for e in edges],
        [e.cost for e in edges],
        [e.fit for e in edges],
    )


class _Masks:
    """Bit masks over a vocabulary (qualifications or groups), as Python ints."""

    def __init__(self) -> None:
        self.bit: dict[str, int] = {}

    def mask(self, words) -> int:
        m = 0
        for w in words:
            b = self.bit.get(w)
            if b is None:
                b = self.bit[w] = 1 << len(self.bit)
            m |= b
        return m


def _derived(problem: Problem) -> Candidates:
    offers = problem.offers
    quals, groups = _Masks(), _Masks()
    offer_qual = [quals.mask(o.qualifications) for o in offers]
    offer_group = [groups.mask(o.groups) for o in offers]

    # (kind, category) -> region prefix -> offer indices; no regions = the empty prefix
    by_prefix: dict[tuple[str, str], dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for j, o in enumerate(offers):
        index = by_prefix[(o.kind, o.category)]
        for prefix in set(o.regions) or {""}:
            index[prefix].append(j)

    signatures: dict[tuple, list[int]] = defaultdict(list)
    for i, n in enumerate(problem.needs):
        sig = (n.kind, n.category, n.item, n.region, frozenset(n.requires), frozenset(n.groups))
        signatures[sig].append(i)

    # offers by (kind, category, item, region), before the qualification and group filters
    located: dict[tuple, list[int]] = {}
    need_parts: list[np.ndarray] = []
    offer_parts: list[np.ndarray] = []
    for (kind, category, item, region, requires, need_groups), members in signatures.items():
        base_key = (kind, category, item, region)
        base = located.get(base_key)
        if base is None:
            index = by_prefix.get((kind, category))
            base = located[base_key] = _locate(index, offers, item, region)
        if not base:
            continue
        req = quals.mask(requires)
        grp = groups.mask(need_groups)
        chosen = [
            j for j in base
            if offer_qual[j] & req == req and (offer_group[j] == 0 or offer_group[j] & grp)
        ]
        if not chosen:
            continue
        ns = np.asarray(members, dtype=np.int64)
        os_ = np.asarray(chosen, dtype=np.int64)
        need_parts.append(np.repeat(ns, len(os_)))
        offer_parts.append(np.tile(os_, len(ns)))

    if need_parts:
        need = np.concatenate(need_parts)
        offer = np.concatenate(offer_parts)
    else:
        need = offer = np.zeros(0, dtype=np.int64)
    unit_cost = np.asarray([o.unit_cost for o in offers], dtype=np.float64)
    ones = np.ones(len(need), dtype=np.float64)
    return _finish(problem, need, offer, ones, unit_cost[offer] if len(offer) else ones, ones)


def _locate(index, offers, item, region: str) -> list[int]:
    """Sorted offers of one (kind, category) index serving ``region`` with a matching item."""
    if not index:
        return []
    found: set[int] = set()
    for k in range(len(region) + 1):
        found.update(index.get(region[:k], ()))
    return sorted(j for j in found if item is None or offers[j].item is None
                  or offers[j].item == item)
