"""The cost level of the exact path (all needs indivisible), where GAP instances spend their time.

Small models (up to ``SCIP_MAX_EDGES`` edges) with two or more workers run a portfolio: SCIP in a
background thread for the whole level (``_scipbg``) while the main thread runs CP-SAT on one
worker fewer: a full solve, the LP guidance and the large-neighbourhood search (``_lns``), and a
last full solve capped at the incumbent's cost. The first method to prove the optimum stops the
other. Otherwise the steps run one after the other (SCIP with a share of the time on small
models). See docs/matching.md.
"""

from __future__ import annotations

import numpy as np
from ortools.sat.python import cp_model

from ._common import Arrays, Budget, Progress
from ._exact import (
    BALANCE_RESOLUTION,
    ExactModel,
    IntData,
    _balance_ok,
    _best_edges,
    _int_feasible,
    ceiling,
)
from ._gapheur import eject_repair, regret_assign
from ._lns import improve_cost
from ._mip import LevelMIP
from ._scipbg import BackgroundScip, cost_mip, solve_cost_mip

SCIP_MAX_EDGES = 6_000  # cost level also tried with SCIP up to this size
FULL_SOLVE_MAX_EDGES = 50_000  # cost level starts with a full CP-SAT solve up to this size
SHORTLIST = 4  # edges per need the LNS may use (least LP reduced cost)
SCIP_SHARE = 0.4  # sequential: share of the cost level's time left for SCIP on small models
PROOF_RESERVE = 0.5  # small models: share of the LNS time kept for a last full solve
FIRST_SHARE = 0.25  # portfolio: share of the time for the first full CP-SAT solve
# LNS sub-problems solved at once. Two (on two threads, free capacity split) gave 1.6x the steps
# but per step fewer improvements; on d801600 / d60900 at 60 s (shared machine) they ended
# 0.50 / 0.59 % above the best known against 0.44 / 0.48 % with one: not used.
LNS_LANES = 1


def cost_level(em: ExactModel, cands, a: Arrays, y: np.ndarray, floor_c: int,
               t_best: int | None, budget: Budget, workers: int, progress: Progress,
               stats: dict) -> tuple[np.ndarray, bool]:
    """Minimise cost with the earlier levels as floors; returns (best 0/1 edge vector, proven
    optimal)."""
    em.model.minimize(em.cost)
    if len(em.d.need) <= SCIP_MAX_EDGES and workers >= 2:
        return _portfolio(em, cands, a, y, floor_c, t_best, budget, workers, progress, stats)
    return _sequential(em, cands, a, y, floor_c, t_best, budget, workers, progress, stats)


def _cost(d: IntData, y: np.ndarray) -> int:
    return int(np.dot(d.cost, y))


def _all_served(d: IntData, floor_c: int, n_needs: int) -> np.ndarray | None:
    """The best-weighted edges when the coverage floor is the ceiling (every need served through
    one of them), else None."""
    return _best_edges(d, n_needs) if floor_c >= ceiling(d, n_needs) else None


def _portfolio(em: ExactModel, cands, a: Arrays, y: np.ndarray, floor_c: int,
               t_best: int | None, budget: Budget, workers: int, progress: Progress,
               stats: dict) -> tuple[np.ndarray, bool]:
    """SCIP in the background for the whole level; CP-SAT and LNS in front on one worker
    fewer."""
    d = em.d
    mip = cost_mip(cands, a, d, floor_c, t_best, _all_served(d, floor_c, len(a.q)))
    bg = BackgroundScip(mip, max(0.05, budget.left() - 0.05), em.stop)
    inner = max(1, workers - 1)
    done = False
    try:
        status, y3, solver = em.run(budget.share(FIRST_SHARE), inner, y)
        if y3 is not None and _cost(d, y3) <= _cost(d, y):
            y = y3
        done = status == cp_model.OPTIMAL
        if y3 is not None:
            stats["cost_bound_cp_sat"] = solver.best_objective_bound
        if not done and not em.stopped.is_set() and budget.left() > 1.0:
            y, done = _lns_and_proof(em, cands, a, y, floor_c, t_best, budget, inner,
                                     progress, stats, proof=True)
        if not done:  # whatever time is left is SCIP's
            bg.finished.wait(budget.left())
    finally:
        y_mip, proven_mip = bg.stop()
    stats["scip"] = ("proven" if proven_mip else "found" if y_mip is not None else
                     (bg.error or "nothing"))
    if y_mip is not None and _int_feasible(d, y_mip, floor_c):
        if proven_mip and _cost(d, y_mip) <= _cost(d, y):
            y, done = y_mip, True
        elif _cost(d, y_mip) < _cost(d, y):
            y, done = y_mip, False
    return y, done


