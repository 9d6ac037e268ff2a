"""Small shared pieces of the optimiser: the time budget, progress reports, problem arrays."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .evaluate import need_arrays, region_codes
from .problem import Problem

Progress = Callable[[str, float], None] | None


class Budget:
    """Wall-clock budget of one solve, shared by all its stages."""

    def __init__(self, seconds: float) -> None:
        self.start = time.monotonic()
        self.limit = float(seconds)

    def elapsed(self) -> float:
        """Seconds since the solve started."""
        return time.monotonic() - self.start

    def left(self) -> float:
        """Seconds left (never negative)."""
        return max(0.0, self.limit - self.elapsed())

    def share(self, fraction: float, floor: float = 0.05) -> float:
        """A fraction of what is left, at least ``floor`` seconds unless nothing is left."""
        left = self.left()
        return min(left, max(floor, fraction * left))


@dataclass
class Arrays:
    """The numbers of a problem the solvers work with, as numpy arrays."""

    q: np.ndarray  # need quantity
    p: np.ndarray  # need priority
    divisible: np.ndarray
    group: np.ndarray  # balance group (region) code per need
    group_names: list[str]
    capacity: np.ndarray
    group_priority: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.group_priority = np.bincount(self.group, weights=self.p,
                                          minlength=len(self.group_names))


def problem_arrays(problem: Problem) -> Arrays:
    """Arrays of needs and offers in input order."""
    q, p = need_arrays(problem)
    names, codes = region_codes(problem)
    div = np.fromiter((n.divisible for n in problem.needs), dtype=bool, count=len(problem.needs))
    cap = np.fromiter((o.capacity for o in problem.offers), dtype=np.float64,
                      count=len(problem.offers))
    return Arrays(q=q, p=p, divisible=div, group=codes, group_names=names, capacity=cap)


def report(progress: Progress, stage: str, fraction: float) -> None:
    """Call the progress callback, if any."""
    if progress is not None:
        progress(stage, min(1.0, max(0.0, fraction)))


def coverage_of(x: np.ndarray, cands, a: Arrays) -> float:
    """Coverage C of the per-edge quantities ``x``."""
    return float(np.dot(a.p[cands.need] * cands.fit / a.q[cands.need], x))


def group_shares(x: np.ndarray, cands, a: Arrays) -> np.ndarray:
    """Coverage share of every balance group."""
    val = a.p[cands.need] * cands.fit / a.q[cands.need] * x
    g = np.bincount(a.group[cands.need], weights=val, minlength=len(a.group_names))
    return g / np.where(a.group_priority > 0, a.group_priority, 1.0)


def coverage_floor(best: float, slack: float) -> float:
    """The coverage later levels must keep: (1 - slack) * best, exactly when slack leaves room,
    a hair below best (solver tolerance) when slack is zero."""
    if slack > 0:
        return (1 - slack) * best
    return best - 1e-9 * max(abs(best), 1.0)
