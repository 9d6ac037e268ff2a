"""Invariants of the synthetic Hunan generator (benchmarks/synthetic.py) on a small size."""

import json

import pytest

from benchmarks import synthetic
from matching.reader import parse_problem

N, M = 1500, 150


@pytest.fixture(scope="module")
def problem():
    return synthetic.generate(N, M, seed=7, time_limit_s=5)


def test_valid_per_reader(problem):
    parsed = parse_problem(problem)
    assert len(parsed.needs) == N and len(parsed.offers) == M
    assert parsed.edges is None
    assert parsed.policy.balance_by == "region" and parsed.policy.time_limit_s == 5
    assert {n.kind for n in parsed.needs} == {"funds", "goods", "services"}
    assert all(not n.divisible for n in parsed.needs if n.kind == "services")
    assert all(1 <= n.priority <= 3 for n in parsed.needs)


def test_supply_is_about_70_percent_of_demand_per_kind(problem):
    ratios = synthetic.supply_demand(problem)
    assert set(ratios) == {"funds", "goods", "services"}
    for kind, r in ratios.items():
        assert 0.65 <= r <= 0.75, (kind, r)


def test_deterministic_by_seed():
    a = synthetic.generate(300, 30, seed=3)
    b = synthetic.generate(300, 30, seed=3)
    c = synthetic.generate(300, 30, seed=4)
    assert json.dumps(a) == json.dumps(b)
    assert json.dumps(a) != json.dumps(c)


def test_regions_are_real_hunan_codes(problem):
    divisions = synthetic.hunan_divisions()
    assert len(divisions) == 14 and sum(len(v) for v in divisions.values()) == 122
    counties = {c.code for v in divisions.values() for c in v}
    assert "433101" in counties and "430102" in counties  # 吉首市, 芙蓉区
    assert all(n["region"] in counties for n in problem["needs"])
    levels = set()
    for o in problem["offers"]:
        (region,) = o["regions"]
        assert region == "43" or region in divisions or region in counties
        levels.add(len(region))
    assert levels == {2, 4, 6}


def test_needs_lean_to_poor_prefectures_supply_to_rich(problem):
    poor, rich = ("4331", "4312", "4305", "4308", "4311"), ("4301", "4302", "4303")
    needs = problem["needs"]
    poor_share = sum(n["region"][:4] in poor for n in needs) / len(needs)
    rich_share = sum(n["region"][:4] in rich for n in needs) / len(needs)
    assert poor_share > 0.45 and rich_share < 0.12
    local = [o for o in problem["offers"] if len(o["regions"][0]) > 2]
    rich_cap = sum(o["capacity"] for o in local if o["regions"][0][:4] in rich)
    poor_cap = sum(o["capacity"] for o in local if o["regions"][0][:4] in poor)
    assert rich_cap > poor_cap


def test_restrictions_and_sizes(problem):
    needs, offers = problem["needs"], problem["offers"]
    assert any(n.get("requires") for n in needs if n["kind"] == "services")
    assert all(not n.get("requires") for n in needs if n["kind"] != "services")
    restricted = [o for o in offers if o.get("groups")]
    assert restricted and all(set(o["groups"]) <= set(synthetic.DONOR_GROUPS) for o in restricted)
    funds = [n["quantity"] for n in needs if n["kind"] == "funds"]
    assert 200 <= min(funds) and max(funds) <= 5000
    hours = [n["quantity"] for n in needs if n["kind"] == "services"]
    assert 2 <= min(hours) and max(hours) <= 40
    assert {n.get("item") for n in needs if n["kind"] == "goods"} >= {"rice", "oil", "quilt"}


def test_cli_writes_problem(tmp_path):
    out = tmp_path / "p.json"
    assert synthetic.main(["--needs", "200", "--offers", "20", "--seed", "2", "-o", str(out)]) == 0
    parsed = parse_problem(json.loads(out.read_text(encoding="utf-8")))
    assert len(parsed.needs) == 200 and parsed.policy.time_limit_s == 30
