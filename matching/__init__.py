"""Matching engine: allocate offers (funds, goods, services) to household needs.

Pure Python + OR-Tools; knows nothing of the web site. Contract: shared/specs/matching-format.md.
"""

from .problem import Edge, Need, Offer, Policy, Problem, ProblemError
from .reader import parse_problem, read_problem

__all__ = [
    "Edge", "Need", "Offer", "Policy", "Problem", "ProblemError", "parse_problem", "read_problem",
]