def _sequential(em: ExactModel, cands, a: Arrays, y: np.ndarray, floor_c: int,
                t_best: int | None, budget: Budget, workers: int, progress: Progress,
                stats: dict) -> tuple[np.ndarray, bool]:
    """A full CP-SAT solve, then SCIP on small models, then LNS (and on small models a last
    capped full solve)."""
    d = em.d
    small = len(d.need) <= SCIP_MAX_EDGES
    done = False
    if len(d.need) <= FULL_SOLVE_MAX_EDGES:  # larger models do not even finish presolve in time
        status, y3, solver = em.run(budget.share(0.2 if small else 0.15), workers, y)
        if y3 is not None:
            y = y3
            stats["cost_bound_cp_sat"] = solver.best_objective_bound
        done = status == cp_model.OPTIMAL
    if not done and small and budget.left() > 1.0:
        mip = cost_mip(cands, a, d, floor_c, t_best, _all_served(d, floor_c, len(a.q)))
        y_mip, done_mip = solve_cost_mip(mip, y, budget.share(SCIP_SHARE))
        stats["scip"] = "proven" if done_mip else ("found" if y_mip is not None else "nothing")
        if y_mip is not None and _int_feasible(d, y_mip, floor_c) and (
                _cost(d, y_mip) <= _cost(d, y)):
            y, done = y_mip, done_mip
    if not done and budget.left() > 1.0:
        y, done = _lns_and_proof(em, cands, a, y, floor_c, t_best, budget, workers, progress,
                                 stats, proof=small)
    return y, done


def _lns_and_proof(em: ExactModel, cands, a: Arrays, y: np.ndarray, floor_c: int,
                   t_best: int | None, budget: Budget, workers: int, progress: Progress,
                   stats: dict, proof: bool) -> tuple[np.ndarray, bool]:
    """LP guidance, LNS, and (``proof``) a last full solve from the best point with the
    incumbent's cost as a hard cap: measured on GAP c05200/c10200/b05200, CP-SAT proves the
    optimum in 2-25 s with it."""
    d = em.d
    keep, start, rc = _lp_guidance(cands, a, d, floor_c, t_best, budget.share(0.25))
    if start is not None and _cost(d, start) < _cost(d, y):
        y = start
        stats["lp_start"] = True
    y, stats["lns"] = improve_cost(em, y, budget, workers, progress,
                                   reserve=PROOF_RESERVE if proof else 0.0, keep=keep, rc=rc,
                                   stop=em.stopped.is_set, lanes=LNS_LANES)
    done = False
    if proof and budget.left() > 0.5 and not em.stopped.is_set():
        em.model.add(em.cost <= _cost(d, y))
        status, y3, _ = em.run(budget.left(), workers, y)
        if y3 is not None and _cost(d, y3) <= _cost(d, y):
            y = y3
        done = status == cp_model.OPTIMAL
    return y, done


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
    best = _all_served(d, floor_c, len(a.q))
    if best is not None:
        lp.add_all_served(best)
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
    return keep, _lp_start(d, y_lp, rc, len(a.q), floor_c, t_best, best), rc


def _lp_start(d: IntData, y_lp: np.ndarray, rc: np.ndarray, n_needs: int, floor_c: int,
              t_best: int | None, best: np.ndarray | None) -> np.ndarray | None:
    """The cheapest start that keeps the floors among roundings of the LP optimum: needs the
    LP serves whole keep their edge, the few fractional ones (at most one per offer in a
    basic solution) are placed greedily (``_round_lp``) or by Martello-Toth regret under two
    desirabilities (LP value, reduced cost), then ejection repair. Measured on GAP
    e801600 / d801600 / c801600: 180,636 / 98,429 / 16,483 with the greedy alone, 178,832 /
    98,429 / 16,361 as the best of these (LP 176,781 / 97,034 / 16,283). MTHG by cost gives
    97,784 on d801600, but LNS from there ended worse (97,464-97,518 against 97,246 before):
    starts near the LP suit the reduced-cost guided LNS."""
    whole = (y_lp > 1 - 1e-6).astype(np.int64)
    allowed = best if best is not None else np.ones(len(d.need), dtype=bool)
    with_edge = np.count_nonzero(np.bincount(d.need[allowed], minlength=n_needs))
    starts = [_round_lp(d, y_lp, n_needs)]
    for f in (y_lp - 1e-6 * d.cost, -rc):
        y = regret_assign(d, n_needs, f, allowed, y0=whole * allowed)
        if np.count_nonzero(y) < with_edge:
            y = eject_repair(d, n_needs, y, allowed)
        starts.append(y)
    ok = [y for y in starts if _int_feasible(d, y, floor_c)
          and (t_best is None or _balance_ok(d, y, t_best))]
    return min(ok, key=lambda y: _cost(d, y)) if ok else None


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
