"""The mixed path: a need-level MIP (SCIP), level by level, for small problems that mix
divisible and indivisible needs.

Variables: y[e] = share of need n served through edge e (continuous for divisible needs, 0/1 for
indivisible ones), so x[e] = q_n y[e]. Rows: sum of y over a need's edges <= 1; per offer,
sum use_e q_n y[e] <= capacity. Coverage = sum p_n fit_e y[e]; balance rows
coverage_g >= t * priority_g; cost = sum cost_e q_n y[e]. Each level keeps the earlier ones as
floors (coverage within the slack of the best found, balance at the best found) and starts from
the previous solution. Rounding an LP cannot handle small, lumpy problems well (one whole need
can be most of a group's coverage); a MIP of a few thousand edges can.
"""

from __future__ import annotations

import numpy as np
from ortools.linear_solver import pywraplp

from ._common import Arrays, Budget, Progress, coverage_floor, report

MIP_MAX_EDGES = 30_000
INF = pywraplp.Solver.infinity()
FLOOR_RTOL = 1e-7


class LevelMIP:
    """One SCIP model reused by the three levels."""

    def __init__(self, cands, a: Arrays, relax: bool = False) -> None:
        self.solver = pywraplp.Solver.CreateSolver("GLOP" if relax else "SCIP")
        s = self.solver
        self.cands = cands
        need, offer = cands.need.tolist(), cands.offer.tolist()
        integral = (~a.divisible[cands.need] & (not relax)).tolist()
        self.y = [s.IntVar(0, 1, "") if b else s.NumVar(0.0, 1.0, "") for b in integral]
        # a need is served at most once in total
        self.need_rows: dict[int, pywraplp.Constraint] = {}
        for n in np.flatnonzero(np.diff(cands.starts) > 1).tolist():
            row = self.need_rows[n] = s.Constraint(-INF, 1.0)
            for k in range(int(cands.starts[n]), int(cands.starts[n + 1])):
                row.SetCoefficient(self.y[k], 1.0)
        # offer capacity
        load = cands.use * a.q[cands.need]
        rows: dict[int, pywraplp.Constraint] = {}
        for k, o in enumerate(offer):
            row = rows.get(o)
            if row is None:
                row = rows[o] = s.Constraint(-INF, float(a.capacity[o]))
            row.SetCoefficient(self.y[k], float(load[k]))
        self.value = (a.p[cands.need] * cands.fit).tolist()
        self.cost = (cands.cost * a.q[cands.need]).tolist()
        self.group = a.group[cands.need].tolist()
        self.need = need
        self.a = a
        self.t = None

    def _objective(self, coefs, maximize: bool) -> None:
        obj = self.solver.Objective()
        obj.Clear()
        for var, c in zip(self.y, coefs, strict=True):
            if c:
                obj.SetCoefficient(var, c)
        obj.SetOptimizationDirection(maximize)

    def run(self, seconds: float, hint: np.ndarray | None) -> tuple[bool | None, np.ndarray]:
        """Solve; returns (True optimal / False feasible / None nothing, y values)."""
        s = self.solver
        s.SetTimeLimit(max(1, int(seconds * 1000)))
        if hint is not None:
            s.SetHint(self.y, hint.tolist())
        params = pywraplp.MPSolverParameters()
        if self.solver.IsMip():
            params.SetDoubleParam(params.RELATIVE_MIP_GAP, 1e-9)
        status = s.Solve(params)
        if status not in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE):
            return None, np.zeros(len(self.y))
        vals = np.fromiter((v.solution_value() for v in self.y), dtype=np.float64,
                           count=len(self.y))
        return status == pywraplp.Solver.OPTIMAL, vals

    def reduced_costs(self) -> np.ndarray:
        """Reduced cost of every edge variable after an LP solve (relax=True)."""
        return np.fromiter((v.reduced_cost() for v in self.y), dtype=np.float64,
                           count=len(self.y))

    def coverage_level(self, seconds: float):
        """Level 1: maximise coverage."""
        self._objective(self.value, True)
        return self.run(seconds, None)

    def add_coverage_floor(self, floor: float) -> None:
        """Keep coverage >= floor from now on."""
        row = self.solver.Constraint(floor, INF)
        for var, c in zip(self.y, self.value, strict=True):
            row.SetCoefficient(var, c)

    def add_all_served(self, best: np.ndarray) -> None:
        """Every need with an edge is served whole, through an edge where ``best`` is set (the
        need's row becomes an equation, other edges are fixed at 0)."""
        starts = self.cands.starts
        for n in np.flatnonzero(np.diff(starts) > 0).tolist():
            s, e = int(starts[n]), int(starts[n + 1])
            for k in range(s, e):
                if not best[k]:
                    self.y[k].SetUb(0.0)
            row = self.need_rows.get(n)
            if row is None:  # a single edge
                self.y[s].SetLb(1.0)
            else:
                row.SetLb(1.0)

    def add_balance_floor(self, t_min: float) -> None:
        """Keep every group's coverage share >= ``t_min`` from now on."""
        self._balance_rows()
        self.t.SetLb(t_min)

    def _balance_rows(self) -> None:
        s = self.solver
        self.t = s.NumVar(0.0, INF, "t")
        rows = [s.Constraint(0.0, INF) for _ in self.a.group_names]
        for g, row in enumerate(rows):
            row.SetCoefficient(self.t, -float(self.a.group_priority[g]))
        for var, c, g in zip(self.y, self.value, self.group, strict=True):
            rows[g].SetCoefficient(var, c)

    def balance_level(self, seconds: float, hint: np.ndarray):
        """Level 2: maximise t with coverage_g >= t * priority_g for every group."""
        self._balance_rows()
        s = self.solver
        obj = s.Objective()
        obj.Clear()
        obj.SetCoefficient(self.t, 1.0)
        obj.SetMaximization()
        return self.run(seconds, hint)

    def cost_level(self, seconds: float, hint: np.ndarray):
        """Level 3: minimise cost."""
        self._objective(self.cost, False)
        return self.run(seconds, hint)


def solve_mip(cands, a: Arrays, slack: float, balance: bool, budget: Budget,
              progress: Progress):
    """Lexicographic MIP; returns (y, all levels proven, coverage bound, stats) or None."""
    mip = LevelMIP(cands, a)
    stats: dict = {"method": "mip"}
    report(progress, "coverage", 0.1)
    proven, y = mip.coverage_level(budget.share(0.4))
    if proven is None:
        return None
    levels = [proven]
    c_best = float(np.dot(mip.value, y))
    bound = max(c_best, mip.solver.Objective().BestBound())
    mip.add_coverage_floor(coverage_floor(c_best, slack))
    if balance and len(a.group_names) > 1 and budget.left() > 0:
        report(progress, "balance", 0.4)
        proven, y2 = mip.balance_level(budget.share(0.5), y)
        levels.append(bool(proven))
        if proven is not None:
            y = y2
            b_best = mip.t.solution_value()
            mip.t.SetLb(max(0.0, b_best - FLOOR_RTOL * max(b_best, 1e-9)))
    if any(mip.cost) and budget.left() > 0:
        report(progress, "cost", 0.7)
        proven, y3 = mip.cost_level(budget.left(), y)
        levels.append(bool(proven))
        if proven is not None:
            y = y3
    elif any(mip.cost):
        levels.append(False)
    return y, all(levels), bound, stats
