"""Tests for the GAP reader (benchmarks/gap.py) on real OR-Library data."""

import pytest

from benchmarks import gap

pytestmark = pytest.mark.skipif(not gap.available(), reason="shared GAP data absent")


def test_gap1_1_shapes_and_capacities():
    inst = gap.load_instance("gap1-1")
    assert (inst.agents, inst.jobs) == (5, 15)
    assert len(inst.cost) == 5 and all(len(row) == 15 for row in inst.cost)
    assert len(inst.use) == 5 and all(len(row) == 15 for row in inst.use)
    assert inst.capacity == (36, 34, 38, 27, 33)
    assert inst.cost[0][:3] == (17, 21, 22)  # first numbers after "5 15" in orlib/gap1.txt
    assert inst.use[0][:3] == (8, 15, 14)


def test_best_known_rows_found_in_both_senses():
    assert gap.best_known("gap1-1", "min").value == 261
    assert gap.best_known("gap1-1", "max").value == 336
    assert gap.senses("gap1-1") == ["max", "min"]
    assert gap.best_known("a05100", "max") is None
    d = gap.best_known("d20200", "min")
    assert d.value == 12244 and not d.proven_optimal


def test_all_listed_instances_load_with_csv_shapes():
    names = gap.instance_names()
    assert len(names) == 117 and names[0] == "gap1-1" and "e801600" in names
    for name in ("gap12-5", "d20200", "e05100", "c801600"):
        row = gap.best_known(name, "min")
        inst = gap.load_instance(name)
        assert (inst.agents, inst.jobs) == (row.agents, row.jobs)


def test_problem_dict_is_valid_gap_encoding():
    inst = gap.load_instance("gap1-1")
    prob = gap.to_problem(inst, sense="max", time_limit_s=5)
    assert prob["format"] == "matching-problem/1"
    assert len(prob["needs"]) == 15 and len(prob["offers"]) == 5
    assert len(prob["edges"]) == 75
    assert all(n["quantity"] == 1 and n["divisible"] is False for n in prob["needs"])
    assert {n["region"] for n in prob["needs"]} == {gap.REGION}
    assert prob["policy"] == {"coverage_slack": 0, "balance_by": "none", "time_limit_s": 5}
    edge = next(e for e in prob["edges"] if e["need"] == "J2" and e["offer"] == "A1")
    assert edge["use"] == 15 and edge["cost"] == -21  # profit 21 turned into a cost
    assert [o["capacity"] for o in prob["offers"]] == list(inst.capacity)


def test_parse_problem_accepts_the_dict():
    reader = pytest.importorskip("matching.reader")
    problem = reader.parse_problem(gap.to_problem(gap.load_instance("gap1-1")))
    assert len(problem.needs) == 15 and len(problem.offers) == 5
    assert all(not n.divisible for n in problem.needs)


def test_score_and_cpsat_reach_known_optimum():
    """Solving the parsed data exactly must give the tabulated optimum: checks c/r order."""
    cp_model = pytest.importorskip("ortools.sat.python.cp_model")
    inst = gap.load_instance("gap1-1")
    model = cp_model.CpModel()
    x = [[model.new_bool_var(f"x{i}_{j}") for j in range(inst.jobs)] for i in range(inst.agents)]
    for j in range(inst.jobs):
        model.add_exactly_one(x[i][j] for i in range(inst.agents))
    for i in range(inst.agents):
        model.add(sum(inst.use[i][j] * x[i][j] for j in range(inst.jobs)) <= inst.capacity[i])
    model.minimize(sum(inst.cost[i][j] * x[i][j] for i in range(5) for j in range(15)))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    assert solver.solve(model) == cp_model.OPTIMAL
    allocs = [
        {"need": gap.need_id(j), "offer": gap.offer_id(i), "quantity": 1.0}
        for i in range(inst.agents)
        for j in range(inst.jobs)
        if solver.value(x[i][j])
    ]
    s = gap.score(inst, allocs)
    assert s.complete and s.feasible and s.objective == 261
    assert gap.gap_percent(s.objective, 261, "min") == 0.0
    # an over-full agent is caught
    bad = gap.score(inst, [{"need": f"J{j + 1}", "offer": "A1", "quantity": 1} for j in range(15)])
    assert not bad.feasible and bad.complete


def test_shared_root_env_override(monkeypatch, tmp_path):
    monkeypatch.setenv("NUANXIN_SHARED", str(tmp_path))
    assert gap.gap_dir() == tmp_path / "benchmarks" / "gap"
    assert not gap.available()
    with pytest.raises(gap.GapDataMissing):
        gap.best_known_rows()


def test_parse_gap_text_single_and_multi():
    single = "2 3  1 2 3 4 5 6  1 1 1 2 2 2  5 6"
    (one,) = gap.parse_gap_text(single, ["x"])
    assert one.name == "x" and one.cost == ((1, 2, 3), (4, 5, 6)) and one.capacity == (5, 6)
    multi = "2 " + single + " " + single
    assert [p.name for p in gap.parse_gap_text(multi)] == ["p1", "p2"]
    with pytest.raises(ValueError):
        gap.parse_gap_text("1 " + single + " 7")
