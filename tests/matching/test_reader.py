"""Reading and validating problem documents: defaults and one-line errors."""

from __future__ import annotations

import copy
import json
import math

import pytest

from matching.problem import Edge, Policy, ProblemError
from matching.reader import parse_problem, read_problem
from tests.matching.problem_docs import doc, edge, need, offer


def base() -> dict:
    return doc([need("N1", quantity=3), need("N2", kind="funds", quantity=500)],
               [offer("O1", unit_cost=2.5), offer("O2", kind="funds", capacity=1000)],
               [edge("N1", "O1"), edge("N2", "O2", use=2, cost=-1, fit=0.5)])


def test_defaults_are_applied():
    p = parse_problem(doc(
        [need("S", kind="services"), need("F", kind="funds"), need("G", kind="goods")],
        [offer("O1", unit_cost=3)], [edge("S", "O1")]))
    assert [n.divisible for n in p.needs] == [False, True, True]
    s = p.needs[0]
    assert (s.priority, s.item, s.groups, s.requires, s.household) == (1.0, None, (), (), None)
    o = p.offers[0]
    assert (o.regions, o.qualifications, o.groups, o.provider) == ((), (), (), None)
    assert p.edges == (Edge(need=0, offer=0, use=1.0, cost=3.0, fit=1.0),)
    assert p.policy == Policy(time_limit_s=30.0, coverage_slack=0.01, balance_by="region")
    assert p.need_index == {"S": 0, "F": 1, "G": 2} and p.offer_index == {"O1": 0}


def test_explicit_values_and_unknown_fields():
    d = base()
    d["needs"][0].update(divisible=True, priority=2.5, groups=["dibao"], requires=["nurse"],
                         household="H1", item="bed", colour="red")
    d["offers"][0].update(regions=["43"], qualifications=["nurse"], groups=["dibao"],
                          provider="P", item="bed")
    d["policy"] = {"time_limit_s": 5, "coverage_slack": 0, "balance_by": "none", "x": 1}
    d["extra"] = {"anything": [1, 2]}
    p = parse_problem(d)
    n, o = p.needs[0], p.offers[0]
    assert (n.divisible, n.priority, n.groups, n.requires, n.household, n.item) == (
        True, 2.5, ("dibao",), ("nurse",), "H1", "bed")
    assert (o.regions, o.qualifications, o.groups, o.provider) == (
        ("43",), ("nurse",), ("dibao",), "P")
    assert p.edges[1] == Edge(need=1, offer=1, use=2.0, cost=-1.0, fit=0.5)
    assert p.policy == Policy(time_limit_s=5.0, coverage_slack=0.0, balance_by="none")


def test_edges_absent_or_null_means_derived_and_empty_list_means_none():
    d = base()
    del d["edges"]
    assert parse_problem(d).edges is None
    d["edges"] = None
    assert parse_problem(d).edges is None
    d["edges"] = []
    assert parse_problem(d).edges == ()


def test_empty_problem_is_valid():
    p = parse_problem(doc([], []))
    assert p.needs == () and p.offers == () and p.edges is None


def _set(path, value):
    def mutate(d):
        target = d
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return mutate


def _drop(path):
    def mutate(d):
        target = d
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]
    return mutate


