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

from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model

from ._common import Arrays, Budget, Progress, report
from ._gapheur import coverage_start
from ._lns import improve_cost
from ._mip import LevelMIP
from ._relax import Outcome, solve_relaxed
from ._scale import scale_capacity, scale_weights

EXACT_MAX_EDGES = 200_000
BALANCE_RESOLUTION = 10 ** 6  # M: the balance level is optimised to 1e-6
SCIP_MAX_EDGES = 6_000  # cost level also tried with SCIP up to this size
FULL_SOLVE_MAX_EDGES = 50_000  # cost level starts with a full CP-SAT solve up to this size
SHORTLIST = 4  # edges per need the LNS may use (least LP reduced cost)
SCIP_SHARE = 0.4  # share of the cost level's time left for SCIP on small models
PROOF_RESERVE = 0.5  # small models: share of the time after SCIP kept for a last full solve


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
        status = solver.solve(m)
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
        y, done = _cost_level(em, cands, a, y, floor_c, t_best, budget, workers, progress, stats)
        proven.append(done)
    elif np.any(d.cost != 0):
        proven.append(False)

    x = np.where(y > 0, a.q[cands.need], 0.0)
    return Outcome(x, all(proven) and d.exact, bound, stats)


def _cost_level(em: ExactModel, cands, a: Arrays, y: np.ndarray, floor_c: int,
                t_best: int | None, budget: Budget, workers: int, progress: Progress,
                stats: dict) -> tuple[np.ndarray, bool]:
    """Minimise cost: a full CP-SAT solve, then SCIP on small models (it proves GAP-like
    instances of a few thousand edges far faster than CP-SAT on 2 workers), then LNS."""
    d = em.d
    em.model.minimize(em.cost)
    small = len(d.need) <= SCIP_MAX_EDGES
    done = False
    if len(d.need) <= FULL_SOLVE_MAX_EDGES:  # larger models do not even finish presolve in time
        status, y3, solver = em.run(budget.share(0.2 if small else 0.15), workers, y)
        if y3 is not None:
            y = y3
        done = status == cp_model.OPTIMAL
        stats["cost_bound_cp_sat"] = solver.best_objective_bound
    if not done and small and budget.left() > 1.0:
        y_mip, done_mip = _scip_cost(cands, a, d, y, floor_c, t_best, budget.share(SCIP_SHARE))
        stats["scip"] = "proven" if done_mip else ("found" if y_mip is not None else "nothing")
        if y_mip is not None and _int_feasible(d, y_mip, floor_c) and (
                int(np.dot(d.cost, y_mip)) <= int(np.dot(d.cost, y))):
            y, done = y_mip, done_mip
    if not done and budget.left() > 1.0:
        keep, start, rc = _lp_guidance(cands, a, d, floor_c, t_best, budget.share(0.25))
        if start is not None and int(np.dot(d.cost, start)) < int(np.dot(d.cost, y)):
            y = start
            stats["lp_start"] = True
        y, stats["lns"] = improve_cost(em, y, budget, workers, progress,
                                       reserve=PROOF_RESERVE if small else 0.0, keep=keep, rc=rc)
        if small and budget.left() > 0.5:  # a last full solve from the best point: a proof?
            # the incumbent's cost as a hard cap: measured on GAP c05200/c10200/b05200, CP-SAT
            # proves the optimum in 2-25 s with it
            em.model.add(em.cost <= int(np.dot(d.cost, y)))
            status, y3, solver = em.run(budget.left(), workers, y)
            if y3 is not None and np.dot(d.cost, y3) <= np.dot(d.cost, y):
                y = y3
            done = status == cp_model.OPTIMAL
    return y, done


def _scip_cost(cands, a: Arrays, d: IntData, y: np.ndarray, floor_c: int, t_best: int | None,
               seconds: float) -> tuple[np.ndarray | None, bool]:
    """The cost level as a SCIP MIP with the same floors, started from ``y``."""
    mip = LevelMIP(cands, a)
    mip.add_coverage_floor(floor_c / d.w_scale * (1 - 1e-12))
    if floor_c >= ceiling(d, len(a.q)):
        mip.add_all_served(_best_edges(d, len(a.q)))
    if t_best is not None:
        mip.add_balance_floor(t_best / BALANCE_RESOLUTION * (1 - 1e-9))
    proven, y_mip = mip.cost_level(seconds, y.astype(np.float64))
    if proven is None:
        return None, False
    return np.round(y_mip).astype(np.int64), bool(proven)


def _lp_guidance(cands, a: Arrays, d: IntData, floor_c: int, t_best: int | None,
                 seconds: float) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """The cost level's LP relaxation, used twice: a shortlist of edges worth trying in LNS
    (per need, the few with least reduced cost: good assignments rarely use an edge the LP
    prices far above the others), and a start (the LP's integral part, completed greedily).

    Returns (keep mask, start or None when the LP is not solved in time or its rounding
    misses a floor, reduced costs or None)."""
    lp = LevelMIP(cands, a, relax=True)
    lp.solver.SetSolverSpecificParametersAsString("use_dual_simplex: true")
    lp.add_coverage_floor(floor_c / d.w_scale * (1 - 1e-12))
    if floor_c >= ceiling(d, len(a.q)):
        lp.add_all_served(_best_edges(d, len(a.q)))
    if t_best is not None:
        lp.add_balance_floor(t_best / BALANCE_RESOLUTION * (1 - 1e-9))
    proven, y_lp = lp.cost_level(seconds, None)
    # without an LP optimum in time, the cost itself ranks the edges
    rc = lp.reduced_costs() if proven else d.cost.astype(np.float64)
    keep = np.zeros(len(rc), dtype=bool)
    starts = cands.starts
    for n in range(len(a.q)):
        s, e = int(starts[n]), int(starts[n + 1])
        if e - s <= SHORTLIST:
            keep[s:e] = True
        elif e > s:
            keep[s + np.argpartition(rc[s:e], SHORTLIST)[:SHORTLIST]] = True
    if not proven:
        return keep, None, None
    start = _round_lp(d, y_lp, len(a.q))
    ok = _int_feasible(d, start, floor_c) and (t_best is None or _balance_ok(d, start, t_best))
    return keep, (start if ok else None), rc


def _round_lp(d: IntData, y_lp: np.ndarray, n_needs: int) -> np.ndarray:
    """Needs the LP serves (almost) whole keep that edge; the rest go greedily, cheapest fit."""
    y = np.zeros(len(d.need), dtype=np.int64)
    whole = y_lp > 1 - 1e-6
    y[whole] = 1
    room = d.cap - np.bincount(d.offer, weights=d.load * y, minlength=len(d.cap)).astype(np.int64)
    starts = np.searchsorted(d.need, np.arange(n_needs + 1))
    served = np.zeros(n_needs, dtype=bool)
    served[d.need[whole]] = True
    for n in np.flatnonzero(~served).tolist():
        s, e = int(starts[n]), int(starts[n + 1])
        fits = np.flatnonzero(d.load[s:e] <= room[d.offer[s:e]])
        if fits.size == 0:
            continue
        k = s + int(fits[np.lexsort((d.cost[s:e][fits], -y_lp[s:e][fits]))[0]])
        y[k] = 1
        room[d.offer[k]] -= d.load[k]
    return y


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
