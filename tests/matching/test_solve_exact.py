"""The all-indivisible (exact) path: GAP optima, never below greedy, complete assignments found.

GAP shape as in benchmarks/gap.py: needs of quantity 1, one region, explicit edges with use and
cost, coverage_slack 0 and no balance, so the engine maximises the needs served, then minimises
cost.
"""

from __future__ import annotations

import itertools
import random

import numpy as np
import pytest
from ortools.sat.python import cp_model

from matching._common import Budget, problem_arrays
from matching._costlevel import _lp_guidance, _round_lp, cost_level
from matching._exact import ExactModel, _best_edges, best_hint, ceiling, int_data
from matching._gapheur import coverage_start, desirabilities, eject_repair, regret_assign
from matching._lns import _rooms, improve_cost
from matching._mip import LevelMIP
from matching._scipbg import BackgroundScip, cost_mip, solve_cost_mip
from matching.candidates import candidate_edges
from matching.check import check
from matching.greedy import baseline
from matching.reader import parse_problem
from matching.solve import solve
from tests.matching.problem_docs import doc, edge, need, offer, random_doc

GAP_POLICY = {"coverage_slack": 0, "balance_by": "none"}


def gap_doc(use: list[list[int]], cost: list[list[int]], cap: list[int]) -> dict:
    """A GAP instance (use[i][j], cost[i][j] of agent i for job j) as a problem document."""
    m, n = len(cap), len(use[0])
    needs = [need(f"J{j}", kind="services", category="gap", quantity=1, divisible=False)
             for j in range(n)]
    offers = [offer(f"A{i}", kind="services", category="gap", capacity=cap[i]) for i in range(m)]
    edges = [edge(f"J{j}", f"A{i}", use=use[i][j], cost=cost[i][j])
             for j in range(n) for i in range(m)]
    return doc(needs, offers, edges, dict(GAP_POLICY))


def random_gap(rng: random.Random, m: int, n: int, tightness: float) -> tuple[dict, tuple]:
    use = [[rng.randint(5, 25) for _ in range(n)] for _ in range(m)]
    cost = [[rng.randint(10, 50) for _ in range(n)] for _ in range(m)]
    cap = [int(tightness * sum(use[i]) / m) for i in range(m)]
    return gap_doc(use, cost, cap), (use, cost, cap)


def brute_force(use, cost, cap) -> tuple[int, int]:
    """(most jobs assigned, least cost among those) over every assignment (job -> agent or
    none)."""
    m, n = len(cap), len(use[0])
    best = (-1, 0)
    for choice in itertools.product(range(-1, m), repeat=n):
        load = [0] * m
        total = served = 0
        for j, i in enumerate(choice):
            if i >= 0:
                load[i] += use[i][j]
                total += cost[i][j]
                served += 1
        if all(ld <= c for ld, c in zip(load, cap, strict=True)):
            best = max(best, (served, -total))
    return best[0], -best[1]


def served_and_cost(result, use, cost) -> tuple[int, int]:
    total = 0
    for a in result.allocations:
        i, j = int(a.offer[1:]), int(a.need[1:])
        total += cost[i][j]
    return len(result.allocations), total


@pytest.mark.parametrize("seed", range(6))
def test_tiny_gap_reaches_the_brute_force_optimum(seed):
    rng = random.Random(seed)
    d, (use, cost, cap) = random_gap(rng, 3, 6, rng.choice([0.6, 0.8, 1.0]))
    p = parse_problem(d)
    r = solve(p, time_limit_s=10, workers=1)
    assert check(p, r.to_dict()).ok
    assert served_and_cost(r, use, cost) == brute_force(use, cost, cap)
    assert r.status == "optimal"


def test_bound_never_above_every_need_served():
    rng = random.Random(3)
    d, _ = random_gap(rng, 4, 30, 0.8)
    r = solve(parse_problem(d), time_limit_s=5, workers=1)
    assert r.bounds["coverage"] <= 30 + 1e-9
    assert r.bounds["coverage"] >= r.objectives["coverage"] - 1e-9


def all_indivisible_doc(rng: random.Random, n_needs: int, n_offers: int) -> dict:
    d = random_doc(rng, n_needs, n_offers, explicit=rng.random() < 0.5)
    for nd in d["needs"]:
        nd["divisible"] = False
    return d


@pytest.mark.parametrize("seed", range(15))
def test_never_below_greedy_on_random_all_indivisible_problems(seed):
    """The exact path keeps the greedy's coverage as a floor, whatever the slack."""
    rng = random.Random(500 + seed)
    d = all_indivisible_doc(rng, rng.randint(3, 14), rng.randint(1, 5))
    p = parse_problem(d)
    r = solve(p, time_limit_s=2, workers=1)
    assert check(p, r.to_dict()).ok
    assert r.objectives["coverage"] >= baseline(p).objectives["coverage"] - 1e-9


