"""The result checker catches every kind of infeasibility and every wrong report."""

from __future__ import annotations

import copy

import pytest

from matching.check import check, parse_result
from matching.problem import ProblemError
from tests.matching.problem_docs import edge, need, offer, problem, result


@pytest.fixture
def p():
    return problem(
        [need("S1", quantity=2, priority=2),  # services: indivisible
         need("F1", kind="funds", quantity=100),
         need("F2", kind="funds", quantity=50, region="430103"),
         need("G1", kind="goods", quantity=4, region="430104")],
        [offer("O1", capacity=4, unit_cost=3), offer("O2", kind="funds", capacity=120),
         offer("O3", kind="funds", capacity=60)])


@pytest.fixture
def good(p):
    return result(p, [("S1", "O1", 2), ("F1", "O2", 100), ("F2", "O2", 20), ("F2", "O3", 30)])


def test_good_result_passes_with_recomputed_objectives(p, good):
    report = check(p, good)
    assert report.ok and report.errors == []
    assert report.objectives == {"coverage": pytest.approx(2 + 1 + 1), "balance": 0.0,
                                 "cost": pytest.approx(6)}


def with_allocs(p, allocs):
    """A document whose summary matches ``allocs`` (so only the constraints can fail)."""
    return result(p, []) | {"allocations": [
        {"need": n, "offer": o, "quantity": q} for n, o, q in allocs]}


def errors_of(p, doc):
    report = check(p, doc)
    assert not report.ok
    return report.errors


def test_unknown_ids(p, good):
    good["allocations"].append({"need": "X", "offer": "O1", "quantity": 1})
    good["allocations"].append({"need": "F1", "offer": "Y", "quantity": 1})
    errs = errors_of(p, good)
    assert 'allocations[4]: need "X" is not the id of a need' in errs
    assert 'allocations[5]: offer "Y" is not the id of an offer' in errs


def test_not_a_candidate_edge(p, good):
    good["allocations"].append({"need": "G1", "offer": "O1", "quantity": 1})
    assert 'allocations[4] (need "G1", offer "O1"): not a candidate edge' in errors_of(p, good)


def test_explicit_edges_define_candidates():
    p = problem([need("A", kind="funds", quantity=10)],
                [offer("O1", kind="funds"), offer("O2", kind="funds")], [edge("A", "O2")])
    assert check(p, result(p, [("A", "O2", 10)])).ok
    doc = result(p, [("A", "O2", 10)])
    doc["allocations"] = [{"need": "A", "offer": "O1", "quantity": 10}]
    assert 'allocations[0] (need "A", offer "O1"): not a candidate edge' in errors_of(p, doc)


def test_duplicate_pair(p, good):
    good["allocations"].append({"need": "F2", "offer": "O3", "quantity": 1})
    errs = errors_of(p, good)
    assert 'allocations[4] (need "F2", offer "O3"): repeats an earlier entry for the pair' in errs


@pytest.mark.parametrize("q", [0, -5])
def test_quantity_must_be_positive(p, good, q):
    good["allocations"][1]["quantity"] = q
    assert any(e.startswith('allocations[1] (need "F1"): quantity must be positive')
               for e in errors_of(p, good))


def test_served_above_quantity(p):
    errs = errors_of(p, with_allocs(p, [("F1", "O2", 60), ("F1", "O3", 60)]))
    assert 'need "F1": served 120 exceeds its quantity 100' in errs


def test_served_within_tolerance_is_fine(p):
    doc = result(p, [("F1", "O2", 100 * (1 + 1e-8))])
    assert check(p, doc).ok


def test_indivisible_split(p):
    q = problem([need("S", quantity=4)], [offer("O1", capacity=2), offer("O2", capacity=2)])
    assert 'need "S": indivisible but served through 2 offers' in errors_of(
        q, with_allocs(q, [("S", "O1", 2), ("S", "O2", 2)]))


def test_indivisible_partly_served(p):
    assert 'need "S1": indivisible but served 1 of 2' in errors_of(
        p, with_allocs(p, [("S1", "O1", 1)]))


def test_capacity_exceeded(p):
    errs = errors_of(p, with_allocs(p, [("F1", "O2", 100), ("F2", "O2", 50)]))
    assert 'offer "O2": uses 150 of its capacity 120' in errs


def test_capacity_counts_use():
    p = problem([need("A", kind="funds", quantity=10)], [offer("O1", kind="funds", capacity=15)],
                [edge("A", "O1", use=2)])
    assert check(p, result(p, [("A", "O1", 7.5)])).ok
    assert 'offer "O1": uses 20 of its capacity 15' in errors_of(
        p, with_allocs(p, [("A", "O1", 10)]))


@pytest.mark.parametrize(("name", "value"), [("coverage", 3.9), ("balance", 0.5),
                                              ("cost", 7.0)])
def test_wrong_objectives(p, good, name, value):
    good["objectives"][name] = value
    errs = errors_of(p, good)
    assert len(errs) == 1 and errs[0].startswith(f"objectives: {name} reported {value!r}")


def test_objective_tolerance(p, good):
    good["objectives"]["coverage"] *= 1 + 1e-9
    good["objectives"]["cost"] += 1e-9
    assert check(p, good).ok


def test_bound_below_coverage(p, good):
    good["bounds"]["coverage"] = 3.0
    assert errors_of(p, good) == ["bounds: coverage bound 3.0 is below the coverage 4.0"]