N0 = 'needs[0] (id "N1")'
O0 = 'offers[0] (id "O1")'
E1 = 'edges[1] (need "N2", offer "O2")'
CASES = [
    (_drop(["format"]), 'missing required field "format" (expected "matching-problem/1")'),
    (_set(["format"], "matching-problem/2"),
     'unknown format "matching-problem/2" (expected "matching-problem/1")'),
    (_set(["format"], 1), 'unknown format 1 (expected "matching-problem/1")'),
    (_drop(["needs"]), 'missing required field "needs"'),
    (_drop(["offers"]), 'missing required field "offers"'),
    (_set(["needs"], {}), "needs: must be an array, got an object"),
    (_set(["edges"], "x"), 'edges: must be an array, got "x"'),
    (_set(["needs", 0], 7), "needs[0]: must be an object, got 7"),
    (_drop(["needs", 0, "id"]), 'needs[0]: missing required field "id"'),
    (_set(["needs", 0, "id"], 5), "needs[0]: id must be a non-empty string, got 5"),
    (_set(["needs", 0, "id"], ""), 'needs[0]: id must be a non-empty string, got ""'),
    (_set(["needs", 1, "id"], "N1"), 'needs[1] (id "N1"): duplicate id, also needs[0]'),
    (_set(["offers", 1, "id"], "O1"), 'offers[1] (id "O1"): duplicate id, also offers[0]'),
    (_drop(["needs", 0, "kind"]), f'{N0}: missing required field "kind"'),
    (_set(["needs", 0, "kind"], "money"),
     f'{N0}: kind must be one of "funds", "goods", "services", got "money"'),
    (_set(["offers", 0, "kind"], None),
     f'{O0}: kind must be one of "funds", "goods", "services", got null'),
    (_drop(["needs", 0, "category"]), f'{N0}: missing required field "category"'),
    (_set(["needs", 0, "category"], 3), f"{N0}: category must be a string, got 3"),
    (_set(["needs", 0, "item"], 3), f"{N0}: item must be a string or null, got 3"),
    (_drop(["needs", 0, "quantity"]), f'{N0}: missing required field "quantity"'),
    (_set(["needs", 0, "quantity"], -3),
     f"{N0}: quantity must be a positive finite number, got -3"),
    (_set(["needs", 0, "quantity"], 0), f"{N0}: quantity must be a positive finite number, got 0"),
    (_set(["needs", 0, "quantity"], math.nan),
     f"{N0}: quantity must be a positive finite number, got NaN"),
    (_set(["needs", 0, "quantity"], math.inf),
     f"{N0}: quantity must be a positive finite number, got Infinity"),
    (_set(["needs", 0, "quantity"], True),
     f"{N0}: quantity must be a positive finite number, got true"),
    (_set(["needs", 0, "quantity"], "3"),
     f'{N0}: quantity must be a positive finite number, got "3"'),
    (_set(["needs", 0, "quantity"], 10**400),
     f"{N0}: quantity must be a positive finite number, got 1" + "0" * 56 + "..."),
    (_set(["needs", 0, "divisible"], "yes"), f'{N0}: divisible must be true or false, got "yes"'),
    (_set(["needs", 0, "priority"], 0), f"{N0}: priority must be a positive finite number, got 0"),
    (_drop(["needs", 0, "region"]), f'{N0}: missing required field "region"'),
    (_set(["needs", 0, "region"], 430102), f"{N0}: region must be a string, got 430102"),
    (_set(["needs", 0, "groups"], "dibao"),
     f'{N0}: groups must be a list of strings, got "dibao"'),
    (_set(["needs", 0, "requires"], ["a", 1]), f"{N0}: requires[1] must be a string, got 1"),
    (_set(["needs", 0, "household"], []),
     f"{N0}: household must be a string or null, got an array"),
    (_drop(["offers", 0, "capacity"]), f'{O0}: missing required field "capacity"'),
    (_set(["offers", 0, "capacity"], -1),
     f"{O0}: capacity must be a positive finite number, got -1"),
    (_set(["offers", 0, "capacity"], False),
     f"{O0}: capacity must be a positive finite number, got false"),
    (_set(["offers", 0, "regions"], [43]), f"{O0}: regions[0] must be a string, got 43"),
    (_set(["offers", 0, "qualifications"], {}),
     f"{O0}: qualifications must be a list of strings, got an object"),
    (_set(["offers", 0, "unit_cost"], -1), f"{O0}: unit_cost must be a finite number >= 0, got -1"),
    (_set(["offers", 0, "provider"], 1), f"{O0}: provider must be a string or null, got 1"),
    (_set(["edges", 0], []), "edges[0]: must be an object, got an array"),
    (_drop(["edges", 0, "need"]), 'edges[0]: missing required field "need"'),
    (_set(["edges", 0, "need"], "N9"), 'edges[0]: need "N9" is not the id of a need'),
    (_set(["edges", 0, "offer"], "O9"), 'edges[0]: offer "O9" is not the id of an offer'),
    (_set(["edges", 0, "offer"], 1), "edges[0]: offer 1 is not the id of an offer"),
    (_set(["edges", 1, "use"], 0), f"{E1}: use must be a positive finite number, got 0"),
    (_set(["edges", 1, "use"], math.inf),
     f"{E1}: use must be a positive finite number, got Infinity"),
    (_set(["edges", 1, "cost"], math.nan), f"{E1}: cost must be a finite number, got NaN"),
    (_set(["edges", 1, "fit"], 0), f"{E1}: fit must be a number in (0, 1], got 0"),
    (_set(["edges", 1, "fit"], 1.5), f"{E1}: fit must be a number in (0, 1], got 1.5"),
    (_set(["edges", 1], {"need": "N1", "offer": "O1"}),
     'edges[1] (need "N1", offer "O1"): duplicate edge, also edges[0]'),
    (_set(["policy"], []), "policy: must be an object, got an array"),
    (_set(["policy"], {"time_limit_s": 0}),
     "policy: time_limit_s must be a positive finite number, got 0"),
    (_set(["policy"], {"time_limit_s": -5}),
     "policy: time_limit_s must be a positive finite number, got -5"),
    (_set(["policy"], {"coverage_slack": 1.5}),
     "policy: coverage_slack must be a number in [0, 1], got 1.5"),
    (_set(["policy"], {"coverage_slack": -0.1}),
     "policy: coverage_slack must be a number in [0, 1], got -0.1"),
    (_set(["policy"], {"balance_by": "province"}),
     'policy: balance_by must be one of "region", "none", got "province"'),
]