def planted_gap(rng: random.Random, m: int, n: int, room: float) -> dict:
    """A GAP with a complete assignment by construction: each job has a planted agent, whose
    capacity is the planted load times ``room``; the planted agent is the lightest for its job but
    other agents cost less, to mislead."""
    use = [[rng.randint(12, 40) for _ in range(n)] for _ in range(m)]
    cost = [[rng.randint(1, 30) for _ in range(n)] for _ in range(m)]
    planted = [rng.randrange(m) for _ in range(n)]
    cap = [0] * m
    for j, i in enumerate(planted):
        use[i][j] = rng.randint(5, 20)
        cap[i] += use[i][j]
        cost[i][j] += 20
    cap = [max(1, int(c * room)) for c in cap]
    return gap_doc(use, cost, cap)


def test_large_gap_with_a_complete_assignment_serves_every_need():
    rng = random.Random(11)
    d = planted_gap(rng, 15, 600, 1.05)
    p = parse_problem(d)
    greedy = baseline(p)
    r = solve(p, time_limit_s=4)
    assert check(p, r.to_dict()).ok
    assert not r.unserved  # all 600 served
    assert len(greedy.unserved) > 0  # the first-come greedy does not manage it


def gap_data(seed: int, m: int, n: int, room: float):
    p = parse_problem(planted_gap(random.Random(seed), m, n, room))
    cands = candidate_edges(p)
    return int_data(cands, problem_arrays(p)), n


def assert_feasible(d, y):
    assert np.bincount(d.need, weights=y).max() <= 1
    assert np.all(np.bincount(d.offer, weights=d.load * y, minlength=len(d.cap)) <= d.cap)


@pytest.mark.parametrize("seed", range(3))
def test_regret_heuristic_and_repair_stay_feasible(seed):
    d, n = gap_data(seed, 8, 200, 1.02)
    allowed = np.ones(len(d.need), dtype=bool)
    for f in desirabilities(d):
        y = regret_assign(d, n, f, allowed)
        assert_feasible(d, y)
        y2 = eject_repair(d, n, y, allowed)
        assert_feasible(d, y2)
        assert y2.sum() >= y.sum()
    y = coverage_start(d, n, allowed)
    assert_feasible(d, y)
    assert y.sum() == n


def test_ejection_places_a_need_by_moving_another():
    """A (load 6) fills O1 (cap 6); B needs O1 (load 5 there, 9 elsewhere): moving A to O2
    makes room."""
    d = parse_problem(gap_doc([[6, 5], [6, 9]], [[1, 1], [5, 1]], [6, 6]))
    data = int_data(candidate_edges(d), problem_arrays(d))
    y = np.zeros(len(data.need), dtype=np.int64)
    y[0] = 1  # J0 on A0 (edges sorted by need, then agent)
    y2 = eject_repair(data, 2, y, np.ones(len(data.need), dtype=bool))
    assert_feasible(data, y2)
    assert y2.tolist() == [0, 1, 1, 0]


def exact_parts(d: dict):
    """(problem, candidates, arrays, integer data) of a problem document."""
    p = parse_problem(d)
    cands = candidate_edges(p)
    a = problem_arrays(p)
    return p, cands, a, int_data(cands, a)


def all_served_gap(seed: int, jobs: int):
    """(optimal cost, candidates, arrays, integer data) of a random 3-agent GAP whose optimum
    serves all ``jobs`` (the all-served cost level); skips the test otherwise."""
    doc_, (use, cost, cap) = random_gap(random.Random(seed), 3, jobs, 1.0)
    served, best_cost = brute_force(use, cost, cap)
    if served < jobs:
        pytest.skip("the all-served cost level needs every job assigned")
    _, cands, a, d = exact_parts(doc_)
    return best_cost, cands, a, d


@pytest.mark.parametrize("seed", range(3))
def test_background_scip_proves_the_brute_force_optimum(seed):
    best_cost, cands, a, d = all_served_gap(40 + seed, 6)
    calls = []
    bg = BackgroundScip(cost_mip(cands, a, d, ceiling(d, 6), None, _best_edges(d, 6)), 10.0,
                        lambda: calls.append(1))
    bg.finished.wait(10.0)
    y, proven = bg.stop()
    assert proven and calls == [1]
    assert_feasible(d, y)
    assert int(y.sum()) == 6 and int(np.dot(d.cost, y)) == best_cost


def test_stopped_exact_model_refuses_to_solve():
    _, _, a, d = exact_parts(gap_doc([[1, 1]], [[1, 2]], [2]))
    em = ExactModel(d, len(a.q), len(a.capacity))
    em.model.minimize(em.cost)
    status, y, _ = em.run(1.0, 1, None)
    assert y is not None
    em.stop()
    status, y, _ = em.run(1.0, 1, None)
    assert y is None and status == cp_model.UNKNOWN


