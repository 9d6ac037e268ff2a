"""The optimiser on tiny problems whose optimum is known at every level."""

import itertools
import random

import pytest

from matching.check import check
from matching.greedy import baseline
from matching.solve import solve
from tests.matching.problem_docs import edge, need, offer, problem


def quantities(result):
    return {(a.need, a.offer): a.quantity for a in result.allocations}


def solved(p, **kw):
    result = solve(p, time_limit_s=kw.pop("time_limit_s", 10), **kw)
    report = check(p, result.to_dict())
    assert report.ok, report.errors
    return result


NONE = {"balance_by": "none", "coverage_slack": 0}


def test_indivisible_needs_go_whole_and_cost_breaks_the_tie():
    """Capacity 10 fits two of the needs 6, 5, 4: {6, 4} and {5, 4} cover alike, {5, 4} is
    cheaper (unit cost 1 per hour)."""
    p = problem([need("A", quantity=6), need("B", quantity=5), need("C", quantity=4)],
                [offer("O", capacity=10, unit_cost=1)], policy=NONE)
    r = solved(p)
    assert r.status == "optimal"
    assert quantities(r) == {("B", "O"): 5.0, ("C", "O"): 4.0}
    assert r.objectives == {"coverage": 2.0, "balance": 1 / 3 * 2, "cost": 9.0}
    assert r.bounds["coverage"] == pytest.approx(2.0)


def test_divisible_needs_fill_the_best_value_per_unit_first():
    """Value per unit is priority / quantity: B (2/5) before A (1/10)."""
    p = problem([need("A", kind="funds", quantity=10), need("B", kind="funds", quantity=5,
                                                            priority=2)],
                [offer("O", kind="funds", capacity=10)], policy=NONE)
    r = solved(p)
    assert r.status == "optimal"
    assert quantities(r) == pytest.approx({("A", "O"): 5.0, ("B", "O"): 5.0})
    assert r.objectives["coverage"] == pytest.approx(2.5)


def test_balance_splits_capacity_between_regions():
    p = problem([need("A", kind="funds", quantity=10, region="430102"),
                 need("B", kind="funds", quantity=10, region="430103")],
                [offer("O", kind="funds", capacity=10)], policy={"coverage_slack": 0})
    r = solved(p)
    assert r.objectives["balance"] == pytest.approx(0.5)
    assert r.objectives["coverage"] == pytest.approx(1.0)


def two_region_fit_problem(slack, balance_by="region"):
    """A (fit 1) and B (fit 0.5) share 10 units: coverage is best when A takes all."""
    return problem([need("A", kind="funds", quantity=10, region="430102"),
                    need("B", kind="funds", quantity=10, region="430103")],
                   [offer("O", kind="funds", capacity=10)],
                   [edge("A", "O", fit=1), edge("B", "O", fit=0.5, cost=1)],
                   {"coverage_slack": slack, "balance_by": balance_by})


def test_balance_spends_exactly_the_coverage_slack():
    """C = 1 - xB/20 >= 0.8 caps xB at 4; balance min(1 - xB/10, xB/20) is then 0.2."""
    r = solved(two_region_fit_problem(0.2))
    assert r.objectives["coverage"] == pytest.approx(0.8)
    assert r.objectives["balance"] == pytest.approx(0.2)
    assert quantities(r) == pytest.approx({("A", "O"): 6.0, ("B", "O"): 4.0})


def test_without_slack_coverage_wins_over_balance():
    r = solved(two_region_fit_problem(0.0))
    assert r.objectives["coverage"] == pytest.approx(1.0)
    assert r.objectives["balance"] == pytest.approx(0.0, abs=1e-8)  # solver tolerance


def test_balance_by_none_does_not_optimise_balance():
    """Slack 0.2 is free to spend, but with no balance level the cost level keeps B at 0 (the
    edge to B costs 1 per unit)."""
    r = solved(two_region_fit_problem(0.2, "none"))
    assert r.objectives["balance"] == pytest.approx(0.0)
    assert r.objectives["cost"] == pytest.approx(0.0)
    assert r.objectives["coverage"] >= 0.8 - 1e-9


def test_edge_use_scales_capacity_consumption():
    p = problem([need("A", kind="goods", category="food", quantity=10)],
                [offer("O", kind="goods", category="food", capacity=10)],
                [edge("A", "O", use=2)], NONE)
    r = solved(p)
    assert quantities(r) == pytest.approx({("A", "O"): 5.0})
    assert r.objectives["coverage"] == pytest.approx(0.5)


def test_cost_level_picks_the_cheaper_offer_for_divisible_needs():
    p = problem([need("A", kind="funds", quantity=10)],
                [offer("O1", kind="funds", capacity=10, unit_cost=3),
                 offer("O2", kind="funds", capacity=10, unit_cost=1)], policy=NONE)
    r = solved(p)
    assert quantities(r) == pytest.approx({("A", "O2"): 10.0})
    assert r.status == "optimal"


