"""The relaxed path (class LP, rounding, repair) on problems where rounding loses coverage."""

from __future__ import annotations

import random

import numpy as np
import pytest
from ortools.linear_solver import pywraplp

from matching._classes import build_classes
from matching._common import Budget, coverage_of, group_shares, problem_arrays
from matching._lp import ClassLP
from matching._relax import solve_relaxed
from matching._repair import components, repack
from matching._rounding import disaggregate, make_exact, repair
from matching.candidates import candidate_edges
from matching.check import check
from matching.evaluate import make_result
from matching.greedy import baseline
from matching.reader import parse_problem
from tests.matching.problem_docs import need, offer, problem, random_doc

NONE = {"balance_by": "none", "coverage_slack": 0}


def relaxed(p, seconds: float = 5.0):
    """Run the relaxed path alone; returns (checked result, outcome, candidates, arrays)."""
    cands, a = candidate_edges(p), problem_arrays(p)
    out = solve_relaxed(cands, a, p.policy.coverage_slack, p.policy.balance_by == "region",
                        Budget(seconds), None)
    x = make_exact(out.x, cands, a.q, a.capacity, a.divisible)
    allocations = {(int(cands.need[e]), int(cands.offer[e])): float(x[e])
                   for e in np.flatnonzero(x > 0).tolist()}
    result = make_result(p, cands, allocations, "feasible", out.bound, 0.0, out.stats)
    report = check(p, result.to_dict())
    assert report.ok, report.errors
    return result, out, cands, a


def fragments(two_regions: bool = False):
    """Two offers of 10 hours, indivisible needs of 6, 6, 4, 4 hours: all four fit (6 + 4 on
    each), but filling the LP's offer budgets best value first puts both 4s on one offer."""
    r2 = "430103" if two_regions else "430102"
    return problem([need("A", quantity=6), need("B", quantity=6, region=r2),
                    need("C", quantity=4), need("D", quantity=4, region=r2)],
                   [offer("O1", capacity=10), offer("O2", capacity=10)], policy=NONE)


def test_rounding_alone_loses_a_need_here():
    """The premise of the next test: LP optimum 4, rounding plus greedy repair 3."""
    p = fragments()
    cands, a = candidate_edges(p), problem_arrays(p)
    classes = build_classes(cands, a.q, a.p, a.group, a.divisible)
    lp = ClassLP(classes, a.capacity, len(a.group_names), a.group_priority)
    status, c_lp = lp.coverage(5.0)
    assert status is True and c_lp == pytest.approx(4.0)
    x = make_exact(disaggregate(classes, lp.values(), cands, a.q, len(cands)), cands, a.q,
                   a.capacity, a.divisible)
    x = repair(x, cands, a.q, a.p, a.capacity, a.divisible, np.arange(len(a.q)), need_gain=1.0)
    assert coverage_of(x, cands, a) == pytest.approx(3.0)


def test_repacking_recovers_what_rounding_loses():
    result, out, _, _ = relaxed(fragments())
    assert result.objectives["coverage"] == pytest.approx(4.0)
    assert result.bounds["coverage"] == pytest.approx(4.0)
    assert out.stats["repack_gain_capped"] == pytest.approx(1.0)
    assert result.unserved == []


def test_repack_never_lowers_a_region_and_respects_capacity():
    """Start from C and D on O1, A on O2 (B does not fit anywhere): the re-packing serves all
    four, and neither region loses what it had."""
    p = fragments(two_regions=True)
    cands, a = candidate_edges(p), problem_arrays(p)
    x = np.zeros(len(cands))
    for n, o in ((2, 0), (3, 0), (0, 1)):  # (need index, offer index)
        x[np.flatnonzero((cands.need == n) & (cands.offer == o))] = a.q[n]
    before = group_shares(x, cands, a)
    assert len(components(cands, a)) == 1
    target = np.zeros(len(a.q))
    target[0] = 4.0
    stats: dict = {}
    new = repack(x, cands, a, target, Budget(5.0), 1.0, stats)
    assert coverage_of(new, cands, a) == pytest.approx(4.0)
    assert np.all(group_shares(new, cands, a) >= before - 1e-12)
    used = np.bincount(cands.offer, weights=cands.use * new, minlength=len(a.capacity))
    assert np.all(used <= a.capacity)


def test_repack_keeps_a_full_assignment_and_its_cost():
    """Nothing to gain: the current assignment comes back unchanged."""
    p = problem([need("A", quantity=5), need("B", quantity=5)],
                [offer("O1", capacity=10, unit_cost=1), offer("O2", capacity=10, unit_cost=2)],
                policy=NONE)
    cands, a = candidate_edges(p), problem_arrays(p)
    x = np.zeros(len(cands))
    x[(cands.offer == 0)] = 5.0
    stats: dict = {}
    new = repack(x, cands, a, np.array([2.0, 0.0]), Budget(5.0), 0.0, stats)
    assert np.array_equal(new, x)


