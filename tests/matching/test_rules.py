"""Each compatibility rule of the spec, end to end through the greedy baseline."""

from __future__ import annotations

import pytest

from matching.greedy import baseline
from tests.matching.problem_docs import need, offer, problem


def served_by(needs, offers) -> dict[str, set[str]]:
    """Need id -> ids of the offers that served it (each offer can serve every need alone)."""
    out: dict[str, set[str]] = {}
    for n in needs:  # one need at a time so capacity never interferes
        r = baseline(problem([n], offers))
        out[n["id"]] = {a.offer for a in r.allocations}
    return out


@pytest.mark.parametrize(("regions", "serves"), [
    ([], True), (["43"], True), (["4301"], True), (["430102"], True), (["4302"], False),
    (["430103"], False), (["4302", "4301"], True), (["4301021"], False), ([""], True),
])
def test_region_prefix(regions, serves):
    got = served_by([need("A", region="430102")], [offer("O1", regions=regions)])
    assert got["A"] == ({"O1"} if serves else set())


def test_kind_and_category_must_match():
    got = served_by([need("A"), need("B", kind="goods"), need("C", category="food")],
                    [offer("O1")])
    assert got == {"A": {"O1"}, "B": set(), "C": set()}


@pytest.mark.parametrize(("need_item", "offer_item", "serves"), [
    (None, None, True), ("rice", None, True), (None, "rice", True), ("rice", "rice", True),
    ("rice", "oil", False),
])
def test_item(need_item, offer_item, serves):
    got = served_by([need("A", kind="goods", item=need_item)],
                    [offer("O1", kind="goods", item=offer_item)])
    assert got["A"] == ({"O1"} if serves else set())


@pytest.mark.parametrize(("requires", "quals", "serves"), [
    ([], [], True), ([], ["nurse"], True), (["nurse"], [], False), (["nurse"], ["nurse"], True),
    (["nurse", "driver"], ["nurse"], False), (["nurse", "driver"], ["driver", "nurse", "x"], True),
])
def test_qualifications(requires, quals, serves):
    got = served_by([need("A", requires=requires)], [offer("O1", qualifications=quals)])
    assert got["A"] == ({"O1"} if serves else set())


@pytest.mark.parametrize(("need_groups", "offer_groups", "serves"), [
    ([], [], True), (["dibao"], [], True), ([], ["dibao"], False),
    (["dibao"], ["dibao"], True), (["tekun", "disabled"], ["dibao", "disabled"], True),
    (["tekun"], ["dibao"], False),
])
def test_donor_groups(need_groups, offer_groups, serves):
    got = served_by([need("A", groups=need_groups)], [offer("O1", groups=offer_groups)])
    assert got["A"] == ({"O1"} if serves else set())


def test_explicit_edges_override_attributes():
    # the edge joins a funds need to a services offer in another region: still a candidate
    p = problem([need("A", kind="funds", quantity=5, region="440101")],
                [offer("O1", regions=["4301"]), offer("O2", kind="funds", capacity=100)],
                [{"need": "A", "offer": "O1", "use": 0.1}])
    r = baseline(p)
    assert [(a.offer, a.quantity) for a in r.allocations] == [("O1", 5)]


def test_no_candidate_reason():
    r = baseline(problem([need("A", region="440101")], [offer("O1", regions=["43"])]))
    assert r.unserved == [{"need": "A", "reason": "no_candidate"}]
