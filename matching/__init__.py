"""Matching engine: allocate offers (funds, goods, services) to household needs.

Pure Python + OR-Tools; knows nothing of the web site. Contract: shared/specs/matching-format.md.
"""

from .candidates import Candidates, candidate_edges
from .check import CheckReport, check, parse_result
from .evaluate import Allocation, Result, evaluate, make_result
from .explain import NeedExplanation, explain_need
from .greedy import baseline
from .problem import Edge, Need, Offer, Policy, Problem, ProblemError
from .reader import parse_problem, read_problem
from .solve import solve

__all__ = [
    "Allocation", "Candidates", "CheckReport", "Edge", "Need", "NeedExplanation", "Offer",
    "Policy", "Problem", "ProblemError", "Result", "baseline", "candidate_edges", "check",
    "evaluate", "explain_need", "make_result", "parse_problem", "parse_result", "read_problem",
    "solve",
]
