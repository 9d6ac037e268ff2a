"""Properties of the optimiser on random small problems: valid results, never worse than greedy.

Every engine result must pass ``check`` (constraints, objectives, groups, unserved reasons), and
its coverage (the first objective) must reach the greedy baseline's, less the policy's
coverage_slack (which the engine may spend on balance and cost); with no slack, at least greedy's.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching.check import check
from matching.greedy import baseline
from matching.reader import parse_problem
from matching.solve import solve
from tests.matching.problem_docs import random_doc

TIME_LIMIT = 2.0


def assert_engine_properties(doc: dict) -> None:
    p = parse_problem(doc)
    result = solve(p, time_limit_s=TIME_LIMIT, workers=1)
    report = check(p, result.to_dict())
    assert report.ok, report.errors
    greedy = baseline(p)
    # the engine may give up coverage_slack of the best coverage for balance and cost, and the
    # best is at least the greedy's
    floor = (1 - p.policy.coverage_slack) * greedy.objectives["coverage"]
    assert result.objectives["coverage"] >= floor - 1e-6
    if result.bounds["coverage"] is not None:
        assert result.bounds["coverage"] >= greedy.objectives["coverage"] - 1e-6


@pytest.mark.parametrize("seed", range(12))
def test_seeded_random_problems(seed):
    rng = random.Random(1000 + seed)
    assert_engine_properties(random_doc(rng, rng.randint(1, 10), rng.randint(1, 4),
                                        explicit=seed % 3 == 0))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 2**32 - 1), st.integers(1, 8), st.integers(1, 4), st.booleans())
def test_hypothesis_random_problems(seed, n_needs, n_offers, explicit):
    assert_engine_properties(random_doc(random.Random(seed), n_needs, n_offers, explicit))


def test_all_indivisible_unit_needs():
    """The GAP shape: every need indivisible with quantity 1, explicit use and cost."""
    rng = random.Random(7)
    doc = random_doc(rng, 8, 3, explicit=True)
    for n in doc["needs"]:
        n.update(quantity=1, divisible=False)
    doc["policy"]["coverage_slack"] = 0
    assert_engine_properties(doc)
