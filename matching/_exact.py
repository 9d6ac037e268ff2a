"""The exact path: CP-SAT, level by level, for problems whose needs are all indivisible.

Model: y[e] = 1 when need n is served whole through edge e. At most one edge per need; for each
offer, the sum of use_e * q_n * y[e] stays within capacity (integers, see ``_scale.py``).
Coverage = sum p_n fit_e y[e]. Balance: an integer t and, for every group g,
M * coverage_g >= t * priority_g, so t / M is the least group share (resolution 1 / M).
Cost = sum cost_e q_n y[e]. CP-SAT has no lexicographic mode: each level is solved with the
earlier ones as constraints (coverage within its slack, balance at its optimum) and the previous
solution as hint. The cost level, where GAP instances spend their time, alternates full solves
with a large-neighbourhood search (``_lns.py``).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model

from ._common import Arrays, Budget, Progress, report
from ._gapheur import coverage_start
from ._relax import Outcome, solve_relaxed
from ._scale import scale_capacity, scale_weights

EXACT_MAX_EDGES = 200_000
BALANCE_RESOLUTION = 10 ** 6  # M: the balance level is optimised to 1e-6


@dataclass
class IntData:
    """Integer form of an all-indivisible problem (per edge unless said otherwise)."""

    need: np.ndarray
    offer: np.ndarray
    load: np.ndarray  # use * q, integer
    cap: np.ndarray  # per offer
    w: np.ndarray  # coverage weight p * fit, integer
    w_scale: float
    cost: np.ndarray  # cost * q, integer
    group: np.ndarray  # per edge: balance group of its need
    group_w: np.ndarray  # per group: total priority in w's scale
    exact: bool  # every coefficient integral without rounding


def int_data(cands, a: Arrays) -> IntData:
    """Scale the problem's coefficients to integers for CP-SAT."""
    q_e = a.q[cands.need]
    load, cap, exact_cap = scale_capacity(cands.use * q_e, a.capacity)
    w_all, w_scale, exact_w = scale_weights(np.concatenate((a.p[cands.need] * cands.fit, a.p)))
    w, p_int = w_all[: len(cands)], w_all[len(cands):]
    cost, _, exact_c = scale_weights(cands.cost * q_e)
    group_w = np.bincount(a.group, weights=p_int, minlength=len(a.group_names)).astype(np.int64)
    return IntData(need=cands.need, offer=cands.offer, load=load, cap=cap, w=w, w_scale=w_scale,
                   cost=cost, group=a.group[cands.need], group_w=group_w,
                   exact=exact_cap and exact_w and exact_c)


class ExactModel:
    """One CP-SAT model reused by every level: levels add floors and swap the objective."""

    def __init__(self, d: IntData, n_needs: int, n_offers: int) -> None:
        self.d = d
        m = self.model = cp_model.CpModel()
        self.y = [m.new_bool_var("") for _ in range(len(d.need))]
        starts = np.searchsorted(d.need, np.arange(n_needs + 1))
        for n in range(n_needs):
            s, e = int(starts[n]), int(starts[n + 1])
            if e - s > 1:
                m.add_at_most_one(self.y[s:e])  # an indivisible need goes to one offer
        order = np.argsort(d.offer, kind="stable")
        bounds = np.searchsorted(d.offer[order], np.arange(n_offers + 1))
        for o in range(n_offers):
            idx = order[bounds[o]:bounds[o + 1]]
            if idx.size and int(d.load[idx].sum()) > int(d.cap[o]):
                m.add(cp_model.LinearExpr.weighted_sum([self.y[k] for k in idx.tolist()],
                                                       d.load[idx].tolist()) <= int(d.cap[o]))
        self.coverage = cp_model.LinearExpr.weighted_sum(self.y, d.w.tolist())
        self.cost = cp_model.LinearExpr.weighted_sum(self.y, d.cost.tolist())
        self.t = None
        self.stopped = threading.Event()  # set by stop(): no more solves
        self._lock = threading.Lock()
        self._active: cp_model.CpSolver | None = None

    def stop(self) -> None:
        """Stop the running solve and refuse later ones (callable from another thread)."""
        with self._lock:
            self.stopped.set()
            solver = self._active
        for _ in range(50):  # a stop before the solver's search has started is lost: repeat
            with self._lock:
                if self._active is not solver or solver is None:
                    return
                solver.stop_search()
            time.sleep(0.02)

    def all_served(self) -> None:
        """Every need with an edge is served, through one of its best-weighted edges."""
        d, m = self.d, self.model
        best = _best_edges(d, int(d.need.max()) + 1)
        starts = np.searchsorted(d.need, np.arange(int(d.need.max()) + 2))
        for n in range(len(starts) - 1):
            s, e = int(starts[n]), int(starts[n + 1])
            if e > s:
                m.add_exactly_one([self.y[k] for k in range(s, e) if best[k]])
                for k in range(s, e):
                    if not best[k]:
                        m.add(self.y[k] == 0)

    def add_balance(self) -> None:
        """t and, per group, M * coverage_g >= t * priority_g."""
        d, m = self.d, self.model
        self.t = m.new_int_var(0, BALANCE_RESOLUTION, "t")
        for g in range(len(d.group_w)):
            idx = np.flatnonzero(d.group == g)
            expr = cp_model.LinearExpr.weighted_sum([self.y[k] for k in idx.tolist()],
                                                    (d.w[idx] * BALANCE_RESOLUTION).tolist())
            m.add(expr >= self.t * int(d.group_w[g]))

    def run(self, seconds: float, workers: int, hint: np.ndarray | None):
        """Solve the current model; returns (status, y values or None, solver)."""
        m = self.model
        m.clear_hints()
        if hint is not None:
            for var, v in zip(self.y, hint.tolist(), strict=True):
                m.add_hint(var, v)
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = max(0.01, seconds)
        solver.parameters.num_workers = workers
        with self._lock:
            if self.stopped.is_set():
                return cp_model.UNKNOWN, None, solver
            self._active = solver
        try:
            status = solver.solve(m)
        finally:
            with self._lock:
                self._active = None
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return status, None, solver
        sol = np.asarray(solver.response_proto.solution, dtype=np.int64)[: len(self.y)]
        return status, sol, solver


