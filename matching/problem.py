"""Shared types of the matching engine: the problem as the engine sees it.

The external contract is ``shared/specs/matching-format.md``; these dataclasses are the
validated, defaults-applied form of a ``matching-problem/1`` document (see ``reader.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["funds", "goods", "services"]
KINDS: tuple[str, ...] = ("funds", "goods", "services")
BALANCE_BY: tuple[str, ...] = ("region", "none")


class ProblemError(ValueError):
    """Invalid problem or result document; ``str(err)`` is the spec's one-line message."""


@dataclass(frozen=True, slots=True)
class Need:
    """One household need: ``quantity`` of ``kind``/``category`` (and ``item``) in ``region``."""

    id: str
    kind: str
    category: str
    item: str | None
    quantity: float
    divisible: bool
    priority: float
    region: str
    groups: tuple[str, ...]
    requires: tuple[str, ...]
    household: str | None


@dataclass(frozen=True, slots=True)
class Offer:
    """One provider offer: up to ``capacity`` units of ``kind``/``category`` in ``regions``."""

    id: str
    kind: str
    category: str
    item: str | None
    capacity: float
    regions: tuple[str, ...]
    qualifications: tuple[str, ...]
    groups: tuple[str, ...]
    unit_cost: float
    provider: str | None


@dataclass(frozen=True, slots=True)
class Edge:
    """Explicit candidate edge, by INDEX into ``problem.needs`` / ``problem.offers``."""

    need: int
    offer: int
    use: float
    cost: float
    fit: float


@dataclass(frozen=True, slots=True)
class Policy:
    """Solve policy: time budget, coverage slack for balance/cost, balance grouping."""

    time_limit_s: float = 30.0
    coverage_slack: float = 0.01
    balance_by: str = "region"  # or "none"


@dataclass(frozen=True, slots=True)
class Problem:
    """A validated matching problem. ``edges`` is None when candidates derive from attributes.

    ``need_index`` / ``offer_index`` map ids to positions; they are built in ``__post_init__``
    (slots rule out ``cached_property``) and take no part in equality or hashing.
    """

    needs: tuple[Need, ...]
    offers: tuple[Offer, ...]
    edges: tuple[Edge, ...] | None
    policy: Policy = field(default_factory=Policy)
    need_index: dict[str, int] = field(default=None, compare=False, repr=False)  # type: ignore[assignment]
    offer_index: dict[str, int] = field(default=None, compare=False, repr=False)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        # frozen: assign the derived indexes through object.__setattr__
        if self.need_index is None:
            object.__setattr__(self, "need_index", {n.id: i for i, n in enumerate(self.needs)})
        if self.offer_index is None:
            object.__setattr__(self, "offer_index", {o.id: i for i, o in enumerate(self.offers)})