def test_indivisible_balance_between_regions_with_cp_sat():
    """Two indivisible needs per region, room for two: one per region balances (B = 1/2)."""
    needs = [need(f"{r}{k}", quantity=5, region=r) for r in ("430102", "430103") for k in (1, 2)]
    p = problem(needs, [offer("O", capacity=10)], policy={"coverage_slack": 0})
    r = solved(p)
    assert r.status == "optimal"
    assert r.objectives["balance"] == pytest.approx(0.5)
    assert r.objectives["coverage"] == pytest.approx(2.0)


def test_mixed_problem_uses_the_mip_and_keeps_needs_whole():
    p = problem([need("S", quantity=4, priority=3), need("F", kind="funds", quantity=100)],
                [offer("O", capacity=3), offer("P", kind="funds", capacity=50)], policy=NONE)
    r = solved(p)
    assert r.stats["method"] == "mip"
    assert quantities(r) == pytest.approx({("F", "P"): 50.0})
    assert r.unserved == [{"need": "S", "reason": "capacity"}, {"need": "F", "reason": "partial"}]


def gap_problem(cost, use, cap):
    jobs = len(cost[0])
    needs = [need(f"J{j}", quantity=1, divisible=False) for j in range(jobs)]
    offers = [offer(f"A{i}", capacity=c) for i, c in enumerate(cap)]
    edges = [edge(f"J{j}", f"A{i}", use=use[i][j], cost=cost[i][j])
             for j in range(jobs) for i in range(len(cap))]
    return problem(needs, offers, edges, NONE)


def test_small_gap_matches_brute_force():
    rng = random.Random(5)
    agents, jobs = 3, 7
    cost = [[rng.randint(1, 20) for _ in range(jobs)] for _ in range(agents)]
    use = [[rng.randint(1, 9) for _ in range(jobs)] for _ in range(agents)]
    cap = [14, 12, 13]
    best = None
    for assign in itertools.product(range(agents), repeat=jobs):
        load = [0] * agents
        for j, i in enumerate(assign):
            load[i] += use[i][j]
        if all(ld <= c for ld, c in zip(load, cap, strict=True)):
            total = sum(cost[i][j] for j, i in enumerate(assign))
            best = total if best is None else min(best, total)
    assert best is not None
    r = solved(gap_problem(cost, use, cap))
    assert r.status == "optimal"
    assert r.objectives["coverage"] == jobs
    assert r.objectives["cost"] == best


def random_mixed(rng, n_needs, n_offers):
    regions = ["430102", "430103", "430211", "431102"]
    needs = [need(f"N{i}", kind=rng.choice(["funds", "services"]), category="care",
                  quantity=rng.randint(1, 9), priority=rng.choice([1, 2, 3]),
                  region=rng.choice(regions)) for i in range(n_needs)]
    offers = [offer(f"O{j}", kind=rng.choice(["funds", "services"]), category="care",
                    capacity=rng.randint(5, 30), regions=[rng.choice(["43", "4301", "4311"])],
                    unit_cost=rng.choice([0, 1, 2])) for j in range(n_offers)]
    return problem(needs, offers, policy={"coverage_slack": 0.01})


def test_time_limit_is_respected_and_the_result_valid():
    p = random_mixed(random.Random(3), 400, 40)
    r = solve(p, time_limit_s=0.3)
    assert check(p, r.to_dict()).ok
    assert r.stats["seconds"] < 3.0  # generous: model building is not interruptible


@pytest.mark.parametrize("seed", range(3))
def test_random_mixed_problems_are_valid_and_beat_greedy(seed):
    p = random_mixed(random.Random(seed), 60, 8)
    r = solved(p)
    g = baseline(p)
    assert r.objectives["coverage"] >= 0.99 * g.objectives["coverage"] - 1e-9
    assert r.bounds["coverage"] >= r.objectives["coverage"] - 1e-9


def test_progress_reports_stages_in_order():
    seen = []
    p = random_mixed(random.Random(1), 30, 5)
    solved(p, progress=lambda stage, fraction: seen.append((stage, fraction)))
    assert seen[0][0] == "candidates" and seen[-1] == ("done", 1.0)
    fractions = [f for _, f in seen]
    assert fractions == sorted(fractions) and all(0 <= f <= 1 for f in fractions)


def test_no_candidates_returns_an_empty_optimal_result():
    p = problem([need("A")], [offer("O", kind="funds")], policy=NONE)
    r = solved(p)
    assert r.allocations == [] and r.status == "optimal"
    assert r.unserved == [{"need": "A", "reason": "no_candidate"}]


def test_awkward_floats_on_the_cp_sat_path_stay_within_capacity():
    """Uses and capacities with no exact decimal scale are rounded safely (uses up, capacities
    down): the result never exceeds a capacity."""
    rng = random.Random(11)
    needs = [need(f"N{i}", quantity=rng.choice([1, 2, 3]) / 3, priority=rng.random() + 0.1)
             for i in range(12)]
    offers = [offer(f"O{j}", capacity=1 / 3 + rng.random() * 2) for j in range(3)]
    edges = [edge(n["id"], o["id"], use=rng.random() + 0.01, cost=rng.random())
             for n in needs for o in offers]
    p = problem(needs, offers, edges, {"coverage_slack": 0.05})
    r = solved(p, time_limit_s=1)
    assert r.stats["method"] == "cp-sat" and r.status == "feasible"  # rounded: no proof claimed
    assert r.objectives["coverage"] > 0
