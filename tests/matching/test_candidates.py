"""Candidate generation: each compatibility rule, explicit edges, and brute-force agreement."""

import random

import numpy as np

from matching.candidates import candidate_edges
from matching.problem import Edge, Need, Offer, Policy, Problem


def need(i, kind="goods", category="food", item=None, region="430102", groups=(), requires=()):
    return Need(id=f"N{i}", kind=kind, category=category, item=item, quantity=1.0,
                divisible=True, priority=1.0, region=region, groups=tuple(groups),
                requires=tuple(requires), household=None)


def offer(j, kind="goods", category="food", item=None, regions=(), quals=(), groups=(), cost=0.0):
    return Offer(id=f"O{j}", kind=kind, category=category, item=item, capacity=10.0,
                 regions=tuple(regions), qualifications=tuple(quals), groups=tuple(groups),
                 unit_cost=cost, provider=None)


def pairs(needs, offers, edges=None):
    cands = candidate_edges(Problem(tuple(needs), tuple(offers), edges, Policy()))
    return list(zip(cands.need.tolist(), cands.offer.tolist(), strict=True))


def test_kind_and_category_must_match():
    offers = [offer(0), offer(1, kind="funds"), offer(2, category="medical")]
    assert pairs([need(0)], offers) == [(0, 0)]


def test_item_must_match_only_when_both_set():
    offers = [offer(0, item="rice"), offer(1, item="oil"), offer(2)]
    expected = [(0, 0), (0, 2), (1, 0), (1, 1), (1, 2)]
    assert pairs([need(0, item="rice"), need(1)], offers) == expected


def test_region_entry_serves_by_prefix_and_empty_serves_everywhere():
    offers = [offer(0, regions=["43"]), offer(1, regions=["4301"]), offer(2, regions=["430103"]),
              offer(3), offer(4, regions=["4302", "430102"]), offer(5, regions=["44"])]
    assert pairs([need(0, region="430102")], offers) == [(0, 0), (0, 1), (0, 3), (0, 4)]


def test_qualifications_must_contain_every_requirement():
    offers = [offer(0, quals=["nurse"]), offer(1, quals=["nurse", "driver"]), offer(2)]
    needs = [need(0, requires=["nurse", "driver"]), need(1, requires=["nurse"]), need(2)]
    assert pairs(needs, offers) == [(0, 1), (1, 0), (1, 1), (2, 0), (2, 1), (2, 2)]


def test_offer_groups_restrict_to_needs_sharing_a_group():
    offers = [offer(0, groups=["dibao"]), offer(1, groups=["orphan", "tekun"]), offer(2)]
    needs = [need(0, groups=["dibao"]), need(1, groups=["tekun", "elderly_alone"]), need(2)]
    assert pairs(needs, offers) == [(0, 0), (0, 2), (1, 1), (1, 2), (2, 2)]


def test_explicit_edges_are_exactly_the_candidates_whatever_the_attributes():
    needs = [need(0), need(1, kind="funds")]
    offers = [offer(0, kind="services"), offer(1, cost=3.0)]
    edges = (Edge(need=1, offer=1, use=2.0, cost=-1.5, fit=0.5), Edge(need=0, offer=0, use=1.0,
                                                                      cost=0.0, fit=1.0))
    cands = candidate_edges(Problem(tuple(needs), tuple(offers), edges, Policy()))
    assert cands.need.tolist() == [0, 1] and cands.offer.tolist() == [0, 1]
    assert cands.use.tolist() == [1.0, 2.0] and cands.cost.tolist() == [0.0, -1.5]
    assert cands.fit.tolist() == [1.0, 0.5] and cands.starts.tolist() == [0, 1, 2]


def test_derived_edges_carry_unit_cost_use_one_fit_one():
    cands = candidate_edges(Problem((need(0),), (offer(0, cost=2.5),), None, Policy()))
    assert cands.cost.tolist() == [2.5] and cands.use.tolist() == [1.0]
    assert cands.fit.tolist() == [1.0]


def test_no_candidates_gives_empty_arrays():
    cands = candidate_edges(Problem((need(0), need(1)), (), None, Policy()))
    assert len(cands) == 0 and cands.starts.tolist() == [0, 0, 0]
    assert cands.of_need(1) == slice(0, 0)


def compatible(n, o):
    return (n.kind == o.kind and n.category == o.category
            and (n.item is None or o.item is None or n.item == o.item)
            and (not o.regions or any(n.region.startswith(r) for r in o.regions))
            and set(n.requires) <= set(o.qualifications)
            and (not o.groups or bool(set(o.groups) & set(n.groups))))


def test_random_problem_equals_brute_force_cross_product():
    rng = random.Random(7)
    regions = ["430102", "430103", "430202", "430211", "431102"]
    prefixes = ["43", "4301", "4302", "430102", "430211", "4311"]
    words = ["a", "b", "c"]

    def pick(pool, k):
        return rng.sample(pool, rng.randint(0, k))

    needs = [need(i, kind=rng.choice(["goods", "services"]), category=rng.choice(["food", "care"]),
                  item=rng.choice([None, "rice", "oil"]), region=rng.choice(regions),
                  groups=pick(words, 2), requires=pick(words, 2)) for i in range(300)]
    offers = [offer(j, kind=rng.choice(["goods", "services"]),
                    category=rng.choice(["food", "care"]), item=rng.choice([None, "rice", "oil"]),
                    regions=pick(prefixes, 2), quals=pick(words, 3), groups=pick(words, 1))
              for j in range(60)]
    expected = [(i, j) for i, n in enumerate(needs) for j, o in enumerate(offers)
                if compatible(n, o)]
    got = pairs(needs, offers)
    assert got == expected
    assert len(expected) > 500  # the random draw exercises a real mix, not an empty graph
    cands = candidate_edges(Problem(tuple(needs), tuple(offers), None, Policy()))
    assert np.all(np.diff(cands.starts) >= 0) and cands.starts[-1] == len(expected)
