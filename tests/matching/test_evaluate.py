"""Objectives, groups and unserved reasons against hand-computed values."""

from __future__ import annotations

import json

import pytest

from matching.candidates import candidate_edges
from matching.evaluate import Allocation, evaluate, make_result
from tests.matching.problem_docs import edge, need, offer, problem


@pytest.fixture
def hand():
    """Explicit edges with fit, use and (negative) cost; five needs in three regions."""
    return problem(
        [need("N1", quantity=2, priority=2),
         need("N2", kind="funds", quantity=100),
         need("N3", kind="funds", quantity=50, priority=3, region="430103"),
         need("N4", kind="goods", quantity=10, region="430104"),
         need("N5", kind="funds", quantity=10, region="430103")],
        [offer("O1", capacity=4), offer("O2", kind="funds", capacity=100)],
        [edge("N1", "O1", fit=0.5, cost=10), edge("N2", "O2", cost=-1),
         edge("N3", "O2", fit=0.8, cost=2), edge("N5", "O2")])


ALLOCS = [Allocation("N1", "O1", 2), Allocation("N2", "O2", 40), Allocation("N3", "O2", 50)]


def test_objectives_groups_and_reasons_by_hand(hand):
    objectives, groups, unserved = evaluate(hand, candidate_edges(hand), ALLOCS)
    # coverage: 2 * 0.5 * 2/2 + 1 * 40/100 + 3 * 0.8 * 50/50 = 1 + 0.4 + 2.4
    assert objectives["coverage"] == pytest.approx(3.8)
    # cost: 2 * 10 + 40 * (-1) + 50 * 2
    assert objectives["cost"] == pytest.approx(80)
    assert groups == {
        "430102": {"needs": 2, "priority": 3.0, "coverage": pytest.approx(1.4 / 3)},
        "430103": {"needs": 2, "priority": 4.0, "coverage": pytest.approx(2.4 / 4)},
        "430104": {"needs": 1, "priority": 1.0, "coverage": 0.0},
    }
    assert objectives["balance"] == 0.0  # region 430104 is not served at all
    assert unserved == [{"need": "N2", "reason": "partial"},
                        {"need": "N4", "reason": "no_candidate"},
                        {"need": "N5", "reason": "capacity"}]


def test_index_mapping_gives_the_same_evaluation(hand):
    by_index = {(0, 0): 2.0, (1, 1): 40.0, (2, 1): 50.0}
    cands = candidate_edges(hand)
    assert evaluate(hand, cands, by_index) == evaluate(hand, cands, ALLOCS)


def test_balance_is_min_group_share_and_reported_when_balance_by_none():
    p = problem([need("A", quantity=1), need("B", quantity=2, region="430103", priority=2)],
                [offer("O1", capacity=2)], policy={"balance_by": "none"})
    objectives, groups, _ = evaluate(p, candidate_edges(p), [Allocation("A", "O1", 1),
                                                              Allocation("B", "O1", 1)])
    # A is indivisible (services) and whole; B gets 1 of 2 hours: share 0.5
    assert groups["430103"]["coverage"] == pytest.approx(0.5)
    assert objectives["balance"] == pytest.approx(0.5)
    assert objectives["coverage"] == pytest.approx(1 + 2 * 0.5)


def test_empty_problem():
    p = problem([], [])
    assert evaluate(p, candidate_edges(p), []) == (
        {"coverage": 0.0, "balance": 0.0, "cost": 0.0}, {}, [])


def test_non_candidate_allocation_is_refused(hand):
    with pytest.raises(ValueError, match="not a candidate edge"):
        evaluate(hand, candidate_edges(hand), [Allocation("N4", "O1", 1)])


def test_make_result_drops_zeros_orders_and_serialises(hand):
    cands = candidate_edges(hand)
    allocs = {(2, 1): 50.0, (0, 0): 2.0, (4, 1): 0.0, (1, 1): 40.0}
    r = make_result(hand, cands, allocs, "feasible", 4.5, 0.25, {"engine": "x"})
    assert r.allocations == ALLOCS
    d = json.loads(json.dumps(r.to_dict()))
    assert d["format"] == "matching-result/1" and d["status"] == "feasible"
    assert d["allocations"][0] == {"need": "N1", "offer": "O1", "quantity": 2.0}
    assert d["bounds"] == {"coverage": 4.5}
    assert d["stats"] == {"seconds": 0.25, "engine": "x"}
    assert d["objectives"]["coverage"] == pytest.approx(3.8)
    assert [u["need"] for u in d["unserved"]] == ["N2", "N4", "N5"]


def test_optimal_without_bound_reports_coverage_as_bound(hand):
    r = make_result(hand, candidate_edges(hand), ALLOCS, "optimal", None, 0.0, None)
    assert r.bounds["coverage"] == pytest.approx(3.8)
    r = make_result(hand, candidate_edges(hand), ALLOCS, "feasible", None, 0.0, None)
    assert r.bounds["coverage"] is None


def test_nearly_full_service_is_not_unserved():
    p = problem([need("A", kind="funds", quantity=1000)], [offer("O1", kind="funds",
                                                                  capacity=1000)])
    cands = candidate_edges(p)
    assert evaluate(p, cands, [Allocation("A", "O1", 1000 * (1 - 1e-9))])[2] == []
    assert evaluate(p, cands, [Allocation("A", "O1", 999)])[2] == [
        {"need": "A", "reason": "partial"}]


def test_make_result_drops_solver_noise():
    p = problem([need("A", quantity=2)], [offer("O1"), offer("O2")])
    r = make_result(p, candidate_edges(p), {(0, 0): 2.0, (0, 1): 1e-16}, "feasible", None, 0,
                    None)
    assert r.allocations == [Allocation("A", "O1", 2.0)] and r.unserved == []
