"""Greedy first-come-first-served baseline."""

from __future__ import annotations

import random

import pytest

from matching.check import check
from matching.greedy import baseline
from matching.reader import parse_problem
from tests.matching.problem_docs import edge, need, offer, problem, random_doc


def given(p) -> dict[tuple[str, str], float]:
    return {(a.need, a.offer): a.quantity for a in baseline(p).allocations}


def test_higher_priority_first():
    p = problem([need("A"), need("B", priority=2)], [offer("O1", capacity=1)])
    assert given(p) == {("B", "O1"): 1}


def test_input_order_among_equal_priorities():
    p = problem([need("A", priority=2), need("B", priority=2), need("C", priority=2)],
                [offer("O1", capacity=2)])
    assert given(p) == {("A", "O1"): 1, ("B", "O1"): 1}
    assert baseline(p).unserved == [{"need": "C", "reason": "capacity"}]


def test_indivisible_goes_whole_to_first_offer_with_room():
    p = problem([need("A", quantity=3), need("B", quantity=2)],
                [offer("O1", capacity=2), offer("O2", capacity=5)])
    assert given(p) == {("A", "O2"): 3, ("B", "O1"): 2}


def test_indivisible_too_large_for_every_offer_is_not_split():
    p = problem([need("A", quantity=6)], [offer("O1", capacity=5), offer("O2", capacity=5)])
    r = baseline(p)
    assert r.allocations == [] and r.unserved == [{"need": "A", "reason": "capacity"}]


def test_indivisible_flag_on_funds():
    p = problem([need("A", kind="funds", quantity=300, divisible=False)],
                [offer("O1", kind="funds", capacity=200), offer("O2", kind="funds", capacity=300)])
    assert given(p) == {("A", "O2"): 300}


def test_divisible_fills_from_offers_in_input_order():
    p = problem([need("A", kind="funds", quantity=300), need("B", kind="funds", quantity=500)],
                [offer("O1", kind="funds", capacity=100), offer("O2", kind="funds", capacity=500)])
    assert given(p) == {("A", "O1"): 100, ("A", "O2"): 200, ("B", "O2"): 300}
    assert baseline(p).unserved == [{"need": "B", "reason": "partial"}]


def test_divisible_services_when_flagged():
    p = problem([need("A", quantity=5, divisible=True)], [offer("O1", capacity=2),
                                                           offer("O2", capacity=2)])
    assert given(p) == {("A", "O1"): 2, ("A", "O2"): 2}


def test_explicit_edges_are_walked_in_edge_order_with_use():
    p = problem([need("A", kind="goods", quantity=3)],
                [offer("O1", kind="goods", capacity=10), offer("O2", kind="goods", capacity=4)],
                [edge("A", "O2", use=2), edge("A", "O1")])
    # O2 first: 4 capacity at use 2 = 2 units, the last unit from O1
    assert given(p) == {("A", "O2"): 2, ("A", "O1"): 1}


def test_indivisible_capacity_use_is_use_times_quantity():
    p = problem([need("A", quantity=3)], [offer("O1", capacity=5), offer("O2", capacity=6)],
                [edge("A", "O1", use=2), edge("A", "O2", use=2)])
    assert given(p) == {("A", "O2"): 3}


def test_result_shape_and_trivial_bound():
    p = problem([need("A", priority=2), need("B", region="430103"), need("C", kind="goods")],
                [offer("O1", capacity=1)], [edge("A", "O1", fit=0.5), edge("B", "O1")])
    r = baseline(p)
    assert r.status == "feasible"
    # bound: every need whole through its best edge: 2 * 0.5 + 1 * 1 + 0 (no candidate)
    assert r.bounds == {"coverage": pytest.approx(2.0)}
    assert r.objectives["coverage"] == pytest.approx(1.0)  # A takes O1 (priority 2, fit 0.5)
    assert r.stats["engine"] == "greedy" and r.stats["candidates"] == 2
    assert r.stats["seconds"] >= 0


@pytest.mark.parametrize("seed", range(40))
def test_baseline_results_pass_check(seed):
    rng = random.Random(seed)
    p = parse_problem(random_doc(rng, rng.randint(1, 12), rng.randint(1, 5), seed % 2 == 0))
    report = check(p, baseline(p).to_dict())
    assert report.ok, report.errors
