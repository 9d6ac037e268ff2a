"""Builders of small problem and result documents for the matching tests (not a test module)."""

from __future__ import annotations

from typing import Any

from matching.candidates import candidate_edges
from matching.evaluate import Allocation, make_result
from matching.problem import Problem
from matching.reader import parse_problem


def need(id: str, **kw: Any) -> dict:
    """A need document: by default 1 hour of care in district 430102."""
    return {"id": id, "kind": "services", "category": "care", "quantity": 1,
            "region": "430102", **kw}


def offer(id: str, **kw: Any) -> dict:
    """An offer document: by default 10 hours of care, everywhere."""
    return {"id": id, "kind": "services", "category": "care", "capacity": 10, **kw}


def edge(need_id: str, offer_id: str, **kw: Any) -> dict:
    """An explicit edge document."""
    return {"need": need_id, "offer": offer_id, **kw}


def doc(needs: list[dict], offers: list[dict], edges: list[dict] | None = None,
        policy: dict | None = None) -> dict:
    """A problem document."""
    out: dict[str, Any] = {"format": "matching-problem/1", "needs": needs, "offers": offers}
    if edges is not None:
        out["edges"] = edges
    if policy is not None:
        out["policy"] = policy
    return out


def problem(needs: list[dict], offers: list[dict], edges: list[dict] | None = None,
            policy: dict | None = None) -> Problem:
    """A parsed problem."""
    return parse_problem(doc(needs, offers, edges, policy))


def result(p: Problem, allocations: list[tuple[str, str, float]],
           status: str = "feasible", bound: float | None = None) -> dict:
    """A correct result document for the given allocations (built with make_result)."""
    allocs = [Allocation(n, o, q) for n, o, q in allocations]
    return make_result(p, candidate_edges(p), allocs, status, bound, 0.01, {}).to_dict()


def random_doc(rng: Any, n_needs: int = 8, n_offers: int = 4, explicit: bool = False) -> dict:
    """A small random problem document (``rng`` is a ``random.Random``)."""
    regions = ["430102", "430103", "430211"]
    needs, offers = [], []
    for i in range(n_needs):
        kind = rng.choice(["funds", "goods", "services"])
        needs.append(need(
            f"N{i}", kind=kind, category=rng.choice(["care", "food"]),
            quantity=rng.choice([1, 2, 3, 5, 10]) * (100 if kind == "funds" else 1),
            divisible=rng.random() < 0.5, priority=rng.choice([1, 1, 2, 3.5]),
            region=rng.choice(regions), groups=rng.sample(["dibao", "tekun"], rng.randint(0, 1)),
            requires=rng.sample(["nurse"], rng.randint(0, 1))))
    for j in range(n_offers):
        kind = rng.choice(["funds", "goods", "services"])
        offers.append(offer(
            f"O{j}", kind=kind, category=rng.choice(["care", "food"]),
            capacity=rng.choice([1, 2, 4, 8]) * (100 if kind == "funds" else 1),
            regions=rng.sample(["43", "4301", "430211"], rng.randint(0, 1)),
            qualifications=rng.sample(["nurse"], rng.randint(0, 1)),
            groups=rng.sample(["dibao", "tekun"], rng.choice([0, 0, 1])),
            unit_cost=rng.choice([0, 1, 2.5])))
    edges = None
    if explicit:
        edges = [edge(nd["id"], of["id"], use=rng.choice([0.5, 1, 2]), fit=rng.choice([0.3, 1]),
                      cost=rng.choice([-1, 0, 3]))
                 for nd in needs for of in offers if rng.random() < 0.4]
    policy = {"time_limit_s": 2, "coverage_slack": rng.choice([0, 0.01, 0.1]),
              "balance_by": rng.choice(["region", "none"])}
    return doc(needs, offers, edges, policy)
