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
