"""LP bounds of the benchmark: valid upper bounds, and tight whichever solver gave the multipliers.

On a small synthetic problem GLOP solves the need-level LP exactly; the class-LP multipliers
(used for large problems instead of PDLP's) must give the same bounds, and both must sit above
what the engine and the greedy baseline achieve.
"""

import pytest

from benchmarks import lpbound, synthetic
from matching import baseline, solve
from matching.candidates import candidate_edges
from matching.reader import parse_problem


@pytest.fixture(scope="module")
def case():
    problem = parse_problem(synthetic.generate(600, 60, seed=3, time_limit_s=5))
    return problem, candidate_edges(problem), solve(problem, time_limit_s=5)


def _bounds(problem, cands, level, monkeypatch, via_class: bool):
    with monkeypatch.context() as m:
        if via_class:  # treat the model as "large": multipliers from the class LP
            m.setattr(lpbound, "GLOP_MAX_COLUMNS", 0)
        return lpbound.lp_bounds(problem, cands, level, time_limit_s=60)


def test_class_multipliers_give_the_exact_lp_bounds(case, monkeypatch):
    problem, cands, result = case
    level = result.objectives["coverage"]
    glop = _bounds(problem, cands, level, monkeypatch, via_class=False)
    cls = _bounds(problem, cands, level, monkeypatch, via_class=True)
    assert glop["method"] == "glop" and cls["method"] == "class-lp glop"
    assert cls["coverage_bound"] == pytest.approx(glop["coverage_lp"], rel=1e-6)
    assert cls["balance_bound"] == pytest.approx(glop["balance_lp"], rel=1e-6, abs=1e-7)


def test_bounds_are_above_what_engine_and_greedy_reach(case, monkeypatch):
    problem, cands, result = case
    greedy = baseline(problem)
    for via_class in (False, True):
        b = _bounds(problem, cands, result.objectives["coverage"], monkeypatch, via_class)
        assert b["coverage_bound"] >= result.objectives["coverage"] - 1e-6
        assert b["coverage_bound"] >= greedy.objectives["coverage"] - 1e-6
        assert b["balance_bound"] >= result.objectives["balance"] - 1e-9
