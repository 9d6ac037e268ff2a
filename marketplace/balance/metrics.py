"""Pure figures of the balance dashboard (no database): shares, the Gini coefficient, the
median of a histogram and the priority weight of a need. Everything is ``Decimal`` (never
float), so the same data give the same digits on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal

from marketplace.needs.models import Urgency
from marketplace.runs.problem import GROUP_WEIGHT, URGENCY_WEIGHT

ZERO = Decimal(0)


def _dec(value: float) -> Decimal:
    """A weight of runs.problem (floats such as 1.3) as the Decimal it is written as."""
    return Decimal(str(value))


def share(num: Decimal | int | None, den: Decimal | int | None) -> Decimal | None:
    """``num / den`` as a Decimal, or None when there is nothing to divide by."""
    if num is None or not den:
        return None
    return Decimal(num) / Decimal(den)


def gini(values: Sequence[Decimal]) -> Decimal | None:
    """The Gini coefficient Σᵢ Σⱼ |xᵢ − xⱼ| / (2 n² x̄), each value counting once.

    None with fewer than two values or a mean of zero (no spread to measure). Computed on the
    sorted values in O(n log n): Σᵢ Σⱼ |xᵢ − xⱼ| = 2 Σᵢ (2i − n + 1) xᵢ for ascending xᵢ.
    """
    xs = sorted(Decimal(v) for v in values)
    n = len(xs)
    if n < 2:
        return None
    total = sum(xs, ZERO)
    if total == 0:
        return None
    pairs = 2 * sum(((2 * i - n + 1) * x for i, x in enumerate(xs)), ZERO)
    # 2 n² x̄ = 2 n · total
    return pairs / (2 * n * total)


def median_from_histogram(counts: Mapping[int, int]) -> Decimal | None:
    """The median of values given as ``{value: how many}``; for an even count the mean of the
    two middle values (so x.5 is possible). None when empty."""
    items = sorted((int(k), int(v)) for k, v in counts.items() if int(v) > 0)
    total = sum(v for _, v in items)
    if total == 0:
        return None
    # 0-based positions of the middle value(s)
    lo, hi = (total - 1) // 2, total // 2
    low = high = None
    seen = 0
    for value, count in items:
        if low is None and lo < seen + count:
            low = value
        if hi < seen + count:
            high = value
            break
        seen += count
    assert low is not None and high is not None
    return (Decimal(low) + Decimal(high)) / 2


def merge_histograms(histograms: Iterable[Mapping[str | int, int]]) -> dict[int, int]:
    """Add up ``{days: needs}`` histograms (JSON keys are strings)."""
    merged: dict[int, int] = {}
    for histogram in histograms:
        for key, count in (histogram or {}).items():
            merged[int(key)] = merged.get(int(key), 0) + int(count)
    return merged


#: Urgency weights of the matching engine (runs/problem.py), as Decimals.
URGENCY_WEIGHTS = {str(k): _dec(v) for k, v in URGENCY_WEIGHT.items()}
#: Group weights of the matching engine, as Decimals.
GROUP_WEIGHTS = {k: _dec(v) for k, v in GROUP_WEIGHT.items()}


def priority_weight(urgency: str, groups: Iterable[str] | None) -> Decimal:
    """The dashboard's priority of a need: the urgency weight × the highest weight of the
    household's groups (runs.problem.priority without the deadline factor, which changes every
    day: see docs/oversight.md)."""
    weight = URGENCY_WEIGHTS.get(str(urgency), URGENCY_WEIGHTS[str(Urgency.normal)])
    return weight * max((GROUP_WEIGHTS.get(g, Decimal(1)) for g in groups or ()),
                        default=Decimal(1))
