"""Results: objectives, balance groups and unserved reasons, computed one way for every engine.

Every producer of a :class:`Result` (the optimiser, the greedy baseline) builds it with
:func:`make_result`; ``check`` recomputes with :func:`evaluate_arrays`. All work is vectorised
with numpy so it stays near-linear in the number of candidate edges.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .problem import Problem
from .reader import gc_paused

RESULT_FORMAT = "matching-result/1"
# served_n below (1 - UNSERVED_RTOL) * q_n counts as unserved; above 0 it is "partial".
UNSERVED_RTOL = 1e-6
# make_result drops allocations below this share of the need's quantity (solver noise)
NOISE_RTOL = 1e-9


@dataclass(frozen=True, slots=True)
class Allocation:
    """Quantity of need ``need`` (in the need's unit) served by offer ``offer``."""

    need: str
    offer: str
    quantity: float


@dataclass
class Result:
    """A ``matching-result/1`` document in memory (see :meth:`to_dict`)."""

    status: str  # "optimal" | "feasible"
    allocations: list[Allocation]
    objectives: dict[str, float]  # coverage, balance, cost
    bounds: dict[str, float | None]  # {"coverage": ...}
    groups: dict[str, dict]  # region -> {"needs": int, "priority": float, "coverage": float}
    unserved: list[dict]  # {"need": id, "reason": "no_candidate"|"capacity"|"partial"}
    stats: dict[str, Any] = field(default_factory=dict)  # at least {"seconds": float}

    def to_dict(self) -> dict:
        """The spec's result JSON as plain Python values."""
        with gc_paused():
            return self._to_dict()

    def _to_dict(self) -> dict:
        return {
            "format": RESULT_FORMAT,
            "status": self.status,
            "allocations": [
                {"need": a.need, "offer": a.offer, "quantity": float(a.quantity)}
                for a in self.allocations
            ],
            "objectives": {k: float(v) for k, v in self.objectives.items()},
            "bounds": {k: (None if v is None else float(v)) for k, v in self.bounds.items()},
            "groups": {g: dict(v) for g, v in self.groups.items()},
            "unserved": [dict(u) for u in self.unserved],
            "stats": dict(self.stats),
        }


class EdgeIndex:
    """Find candidate-edge positions of (need index, offer index) pairs in O(log E) each."""

    def __init__(self, problem: Problem, cands: Any) -> None:
        self.n_offers = max(len(problem.offers), 1)
        keys = np.asarray(cands.need, dtype=np.int64) * self.n_offers + np.asarray(
            cands.offer, dtype=np.int64)
        if keys.size > 1 and not bool(np.all(keys[1:] > keys[:-1])):
            self.order = np.argsort(keys, kind="stable")
            self.keys = keys[self.order]
        else:  # candidates usually come sorted by need then offer: no sort needed
            self.order = None
            self.keys = keys

    def find(self, need: np.ndarray, offer: np.ndarray) -> np.ndarray:
        """Edge positions (into the candidate arrays) of the pairs, -1 where not a candidate."""
        q = np.asarray(need, dtype=np.int64) * self.n_offers + np.asarray(offer, dtype=np.int64)
        if self.keys.size == 0:
            return np.full(q.shape, -1, dtype=np.int64)
        pos = np.searchsorted(self.keys, q)
        pos_c = np.minimum(pos, self.keys.size - 1)
        hit = self.keys[pos_c] == q
        if self.order is not None:
            pos_c = self.order[pos_c]
        return np.where(hit, pos_c, -1).astype(np.int64)


@dataclass
class Evaluation:
    """Per-need and per-offer figures of an allocation, beside the reported summary."""

    objectives: dict[str, float]
    groups: dict[str, dict]
    unserved: list[dict]
    served: np.ndarray  # per need: sum of x_e
    served_fit: np.ndarray  # per need: sum of fit_e * x_e
    used: np.ndarray  # per offer: sum of use_e * x_e
    has_candidate: np.ndarray  # per need: bool


def need_arrays(problem: Problem) -> tuple[np.ndarray, np.ndarray]:
    """Quantities and priorities of the needs as float arrays."""
    n = len(problem.needs)
    q = np.fromiter((x.quantity for x in problem.needs), dtype=np.float64, count=n)
    p = np.fromiter((x.priority for x in problem.needs), dtype=np.float64, count=n)
    return q, p


def region_codes(problem: Problem) -> tuple[list[str], np.ndarray]:
    """Distinct need regions (sorted) and each need's region code into that list."""
    names = sorted({n.region for n in problem.needs})
    code = {r: i for i, r in enumerate(names)}
    codes = np.fromiter((code[n.region] for n in problem.needs), dtype=np.int64,
                        count=len(problem.needs))
    return names, codes


def _as_arrays(problem: Problem, quantities: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(need idx, offer idx, x) from a {(ni, oi): x} mapping or a list of Allocations."""
    if isinstance(quantities, Mapping):
        items = list(quantities.items())
        ni = np.fromiter((k[0] for k, _ in items), dtype=np.int64, count=len(items))
        oi = np.fromiter((k[1] for k, _ in items), dtype=np.int64, count=len(items))
        x = np.fromiter((v for _, v in items), dtype=np.float64, count=len(items))
        return ni, oi, x
    allocs: Sequence[Allocation] = quantities
    nidx, oidx = problem.need_index, problem.offer_index
    ni = np.fromiter((nidx[a.need] for a in allocs), dtype=np.int64, count=len(allocs))
    oi = np.fromiter((oidx[a.offer] for a in allocs), dtype=np.int64, count=len(allocs))
    x = np.fromiter((a.quantity for a in allocs), dtype=np.float64, count=len(allocs))
    return ni, oi, x


def evaluate_arrays(problem: Problem, cands: Any, ni: np.ndarray, oi: np.ndarray,
                    x: np.ndarray, pos: np.ndarray | None = None) -> Evaluation:
    """Evaluate allocations given as arrays; every (ni, oi) must be a candidate edge.

    ``pos`` (edge positions of the pairs) may be passed when already looked up.
    """
    if pos is None:
        pos = EdgeIndex(problem, cands).find(ni, oi)
    if pos.size and int(pos.min()) < 0:
        bad = int(np.argmin(pos))
        raise ValueError(f"allocation {bad} is not a candidate edge")
    n, m = len(problem.needs), len(problem.offers)
    q, p = need_arrays(problem)
    fit = np.asarray(cands.fit, dtype=np.float64)[pos]
    use = np.asarray(cands.use, dtype=np.float64)[pos]
    cost = np.asarray(cands.cost, dtype=np.float64)[pos]
    served = np.bincount(ni, weights=x, minlength=n)
    served_fit = np.bincount(ni, weights=fit * x, minlength=n)
    used = np.bincount(oi, weights=use * x, minlength=m)
    share = p * served_fit / q if n else np.zeros(0)
    names, codes = region_codes(problem)
    g_needs = np.bincount(codes, minlength=len(names))
    g_prio = np.bincount(codes, weights=p, minlength=len(names))
    g_cov = np.bincount(codes, weights=share, minlength=len(names)) / np.where(
        g_prio > 0, g_prio, 1.0)
    groups = {
        r: {"needs": int(g_needs[i]), "priority": float(g_prio[i]), "coverage": float(g_cov[i])}
        for i, r in enumerate(names)
    }
    objectives = {
        "coverage": float(share.sum()),
        "balance": float(g_cov.min()) if len(names) else 0.0,
        "cost": float(np.dot(cost, x)),
    }
    has_candidate = np.bincount(np.asarray(cands.need, dtype=np.int64), minlength=n) > 0
    short = np.flatnonzero(served < q * (1.0 - UNSERVED_RTOL))
    # reason code: 0 no_candidate, 1 capacity, 2 partial
    codes = np.where(served[short] > 0, 2, has_candidate[short].astype(np.int64))
    names3 = ("no_candidate", "capacity", "partial")
    needs = problem.needs
    with gc_paused():
        unserved = [{"need": needs[i].id, "reason": names3[c]}
                    for i, c in zip(short.tolist(), codes.tolist(), strict=True)]
    return Evaluation(objectives, groups, unserved, served, served_fit, used, has_candidate)


def evaluate(problem: Problem, cands: Any, quantities: Any
             ) -> tuple[dict[str, float], dict[str, dict], list[dict]]:
    """Objectives, per-region groups and unserved needs (with reasons) of an allocation.

    ``quantities`` is ``{(need index, offer index): x}`` or a list of :class:`Allocation`.
    """
    ni, oi, x = _as_arrays(problem, quantities)
    ev = evaluate_arrays(problem, cands, ni, oi, x)
    return ev.objectives, ev.groups, ev.unserved


def make_result(problem: Problem, cands: Any, allocations: Any, status: str,
                bound: float | None, seconds: float,
                extra_stats: Mapping[str, Any] | None = None) -> Result:
    """Build the :class:`Result` of an allocation: the one place objectives are computed.

    ``allocations`` is ``{(need index, offer index): x}`` or a list of :class:`Allocation`;
    entries with x <= 1e-9 of the need's quantity (solver noise) are dropped. When ``status``
    is "optimal" and no bound is given, the bound is the coverage itself.
    """
    ni, oi, x = _as_arrays(problem, allocations)
    q, _ = need_arrays(problem)
    # LP solvers leave traces like 1e-16 on edges they do not use: they mean nothing, and on an
    # indivisible need they would read as a second edge
    keep = x > q[ni] * NOISE_RTOL if ni.size else np.zeros(0, dtype=bool)
    ni, oi, x = ni[keep], oi[keep], x[keep]
    order = np.lexsort((oi, ni))  # report allocations by need, then offer, input order
    ni, oi, x = ni[order], oi[order], x[order]
    ev = evaluate_arrays(problem, cands, ni, oi, x)
    needs, offers = problem.needs, problem.offers
    with gc_paused():
        allocs = [Allocation(needs[a].id, offers[b].id, v)
                  for a, b, v in zip(ni.tolist(), oi.tolist(), x.tolist(), strict=True)]
    if bound is None and status == "optimal":
        bound = ev.objectives["coverage"]
    stats: dict[str, Any] = {"seconds": float(seconds)}
    stats.update(extra_stats or {})
    return Result(status=status, allocations=allocs, objectives=ev.objectives,
                  bounds={"coverage": None if bound is None else float(bound)},
                  groups=ev.groups, unserved=ev.unserved, stats=stats)
