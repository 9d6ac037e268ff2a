"""Matching engine: allocate offers (funds, goods, services) to household needs.

Pure Python + OR-Tools; knows nothing of the web site. Contract: shared/specs/matching-format.md.
"""

import sys
import types

from .candidates import Candidates, candidate_edges
from .check import CheckReport, check, parse_result
from .evaluate import Allocation, Result, evaluate, make_result
from .explain import NeedExplanation, explain_need
from .greedy import baseline
from .problem import Edge, Need, Offer, Policy, Problem, ProblemError
from .reader import parse_problem, read_problem

__all__ = [
    "Allocation", "Candidates", "CheckReport", "Edge", "Need", "NeedExplanation", "Offer",
    "Policy", "Problem", "ProblemError", "Result", "baseline", "candidate_edges", "check",
    "evaluate", "explain_need", "make_result", "parse_problem", "parse_result", "read_problem",
    "solve",
]


class _Package(types.ModuleType):
    """The package module, made to load the optimiser lazily.

    ``solve`` (OR-Tools and its dependencies: half a second to import) is imported on first
    use, so ``check``, ``baseline`` and ``explain`` stay quick for the command line. Importing
    the submodule ``matching.solve`` binds the package attribute ``solve`` to that module;
    this rebinds it to the function, as an eager ``from .solve import solve`` would.
    """

    def __setattr__(self, name: str, value: object) -> None:
        if name == "solve" and isinstance(value, types.ModuleType):
            value = value.solve
        super().__setattr__(name, value)

    def __getattr__(self, name: str) -> object:
        if name == "solve":
            from .solve import solve  # noqa: F401 - the import binds self.solve

            return self.__dict__["solve"]
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


sys.modules[__name__].__class__ = _Package