@pytest.mark.parametrize(("mutate", "message"), CASES)
def test_errors_name_entry_and_field(mutate, message):
    d = copy.deepcopy(base())
    mutate(d)
    with pytest.raises(ProblemError) as err:
        parse_problem(d)
    assert str(err.value) == message


@pytest.mark.parametrize("top", [[], "x", 3, None, True])
def test_top_level_must_be_an_object(top):
    with pytest.raises(ProblemError, match="^top level must be a JSON object, got "):
        parse_problem(top)


def test_message_escapes_newlines_in_ids():
    d = base()
    d["needs"][0]["id"] = "N\n1"
    d["needs"][0]["quantity"] = -1
    with pytest.raises(ProblemError) as err:
        parse_problem(d)
    assert "\n" not in str(err.value) and 'needs[0] (id "N\\n1")' in str(err.value)


def test_read_problem_file(tmp_path):
    path = tmp_path / "p.json"
    path.write_text(json.dumps(base()))
    assert [n.id for n in read_problem(path).needs] == ["N1", "N2"]


@pytest.mark.parametrize(("content", "message"), [
    (b"{", "problem file is not valid JSON: Expecting property name enclosed in double quotes "
           "(line 1 column 2)"),
    (b"", "problem file is not valid JSON: Expecting value (line 1 column 1)"),
    (b"\xff\xfe\x00", "problem file is not valid JSON: not UTF-8 text"),
    (b"[" * 100000 + b"]" * 100000, "problem file is not valid JSON: nested too deeply"),
    (b"1" * 5000, "problem file is not valid JSON: Exceeds the limit (4300 digits) for integer "
                  "string conversion: value has 5000 digits; use sys.set_int_max_str_digits() "
                  "to increase the limit"),
])
def test_read_problem_bad_json(tmp_path, content, message):
    path = tmp_path / "p.json"
    path.write_bytes(content)
    with pytest.raises(ProblemError) as err:
        read_problem(path)
    assert str(err.value) == message


def test_read_problem_missing_file(tmp_path):
    with pytest.raises(ProblemError, match=r'^cannot read problem file ".*nope.json": No such'):
        read_problem(tmp_path / "nope.json")