def solve_exact(cands, a: Arrays, slack: float, balance: bool, budget: Budget, workers: int,
                progress: Progress, x_greedy: np.ndarray | None = None) -> Outcome:
    """Lexicographic CP-SAT; falls back to the relaxed path when CP-SAT finds nothing.

    ``x_greedy`` (per-edge quantities of the greedy baseline, optional) is one of the starts of
    the coverage level, and its coverage a floor for the later levels: the result never covers
    less than the greedy."""
    d = int_data(cands, a)
    stats: dict = {"method": "cp-sat", "exact_coefficients": d.exact}
    em = ExactModel(d, len(a.q), len(a.capacity))
    proven = []
    from ._costlevel import cost_level  # the cost level uses this module's helpers

    # Level 1: coverage
    report(progress, "coverage", 0.1)
    em.model.maximize(em.coverage)
    y_greedy = None
    if x_greedy is not None and _int_feasible(d, (x_greedy > 0).astype(np.int64), 0):
        y_greedy = (x_greedy > 0).astype(np.int64)
    start, proven_start = best_hint(d, len(a.q), y_greedy)
    stats["start_coverage"] = round(float(np.dot(d.w, start)) / d.w_scale, 6)
    if proven_start:  # the greedy serves every need through a best edge: coverage is optimal
        status, y, solver = cp_model.OPTIMAL, start, None
    else:
        status, y, solver = em.run(budget.share(0.35), workers, start)
        if y is None or np.dot(d.w, y) < np.dot(d.w, start):
            y, status = start, cp_model.FEASIBLE  # CP-SAT stopped before matching its hint
    if y is None:
        out = solve_relaxed(cands, a, slack, balance, budget, progress)
        out.stats["cp_sat"] = "no solution in time, relaxed path used"
        return out
    proven.append(status == cp_model.OPTIMAL)
    c_best = int(np.dot(d.w, y))
    bound_int = c_best if solver is None else max(c_best, solver.best_objective_bound)
    bound_int = min(bound_int, ceiling(d, len(a.q)))  # never above every need at its best
    bound = _coverage_bound(bound_int, d, a, cands)
    floor_c = int(np.ceil((1 - slack) * c_best - 1e-9))
    if y_greedy is not None:  # never below the greedy baseline
        floor_c = max(floor_c, min(c_best, int(np.dot(d.w, y_greedy))))
    em.model.add(em.coverage >= floor_c)
    if floor_c >= ceiling(d, len(a.q)):
        em.all_served()  # GAP: the floor is the ceiling, so every need is served by a best edge
    stats["coverage_seconds"] = round(budget.elapsed(), 3)

    # Level 2: balance
    t_best = None
    if balance and len(d.group_w) > 1 and budget.left() > 0:
        report(progress, "balance", 0.35)
        em.add_balance()
        em.model.maximize(em.t)
        status, y2, solver = em.run(budget.share(0.4), workers, y)
        if y2 is not None:
            y = y2
            t_best = int(solver.value(em.t))
            em.model.add(em.t >= t_best)
        proven.append(status == cp_model.OPTIMAL)
        stats["balance_seconds"] = round(budget.elapsed(), 3)

    # Level 3: cost
    if np.any(d.cost != 0) and budget.left() > 0:
        report(progress, "cost", 0.5)
        y, done = cost_level(em, cands, a, y, floor_c, t_best, budget, workers, progress, stats)
        proven.append(done)
    elif np.any(d.cost != 0):
        proven.append(False)

    x = np.where(y > 0, a.q[cands.need], 0.0)
    return Outcome(x, all(proven) and d.exact, bound, stats)


