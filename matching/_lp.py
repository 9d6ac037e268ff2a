"""Lexicographic LP over need classes (GLOP): coverage, then balance, then cost.

Variables: z[c, k] = quantity class c receives through its k-th shared edge; for classes with
several values per unit, s[c, v] = quantity spent on the needs of value v (filled best first by the
LP itself, because it maximises). One GLOP model carries every level: the coverage row and the
balance rows exist from the start with inactive bounds, and each level only changes bounds and the
objective, so GLOP re-solves from the previous basis.

The coverage optimum of this LP is a proven upper bound on the coverage of any allocation (it
relaxes indivisibility and nothing else).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from ortools.linear_solver import pywraplp

from ._classes import NeedClass

INF = pywraplp.Solver.infinity()
LEVEL1_PARAMS = "use_preprocessing: false use_dual_simplex: true"
WARM_PARAMS = "use_preprocessing: false"


@dataclass
class LPLevels:
    """What the LP levels found; ``z`` is the last solved level's class-edge quantities."""

    z: np.ndarray
    coverage: float | None = None  # level-1 optimum (upper bound on C)
    balance: float | None = None
    cost: float | None = None
    optimal: list[bool] = field(default_factory=list)  # per level run
    seconds: dict[str, float] = field(default_factory=dict)


class ClassLP:
    """The class LP; call :meth:`coverage`, :meth:`balance`, :meth:`cost` in that order."""

    def __init__(self, classes: list[NeedClass], capacity: np.ndarray, n_groups: int,
                 group_priority: np.ndarray) -> None:
        self.solver = pywraplp.Solver.CreateSolver("GLOP")
        solver = self.solver
        # Measured on the synthetic province: presolve makes each level start cold (levels 2
        # and 3 took 22 s and 12 s with it, a fraction without); dual simplex suits level 1.
        solver.SetSolverSpecificParametersAsString(LEVEL1_PARAMS)
        self.classes = classes
        self.z: list = []
        self.z_class: list[int] = []
        self.value_terms: list[tuple] = []  # (var, coverage coefficient, group)
        cap_terms: dict[int, list] = {}
        for c, cl in enumerate(classes):
            zs = [solver.NumVar(0.0, INF, "") for _ in range(len(cl.offers))]
            self.z.extend(zs)
            self.z_class.extend([c] * len(zs))
            for var, o, u in zip(zs, cl.offers.tolist(), cl.use.tolist(), strict=True):
                cap_terms.setdefault(o, []).append((var, u))
            if len(cl.seg_value) == 1:
                # one value per unit: the class takes at most its total quantity
                row = solver.Constraint(-INF, float(cl.seg_amount[0]))
                for var, f in zip(zs, cl.fit.tolist(), strict=True):
                    row.SetCoefficient(var, 1.0)
                    self.value_terms.append((var, float(cl.seg_value[0]) * f, cl.region))
            else:
                # several values, one fit: the quantity received is spent on segments
                row = solver.Constraint(0.0, 0.0)
                for var in zs:
                    row.SetCoefficient(var, -1.0)
                f = float(cl.fit[0])
                for v, a in zip(cl.seg_value.tolist(), cl.seg_amount.tolist(), strict=True):
                    s = solver.NumVar(0.0, float(a), "")
                    row.SetCoefficient(s, 1.0)
                    self.value_terms.append((s, v * f, cl.region))
        # capacity of each offer
        self.cap_rows: dict[int, object] = {}
        for o, terms in cap_terms.items():
            row = solver.Constraint(-INF, float(capacity[o]))
            for var, u in terms:
                row.SetCoefficient(var, u)
            self.cap_rows[o] = row
        self.n_offers = len(capacity)
        # coverage row (inactive until level 2) and balance rows G_g - P_g t >= 0
        self.t = solver.NumVar(0.0, 0.0, "t")
        self.cov_row = solver.Constraint(-INF, INF)
        self.group_rows = [solver.Constraint(0.0, INF) for _ in range(n_groups)]
        for g, row in enumerate(self.group_rows):
            row.SetCoefficient(self.t, -float(group_priority[g]))
        for var, coef, g in self.value_terms:
            self.cov_row.SetCoefficient(var, coef)
            self.group_rows[g].SetCoefficient(var, coef)
        self.n_groups = n_groups

    def _solve(self, seconds: float) -> bool | None:
        """Solve; True = optimal, False = stopped with no proven optimum, None = no solution."""
        self.solver.SetTimeLimit(max(1, int(seconds * 1000)))
        status = self.solver.Solve()
        if status == pywraplp.Solver.OPTIMAL:
            return True
        if status == pywraplp.Solver.FEASIBLE:
            return False
        return None

    def values(self) -> np.ndarray:
        """Current class-edge quantities, clipped at zero."""
        return np.maximum(np.fromiter((v.solution_value() for v in self.z), dtype=np.float64,
                                      count=len(self.z)), 0.0)

    def coverage(self, seconds: float) -> tuple[bool | None, float]:
        """Level 1: maximise coverage. Returns (status, optimum)."""
        obj = self.solver.Objective()
        obj.Clear()
        for var, coef, _ in self.value_terms:
            obj.SetCoefficient(var, coef)
        obj.SetMaximization()
        status = self._solve(seconds)
        return status, (obj.Value() if status is not None else 0.0)

    def balance(self, min_coverage: float, seconds: float) -> tuple[bool | None, float]:
        """Level 2: maximise the least group share, keeping coverage >= ``min_coverage``."""
        self.solver.SetSolverSpecificParametersAsString(WARM_PARAMS)
        self.cov_row.SetLb(min_coverage)
        self.t.SetBounds(0.0, INF)
        obj = self.solver.Objective()
        obj.Clear()
        obj.SetCoefficient(self.t, 1.0)
        obj.SetMaximization()
        status = self._solve(seconds)
        return status, (self.t.solution_value() if status is not None else 0.0)

    def cost(self, min_coverage: float, min_balance: float,
             seconds: float) -> tuple[bool | None, float]:
        """Level 3: minimise cost, keeping coverage and balance at their floors."""
        self.solver.SetSolverSpecificParametersAsString(WARM_PARAMS)
        self.cov_row.SetLb(min_coverage)
        self.t.SetBounds(min_balance, INF)
        obj = self.solver.Objective()
        obj.Clear()
        for var, c in zip(self.z, self._edge_costs(), strict=True):
            if c:
                obj.SetCoefficient(var, c)
        obj.SetMinimization()
        status = self._solve(seconds)
        return status, (obj.Value() if status is not None else 0.0)

    def set_group_margins(self, margins: np.ndarray | None) -> None:
        """Ask every balance row for ``margins[g]`` coverage above ``P_g t`` (None: zero)."""
        for g, row in enumerate(self.group_rows):
            row.SetLb(0.0 if margins is None else float(margins[g]))

    def multipliers(self) -> tuple[np.ndarray, float, np.ndarray]:
        """Dual values of the last solve: (per offer capacity price, coverage row, per group
        balance row), in GLOP's sign convention. Any multipliers give a valid Lagrangian bound
        on the need-level problem (see benchmarks/lpbound.py); these optimal ones make it equal
        to this LP's optimum when the class aggregation is exact."""
        v = np.zeros(self.n_offers)
        for o, row in self.cap_rows.items():
            v[o] = row.dual_value()
        g = np.fromiter((row.dual_value() for row in self.group_rows), dtype=np.float64,
                        count=self.n_groups)
        return v, self.cov_row.dual_value(), g

    def _edge_costs(self) -> list[float]:
        return np.concatenate([cl.cost for cl in self.classes]).tolist() if self.classes else []