def test_optimal_bound_must_equal_coverage(p, good):
    good["status"] = "optimal"
    good["bounds"]["coverage"] = 5.0
    assert errors_of(p, good) == [
        "bounds: status optimal but the coverage 4.0 is below (1 - coverage_slack) x bound 5.0"]
    # the default slack (0.01) lets an optimal coverage sit 1% below the best
    good["bounds"]["coverage"] = 4.04
    assert check(p, good).ok
    good["bounds"]["coverage"] = 4.045
    assert not check(p, good).ok
    good["bounds"]["coverage"] = None
    assert errors_of(p, good) == ["bounds: status optimal but the coverage bound is null"]
    good["bounds"]["coverage"] = 4.0
    assert check(p, good).ok


def test_groups_missing_extra_wrong(p, good):
    bad = copy.deepcopy(good)
    del bad["groups"]["430104"]
    assert errors_of(p, bad) == ['groups: missing 1 region(s), first "430104"']
    bad = copy.deepcopy(good)
    bad["groups"]["999999"] = {"needs": 1, "priority": 1, "coverage": 0}
    assert errors_of(p, bad) == ['groups: 1 region(s) without needs, first "999999"']
    bad = copy.deepcopy(good)
    bad["groups"]["430102"]["needs"] = 3
    assert errors_of(p, bad) == ['groups["430102"]: needs reported 3, recomputed 2']


def test_unserved_missing(p, good):
    good["unserved"] = []
    assert errors_of(p, good) == [
        'unserved: 1 need(s) short of their quantity are not listed, first "G1"']


def test_unserved_wrong_reason(p):
    doc = result(p, [("F1", "O2", 50)])
    reasons = {u["need"]: u["reason"] for u in doc["unserved"]}
    assert reasons == {"S1": "capacity", "F1": "partial", "F2": "capacity",
                       "G1": "no_candidate"}
    for u in doc["unserved"]:
        u["reason"] = {"partial": "capacity", "capacity": "no_candidate",
                       "no_candidate": "partial"}[u["reason"]]
    assert errors_of(p, doc) == [
        'unserved[0] (need "S1"): reason "no_candidate", expected "capacity"',
        'unserved[1] (need "F1"): reason "capacity" but served 50 of 100 ("partial")',
        'unserved[2] (need "F2"): reason "no_candidate", expected "capacity"',
        'unserved[3] (need "G1"): reason "partial", expected "no_candidate"']


def test_unserved_listed_but_served_twice_or_unknown(p, good):
    good["unserved"] += [{"need": "F1", "reason": "partial"},
                         {"need": "G1", "reason": "no_candidate"},
                         {"need": "ZZ", "reason": "capacity"}]
    assert errors_of(p, good) == [
        'unserved[1] (need "F1"): listed as unserved but fully served',
        'unserved[2] (need "G1"): listed twice, also unserved[0]',
        'unserved[3] (need "ZZ"): not the id of a need']


MALFORMED = [
    (lambda d: d.clear() or d.update(x=1), 'result: missing required field "format" '
                                            '(expected "matching-result/1")'),
    (lambda d: d.update(format="matching-problem/1"),
     'result: unknown format "matching-problem/1" (expected "matching-result/1")'),
    (lambda d: d.update(status="done"), 'result: status must be "optimal" or "feasible", '
                                         'got "done"'),
    (lambda d: d.pop("status"), 'result: missing required field "status"'),
    (lambda d: d.update(allocations={}), "result: allocations must be an array, got an object"),
    (lambda d: d["allocations"].append(3), "allocations[4]: must be an object, got 3"),
    (lambda d: d["allocations"][0].pop("offer"), 'allocations[0]: missing required field "offer"'),
    (lambda d: d["allocations"][0].update(quantity="2"),
     'allocations[0]: quantity must be a finite number, got "2"'),
    (lambda d: d["allocations"][0].update(quantity=float("nan")),
     "allocations[0]: quantity must be a finite number, got NaN"),
    (lambda d: d["allocations"][0].update(need=1), "allocations[0]: need must be a string, got 1"),
    (lambda d: d.pop("objectives"), 'result: missing required field "objectives"'),
    (lambda d: d["objectives"].pop("cost"), 'objectives: missing required field "cost"'),
    (lambda d: d["objectives"].update(balance=True),
     "objectives: balance must be a finite number, got true"),
    (lambda d: d.update(bounds=None), "bounds: must be an object, got null"),
    (lambda d: d["groups"].update(x=[]), 'groups["x"]: must be an object, got an array'),
    (lambda d: d["groups"]["430102"].update(needs=1.5),
     'groups["430102"]: needs must be a non-negative integer, got 1.5'),
    (lambda d: d.update(unserved=[{"need": "G1", "reason": "later"}]),
     'unserved[0]: reason must be one of "no_candidate", "capacity", "partial", got "later"'),
    (lambda d: d.pop("stats"), 'result: missing required field "stats"'),
    (lambda d: d["stats"].update(seconds=-1), "stats: seconds must be >= 0, got -1"),
]


@pytest.mark.parametrize(("mutate", "message"), MALFORMED)
def test_malformed_result(p, good, mutate, message):
    mutate(good)
    with pytest.raises(ProblemError) as err:
        check(p, good)
    assert str(err.value) == message


@pytest.mark.parametrize("top", [[], None, "x"])
def test_result_top_level(top):
    with pytest.raises(ProblemError, match="^result: top level must be a JSON object"):
        parse_result(top)
