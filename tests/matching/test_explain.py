"""Explanations of single needs: codes and data for the site, plain English for the CLI."""

from __future__ import annotations

import random

import pytest

from matching.candidates import candidate_edges
from matching.explain import (
    NOT_CHOSEN,
    NOT_NEEDED,
    SERVES,
    TOO_LITTLE_LEFT,
    TOO_SMALL,
    USED_ELSEWHERE,
    OthersOnOffer,
    _exclusion,
    explain_need,
)
from matching.greedy import baseline
from matching.problem import ProblemError
from matching.reader import parse_problem
from tests.matching.problem_docs import edge, need, offer, problem, random_doc, result


def test_capacity_went_to_higher_priority_needs():
    p = problem([need("H1", quantity=20, priority=3), need("H2", quantity=10, priority=2),
                 need("H3", quantity=10), need("T", quantity=5)],
                [offer("O7", capacity=40, provider="Red Cross")])
    e = explain_need(p, baseline(p), "T")
    assert (e.outcome, e.served, e.allocations) == ("capacity", 0.0, [])
    [c] = e.candidates
    assert (c.offer, c.code, c.capacity, c.remaining, c.given) == ("O7", USED_ELSEWHERE, 40, 0, 0)
    assert c.others == OthersOnOffer(needs=3, used=40, higher_priority=2, equal_priority=1,
                                     lower_priority=0, better_fit=0)
    text = e.describe()
    assert "Need T (services: care; 5 hours, indivisible; priority 1; region 430102): not " \
           "served: compatible offers exist but their capacity was used elsewhere." in text
    assert "O7 (provider Red Cross): all 40 hours went to 3 other needs (2 with higher " \
           "priority, 1 with equal priority)." in text


def test_better_fit_is_counted():
    p = problem([need("A"), need("T")], [offer("O1", capacity=1)],
                [edge("A", "O1", fit=1), edge("T", "O1", fit=0.5)])
    e = explain_need(p, result(p, [("A", "O1", 1)]), "T")
    assert e.candidates[0].others.better_fit == 1
    assert "1 of them with a better fit" in e.describe()


def test_indivisible_need_larger_than_offer_or_what_is_left():
    p = problem([need("H", quantity=4, priority=2), need("T", quantity=5)],
                [offer("O1", capacity=3), offer("O2", capacity=8)])
    e = explain_need(p, baseline(p), "T")
    small, left = e.candidates
    assert (small.offer, small.code) == ("O1", TOO_SMALL)
    assert (left.offer, left.code, left.remaining) == ("O2", TOO_LITTLE_LEFT, 4)
    assert left.others.needs == 1 and left.others.higher_priority == 1
    text = e.describe()
    assert "O1: its whole capacity of 3 hours is less than the 5 hours this need takes" in text
    assert "O2: only 4 of 8 hours left after 1 other need (1 with higher priority)" in text


def test_served_and_not_needed():
    p = problem([need("T", quantity=2)], [offer("O1", capacity=2), offer("O2", capacity=2)])
    e = explain_need(p, baseline(p), "T")
    assert e.outcome == "served" and e.served == 2 and e.allocations == [("O1", 2.0)]
    assert [c.code for c in e.candidates] == [SERVES, NOT_NEEDED]
    assert "O1: gave 2 hours to this need." in e.describe()


def test_partly_served_names_where_the_rest_went():
    p = problem([need("H", kind="funds", quantity=300, priority=2),
                 need("T", kind="funds", quantity=300)], [offer("O1", kind="funds",
                                                               capacity=500)])
    e = explain_need(p, baseline(p), "T")
    assert e.outcome == "partial" and e.served == 200 and e.unit == "CNY"
    assert e.candidates[0].code == SERVES and e.candidates[0].given == 200
    assert "O1: gave 200 CNY to this need; 300 CNY of its capacity went to 1 other need " \
           "(1 with higher priority)." in e.describe()


def test_capacity_left_unused_by_the_allocation():
    p = problem([need("T", kind="funds", quantity=100)], [offer("O1", kind="funds",
                                                               capacity=500)])
    e = explain_need(p, result(p, [("T", "O1", 10)]), "T")
    assert e.outcome == "partial" and e.candidates[0].code == SERVES
    e = explain_need(p, result(p, []), "T")
    assert e.outcome == "capacity" and e.candidates[0].code == NOT_CHOSEN
    assert e.candidates[0].remaining == 500
    assert "500 CNY left unused" in e.describe()


