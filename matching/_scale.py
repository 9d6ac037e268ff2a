"""Integer coefficients for CP-SAT, exact when the data allow it, safe when they do not."""

from __future__ import annotations

import math

import numpy as np

POWERS = (1.0, 10.0, 100.0, 1e3, 1e4, 1e5, 1e6)


def exact_scale(values: np.ndarray, limit: float = 2.0 ** 50) -> float | None:
    """Smallest power of ten turning every value into an integer, or None."""
    if values.size == 0:
        return 1.0
    top = float(np.max(np.abs(values)))
    for s in POWERS:
        if top * s > limit:
            return None
        v = values * s
        if np.all(v == np.round(v)):
            return s
    return None


def scale_weights(values: np.ndarray, target: float = 1e6) -> tuple[np.ndarray, float, bool]:
    """Integers proportional to ``values`` (objective weights).

    Returns (integers, scale, exact): value ~= integer / scale; exact when no rounding happened.
    """
    s = exact_scale(values, limit=1e12)
    if s is not None:
        return np.round(values * s).astype(np.int64), s, True
    top = float(np.max(np.abs(values))) if values.size else 1.0
    s = target / top if top > 0 else 1.0
    return np.round(values * s).astype(np.int64), s, False


def scale_capacity(use: np.ndarray, capacity: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool]:
    """Integer uses and capacities with sum(use_int) <= cap_int implying sum(use) <= cap.

    Exact when a power of ten makes all of them integers; otherwise uses round up and
    capacities round down, so an integer-feasible load is always feasible.
    """
    both = np.concatenate((use, capacity))
    s = exact_scale(both, limit=2.0 ** 40)
    if s is not None:
        return np.round(use * s).astype(np.int64), np.round(capacity * s).astype(np.int64), True
    top = float(np.max(capacity)) if capacity.size else 1.0
    s = 1e9 / top if top > 0 else 1.0
    s = 10.0 ** math.floor(math.log10(s))
    use_i = np.ceil(use * s * (1 + 1e-12)).astype(np.int64)
    cap_i = np.floor(capacity * s * (1 - 1e-12)).astype(np.int64)
    return use_i, np.maximum(cap_i, 0), False