def need_level_lp(p, level: float | None):
    """The LP relaxation over need-offer edges (y_e = share of the need served through e):
    max coverage, or with ``level`` max balance subject to coverage >= level."""
    cands, a = candidate_edges(p), problem_arrays(p)
    s = pywraplp.Solver.CreateSolver("GLOP")
    y = [s.NumVar(0.0, 1.0, "") for _ in range(len(cands))]
    cover = a.p[cands.need] * cands.fit
    for n in range(len(a.q)):
        row = s.Constraint(-s.infinity(), 1.0)
        for e in range(int(cands.starts[n]), int(cands.starts[n + 1])):
            row.SetCoefficient(y[e], 1.0)
    for o in range(len(a.capacity)):
        row = s.Constraint(-s.infinity(), float(a.capacity[o]))
        for e in np.flatnonzero(cands.offer == o).tolist():
            row.SetCoefficient(y[e], float(cands.use[e] * a.q[cands.need[e]]))
    obj = s.Objective()
    if level is None:
        for e, v in enumerate(y):
            obj.SetCoefficient(v, float(cover[e]))
    else:
        t = s.NumVar(0.0, s.infinity(), "t")
        floor = s.Constraint(level, s.infinity())
        rows = [s.Constraint(0.0, s.infinity()) for _ in a.group_names]
        for g, row in enumerate(rows):
            row.SetCoefficient(t, -float(a.group_priority[g]))
        for e, v in enumerate(y):
            floor.SetCoefficient(v, float(cover[e]))
            rows[a.group[cands.need[e]]].SetCoefficient(v, float(cover[e]))
        obj.SetCoefficient(t, 1.0)
    obj.SetMaximization()
    assert s.Solve() == pywraplp.Solver.OPTIMAL
    return obj.Value()


@pytest.mark.parametrize("seed", range(10))
def test_class_lp_equals_the_need_level_lp(seed):
    """Aggregating interchangeable needs loses nothing: the class LP's coverage and balance
    optima are those of the need-level LP relaxation (so its balance optimum is a valid
    "best balance an LP relaxation allows")."""
    rng = random.Random(500 + seed)
    doc = random_doc(rng, 30, 5, explicit=seed % 2 == 0)
    for n in doc["needs"][::3]:  # repeated needs make real classes with several values
        n.update(quantity=2)
    p = parse_problem(doc)
    cands, a = candidate_edges(p), problem_arrays(p)
    classes = build_classes(cands, a.q, a.p, a.group, a.divisible)
    if not classes:
        return
    lp = ClassLP(classes, a.capacity, len(a.group_names), a.group_priority)
    status, c_lp = lp.coverage(10.0)
    assert status is True
    assert c_lp == pytest.approx(need_level_lp(p, None), rel=1e-7, abs=1e-7)
    level = 0.9 * c_lp
    status, b_lp = lp.balance(level, 10.0)
    assert status is True
    assert b_lp == pytest.approx(need_level_lp(p, level), rel=1e-7, abs=1e-7)


@pytest.mark.parametrize("seed", range(8))
def test_random_mixed_problems_are_valid_and_beat_greedy(seed):
    rng = random.Random(seed)
    doc = random_doc(rng, 60, 8, explicit=seed % 2 == 0)
    doc["policy"].update(coverage_slack=0.05, balance_by="region")
    p = parse_problem(doc)
    result, out, _, _ = relaxed(p, seconds=3.0)
    assert result.objectives["coverage"] >= baseline(p).objectives["coverage"] - 1e-9
    assert result.bounds["coverage"] >= result.objectives["coverage"] - 1e-9


def test_the_margin_lifts_coverage_to_its_floor():
    """3-hour needs on 10-hour volunteer offers waste a third of a need per offer in rounding
    (LP 40/3 hours of value, 12 needs whole); paid funds can make up for it. The cost LP alone
    would stop exactly at the floor and rounding would end under it; the later levels keep a
    margin for the measured loss, and the result ends at or above the floor."""
    needs = [need(f"N{i}", quantity=3, region=f"4301{i % 2:02d}") for i in range(20)]
    needs += [need(f"F{i}", kind="funds", quantity=100, region=f"4301{i % 2:02d}")
              for i in range(10)]
    offers = [offer(f"S{j}", capacity=10) for j in range(4)]
    offers.append(offer("F", kind="funds", capacity=500, unit_cost=1))
    p = problem(needs, offers, policy={"coverage_slack": 0.1})
    result, out, _, _ = relaxed(p)
    assert out.stats["lp_coverage"] == pytest.approx(40 / 3 + 5)
    assert out.stats["rounding_loss"] > 0
    assert out.stats["coverage_margin"] > 0
    assert result.objectives["coverage"] >= 0.9 * out.stats["lp_coverage"] - 1e-9
    assert result.bounds["coverage"] == pytest.approx(40 / 3 + 5)


def test_region_margins_ask_each_balance_row_for_more():
    """Two regions share 10 units of funds for needs of 10: balance 0.5 each; asking region 1
    for 0.2 more coverage than P_1 t lowers the best t to 0.4 (0.6 + 0.4 = all capacity)."""
    p = problem([need("A", kind="funds", quantity=10, region="430102"),
                 need("B", kind="funds", quantity=10, region="430103")],
                [offer("O", kind="funds", capacity=10)], policy={"coverage_slack": 0})
    cands, a = candidate_edges(p), problem_arrays(p)
    classes = build_classes(cands, a.q, a.p, a.group, a.divisible)
    lp = ClassLP(classes, a.capacity, len(a.group_names), a.group_priority)
    lp.coverage(5.0)
    assert lp.balance(0.0, 5.0) == (True, pytest.approx(0.5))
    margins = np.zeros(len(a.group_names))
    margins[a.group_names.index("430102")] = 0.2
    lp.set_group_margins(margins)
    assert lp.balance(0.0, 5.0) == (True, pytest.approx(0.4))
    lp.set_group_margins(None)
    assert lp.balance(0.0, 5.0) == (True, pytest.approx(0.5))