def _balance_ok(d: IntData, y: np.ndarray, t_best: int) -> bool:
    cov = np.bincount(d.group, weights=d.w * y, minlength=len(d.group_w))
    return bool(np.all(cov * BALANCE_RESOLUTION >= t_best * d.group_w))


def _int_feasible(d: IntData, y: np.ndarray, floor_c: int) -> bool:
    """``y`` satisfies the integer model: one edge per need, capacities, coverage floor."""
    if np.any(np.bincount(d.need, weights=y) > 1):
        return False
    load = np.bincount(d.offer, weights=d.load * y, minlength=len(d.cap))
    return bool(np.all(load <= d.cap)) and int(np.dot(d.w, y)) >= floor_c


def greedy_hint(d: IntData, n_needs: int, by_cost: bool) -> np.ndarray:
    """A quick first allocation. Needs go in order of regret (how much worse their second-best
    edge is than their best), each to its best edge that still fits; "best" is the least cost
    (``by_cost``) or the least load relative to the offer's capacity."""
    y = np.zeros(len(d.need), dtype=np.int64)
    room = d.cap.astype(np.int64).copy()
    starts = np.searchsorted(d.need, np.arange(n_needs + 1))
    rel = d.load / np.maximum(d.cap[d.offer], 1)
    key = d.cost.astype(np.float64) + rel * 1e-6 if by_cost else rel
    regret = np.zeros(n_needs)
    for n in range(n_needs):
        r = np.sort(key[starts[n]:starts[n + 1]])
        regret[n] = (r[1] - r[0]) if r.size > 1 else (np.inf if r.size else -np.inf)
    for n in np.argsort(-regret, kind="stable").tolist():
        s, e = int(starts[n]), int(starts[n + 1])
        if s == e:
            continue
        fits = np.flatnonzero(d.load[s:e] <= room[d.offer[s:e]])
        if fits.size == 0:
            continue
        k = s + int(fits[np.argmin(key[s:e][fits] - d.w[s:e][fits] * 1e-9)])
        y[k] = 1
        room[d.offer[k]] -= d.load[k]
    return y


def _top_weight(d: IntData, n_needs: int) -> np.ndarray:
    top = np.zeros(n_needs, dtype=np.int64)
    np.maximum.at(top, d.need, d.w)
    return top


def ceiling(d: IntData, n_needs: int) -> int:
    """Trivial coverage bound: every need served through its best-weighted edge."""
    return int(_top_weight(d, n_needs).sum())


def _best_edges(d: IntData, n_needs: int) -> np.ndarray:
    """Per edge: it has its need's best weight (the only edges left when coverage is at its
    ceiling)."""
    return d.w == _top_weight(d, n_needs)[d.need]


def best_hint(d: IntData, n_needs: int,
              y_greedy: np.ndarray | None = None) -> tuple[np.ndarray, bool]:
    """The best first allocation (most coverage, then least cost) of the two regret greedy
    allocations, Martello-Toth's MTHG under several measures (``_gapheur``) and the greedy
    baseline, and whether it reaches the trivial coverage bound (every need served through its
    best-weighted edge), which proves level 1."""
    extra = [greedy_hint(d, n_needs, by_cost=True), greedy_hint(d, n_needs, by_cost=False)]
    if y_greedy is not None:
        extra.append(y_greedy)
    y = coverage_start(d, n_needs, _best_edges(d, n_needs), extra)
    return y, int(np.dot(d.w, y)) >= ceiling(d, n_needs)


def _coverage_bound(bound_int: float, d: IntData, a: Arrays, cands) -> float:
    """Coverage bound in the problem's units from CP-SAT's integer bound."""
    if d.exact:
        return bound_int / d.w_scale
    err = np.abs(d.w / d.w_scale - a.p[cands.need] * cands.fit)
    per_need = np.zeros(len(a.q))
    np.maximum.at(per_need, cands.need, err)
    return bound_int / d.w_scale + float(per_need.sum())


def _cost_scale(cands, a: Arrays) -> float:
    _, s, _ = scale_weights(cands.cost * a.q[cands.need])
    return s