def test_excluded_offers_name_the_rule():
    p = problem([need("T", kind="goods", category="food", item="rice", region="430102",
                      requires=["cold_chain"], groups=["dibao"])],
                [offer("R", kind="goods", category="food", regions=["4302"],
                       qualifications=["cold_chain"]),
                 offer("Q", kind="goods", category="food"),
                 offer("G", kind="goods", category="food", qualifications=["cold_chain"],
                       groups=["orphan"]),
                 offer("I", kind="goods", category="food", item="oil",
                       qualifications=["cold_chain"]),
                 offer("OK", kind="goods", category="food", qualifications=["cold_chain"]),
                 offer("X", kind="goods", category="medical"),
                 offer("Y", kind="funds", category="food")])
    e = explain_need(p, baseline(p), "T")
    assert [c.offer for c in e.candidates] == ["OK"]
    rules = {x.offer: x.rules for x in e.excluded}
    assert rules == {"R": ["region"], "Q": ["qualification"], "G": ["group"], "I": ["item"]}
    assert e.excluded_count == 4
    assert e.excluded_by_rule == {"region": 1, "qualification": 1, "group": 1, "item": 1}
    by_id = {x.offer: x for x in e.excluded}
    assert by_id["Q"].missing_qualifications == ["cold_chain"]
    assert by_id["R"].regions == ["4302"] and by_id["G"].groups == ["orphan"]
    assert by_id["I"].item == "oil"
    text = e.describe()
    assert "R: serves other regions (4302)." in text
    assert "Q: lacks qualification cold_chain." in text
    assert "G: restricted to groups orphan." in text
    assert "I: offers item oil." in text


def test_no_candidate_and_explicit_edges():
    p = problem([need("T"), need("U")], [offer("O1"), offer("O2")], [edge("U", "O1")])
    e = explain_need(p, baseline(p), "T")
    assert e.outcome == "no_candidate" and e.candidates == [] and e.explicit_edges
    assert {x.offer: x.rules for x in e.excluded} == {"O1": ["no_edge"], "O2": ["no_edge"]}
    assert "not served: no compatible offer" in e.describe()


def test_accepts_result_documents_and_rejects_bad_input():
    p = problem([need("T")], [offer("O1")])
    doc = baseline(p).to_dict()
    assert explain_need(p, doc, "T").outcome == "served"
    with pytest.raises(ProblemError, match='^need "nope" is not the id of a need$'):
        explain_need(p, doc, "nope")
    del doc["stats"]
    with pytest.raises(ProblemError, match='missing required field "stats"'):
        explain_need(p, doc, "T")


def test_allocations_on_non_candidate_edges_are_ignored():
    p = problem([need("T"), need("U", kind="goods")], [offer("O1", capacity=1)])
    doc = baseline(p).to_dict()
    doc["allocations"].append({"need": "U", "offer": "O1", "quantity": 1})
    doc["allocations"].append({"need": "ghost", "offer": "O1", "quantity": 1})
    e = explain_need(p, doc, "T")
    assert e.candidates[0].others.needs == 0 and e.candidates[0].code == SERVES


def test_numbers_are_written_for_people():
    p = problem([need("H", kind="funds", quantity=1185200, priority=2),
                 need("T", kind="funds", quantity=2.126)],
                [offer("O1", kind="funds", capacity=1185200)])
    text = explain_need(p, baseline(p), "T").describe()
    assert "Need T (funds: care; 2.13 CNY; priority 1; region 430102)" in text  # 2 decimals
    assert "all 1,185,200 CNY went to 1 other need (1 with higher priority)." in text


def test_offer_capacity_in_the_offer_unit():
    # an explicit edge lets a services offer pay for a funds need: 0.01 hours per CNY
    p = problem([need("H", kind="funds", quantity=500, priority=2),
                 need("T", kind="funds", quantity=300)],
                [offer("O1", capacity=5)],
                [edge("H", "O1", use=0.01), edge("T", "O1", use=0.01)])
    e = explain_need(p, baseline(p), "T")
    assert e.unit == "CNY" and e.candidates[0].unit == "hours"
    assert "O1: all 5 hours went to 1 other need (1 with higher priority)." in e.describe()


@pytest.mark.parametrize("seed", range(20))
def test_exclusion_rules_agree_with_candidates(seed):
    """An offer of the need's kind and category is excluded exactly when it is no candidate."""
    rng = random.Random(seed)
    p = parse_problem(random_doc(rng, 12, 8))
    cands = candidate_edges(p)
    pairs = set(zip(cands.need.tolist(), cands.offer.tolist(), strict=True))
    for i, n in enumerate(p.needs):
        for j, o in enumerate(p.offers):
            if (o.kind, o.category) == (n.kind, n.category):
                assert ((i, j) in pairs) == (not _exclusion(n, o).rules)
