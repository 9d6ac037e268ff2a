"""The public API of the package, and its lazy optimiser import."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import matching

ROOT = Path(__file__).resolve().parents[2]


def test_public_names():
    for name in ("Problem", "Need", "Offer", "Edge", "Policy", "ProblemError", "parse_problem",
                 "read_problem", "candidate_edges", "Result", "Allocation", "solve", "baseline",
                 "check", "explain_need"):
        assert name in matching.__all__ and getattr(matching, name) is not None
    assert callable(matching.solve) and matching.solve.__name__ == "solve"


@pytest.mark.parametrize("code", [
    "import matching, sys; assert 'ortools' not in sys.modules",
    "from matching import solve; assert callable(solve) and solve.__name__ == 'solve'",
    "from matching.solve import solve as s; import matching; from matching import solve; "
    "assert solve is s and matching.solve is s",
    "from matching import *; assert solve.__name__ == 'solve'",
])
def test_solve_is_imported_lazily_but_always_the_function(code):
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
