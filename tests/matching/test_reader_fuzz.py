"""Fuzzing the readers: whatever the input, only ProblemError escapes, in one line."""

from __future__ import annotations

import copy
import json
import os
import tempfile

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching.check import CheckReport, check
from matching.explain import explain_need
from matching.greedy import baseline
from matching.problem import Problem, ProblemError
from matching.reader import parse_problem, read_problem
from tests.matching.problem_docs import doc, edge, need, offer, result

FIELDS = ["format", "needs", "offers", "edges", "policy", "id", "kind", "category", "item",
          "quantity", "divisible", "priority", "region", "groups", "requires", "capacity",
          "regions", "qualifications", "unit_cost", "need", "offer", "use", "cost", "fit",
          "time_limit_s", "coverage_slack", "balance_by"]
scalars = (st.none() | st.booleans() | st.integers() | st.integers(min_value=10**300)
           | st.floats() | st.text(max_size=8)
           | st.sampled_from(["funds", "goods", "services", "N1", "O1", "region", "none",
                              "matching-problem/1", "matching-result/1", "partial"]))
keys = st.sampled_from(FIELDS) | st.text(max_size=4)
json_values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=5),
    max_leaves=25)
SETTINGS = settings(max_examples=300, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def valid_doc() -> dict:
    return doc(
        [need("N1", quantity=3, groups=["dibao"], requires=["nurse"]),
         need("N2", kind="goods", item="rice", quantity=5, region="430103", priority=2),
         need("N3", kind="funds", category="medical", quantity=800, region="430211")],
        [offer("O1", capacity=4, qualifications=["nurse"], regions=["4301"], groups=["dibao"]),
         offer("O2", kind="goods", item="rice", capacity=3, unit_cost=1.5),
         offer("O3", kind="funds", category="medical", capacity=500, regions=[])],
        None, {"time_limit_s": 2, "coverage_slack": 0.05, "balance_by": "region"})


def paths(value, prefix=()):
    """Every path (tuple of keys/indexes) inside a JSON value, the root included."""
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from paths(v, (*prefix, i))


def mutate(d, data):
    """Replace, delete or add one value somewhere inside ``d`` (a copy)."""
    d = copy.deepcopy(d)
    path = data.draw(st.sampled_from(list(paths(d))))
    if not path:
        return data.draw(json_values)
    parent = d
    for k in path[:-1]:
        parent = parent[k]
    action = data.draw(st.sampled_from(["replace", "delete", "add"]))
    if action == "replace":
        parent[path[-1]] = data.draw(json_values)
    elif action == "delete":
        del parent[path[-1]]
    elif isinstance(parent, dict):
        parent[data.draw(keys)] = data.draw(json_values)
    else:
        parent.append(data.draw(json_values))
    return d


def parses_or_one_line_error(value) -> Problem | None:
    try:
        return parse_problem(value)
    except ProblemError as exc:
        assert "\n" not in str(exc) and str(exc)
        return None


@SETTINGS
@given(json_values)
def test_any_json_value(value):
    parses_or_one_line_error(value)


@SETTINGS
@given(st.data())
def test_mutated_problem_parses_or_fails_cleanly_and_baseline_passes_check(data):
    d = valid_doc()
    for _ in range(data.draw(st.integers(1, 3))):
        d = mutate(d, data)
    p = parses_or_one_line_error(d)
    if p is not None:  # still valid: the whole pipeline must hold
        report = check(p, baseline(p).to_dict())
        assert report.ok, report.errors


@SETTINGS
@given(st.binary(max_size=200) | json_values.map(lambda v: json.dumps(v).encode()))
def test_any_file_content(content):
    fd, name = tempfile.mkstemp(suffix=".json")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(content)
        read_problem(name)
    except ProblemError as exc:
        assert "\n" not in str(exc)
    finally:
        os.unlink(name)


@SETTINGS
@given(st.data())
def test_mutated_result_is_checked_or_rejected_cleanly(data):
    p = parse_problem(valid_doc())
    good = result(p, [("N1", "O1", 3), ("N2", "O2", 3), ("N3", "O3", 500)])
    assert check(p, good).ok
    bad = mutate(good, data)
    try:
        report = check(p, bad)
    except ProblemError as exc:
        assert "\n" not in str(exc)
    else:
        assert isinstance(report, CheckReport)
        assert all("\n" not in e for e in report.errors)
        for n in p.needs:  # explanations of a well-formed (even infeasible) result never fail
            assert explain_need(p, bad, n.id).describe()


def test_the_valid_document_is_valid():
    """The fuzzed seed itself parses, so mutations start from a valid problem."""
    p = parse_problem(valid_doc())
    assert [n.id for n in p.needs] == ["N1", "N2", "N3"]
    assert edge("N1", "O1") == {"need": "N1", "offer": "O1"}