@pytest.mark.parametrize("seed", range(3))
def test_portfolio_takes_scip_proof_when_cp_sat_is_stopped(seed):
    """CP-SAT refuses to run (stopped before the level): the level's answer is SCIP's proven
    optimum, from the start's cost."""
    best_cost, cands, a, d = all_served_gap(60 + seed, 7)
    em = ExactModel(d, len(a.q), len(a.capacity))
    y0, _ = best_hint(d, 7)
    assert int(y0.sum()) == 7
    em.stop()
    stats: dict = {}
    y, done = cost_level(em, cands, a, y0, ceiling(d, 7), None, Budget(10.0), 2, None, stats)
    assert done and stats["scip"] == "proven"
    assert int(np.dot(d.cost, y)) == best_cost


def test_all_served_mip_serves_a_need_with_a_single_edge():
    """J0 has one edge (to A0, cost 5); serving it is forced although leaving it out is
    cheaper."""
    needs = [need(f"J{j}", kind="services", category="gap", quantity=1, divisible=False)
             for j in range(2)]
    offers = [offer(f"A{i}", kind="services", category="gap", capacity=5) for i in range(2)]
    edges = [edge("J0", "A0", use=1, cost=5), edge("J1", "A0", use=1, cost=1),
             edge("J1", "A1", use=1, cost=2)]
    _, cands, a, d = exact_parts(doc(needs, offers, edges, dict(GAP_POLICY)))
    mip = cost_mip(cands, a, d, ceiling(d, 2), None, _best_edges(d, 2))
    y, proven = solve_cost_mip(mip, None, 5.0)
    assert proven and y.tolist() == [1, 1, 0]


def test_lns_rooms_split_free_capacity_between_two_sub_problems():
    """Two sub-problems reaching the same offer: each keeps what its needs use there now, the
    free capacity is split, and whatever both do, the offer stays within capacity."""
    # 4 jobs, 2 agents, every use 2; capacity 9 on A0 (J0, J1 there: 4 used, 5 free), 9 on A1
    _, _, _, d = exact_parts(gap_doc([[2] * 4, [2] * 4], [[1] * 4, [1] * 4], [9, 9]))
    y = np.zeros(len(d.need), dtype=np.int64)
    y[[0, 2, 5, 7]] = 1  # J0, J1 on A0; J2, J3 on A1 (edges by need, then agent)
    sub_a, sub_b = np.array([0, 1, 2, 3]), np.array([4, 5])  # J0 and J1 | J2; J3 stays
    room_a, room_b = _rooms(d, y, [sub_a, sub_b])
    # A0: 5 free, split 3 (the remainder goes first) / 2, plus what each uses there now
    assert room_a.tolist() == [4 + 3, 0 + 3] and room_b.tolist() == [0 + 2, 2 + 2]
    assert (room_a + room_b).tolist() == [9, 9 - 2]  # J3's load on A1 stays fixed
    room_only, = _rooms(d, y, [sub_b])
    assert room_only.tolist() == [0 + 5, 2 + 5]


@pytest.mark.parametrize("seed", range(4))
def test_two_lane_lns_keeps_every_need_served_within_capacity(seed):
    d_, n = gap_data(seed, 6, 120, 1.1)
    em = ExactModel(d_, n, len(d_.cap))
    y0, _ = best_hint(d_, n)
    y, stats = improve_cost(em, y0, Budget(1.5), 2, None, reserve=0.0, lanes=2)
    assert stats["lanes"] == 2 and stats["steps"] >= 2
    assert_feasible(d_, y)
    assert int(y.sum()) == int(y0.sum())
    assert int(np.dot(d_.cost, y)) <= int(np.dot(d_.cost, y0))


@pytest.mark.parametrize("seed", range(3))
def test_lp_start_is_feasible_and_no_worse_than_the_greedy_rounding(seed):
    d_, n = gap_data(20 + seed, 8, 160, 1.3)
    p = parse_problem(planted_gap(random.Random(20 + seed), 8, 160, 1.3))
    cands, a = candidate_edges(p), problem_arrays(p)
    keep, start, rc = _lp_guidance(cands, a, d_, ceiling(d_, n), None, 10.0)
    assert start is not None and rc is not None
    assert_feasible(d_, start)
    assert int(start.sum()) == n
    lp = LevelMIP(cands, a, relax=True)
    lp.add_all_served(_best_edges(d_, n))
    _, y_lp = lp.cost_level(10.0, None)
    greedy = _round_lp(d_, y_lp, n)
    if int(greedy.sum()) == n:  # the greedy rounding is one of the candidates when complete
        assert int(np.dot(d_.cost, start)) <= int(np.dot(d_.cost, greedy))
    assert int(np.dot(d_.cost, start)) >= float(np.dot(d_.cost, y_lp)) - 1e-6
