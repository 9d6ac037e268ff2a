"""The plain results of the balance queries: NamedTuples and frozen dataclasses of ``int``,
``Decimal`` or None (never ORM objects), safe to cache and share between threads."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple


class Amounts(NamedTuple):
    """Delivered funds (CNY), goods (item units) and services (hours or sessions)."""

    funds: Decimal | None
    goods: Decimal | None
    hours: Decimal | None

    def __getitem__(self, key: Any) -> Any:  # also ``amounts["funds"]``
        return getattr(self, key) if isinstance(key, str) else tuple.__getitem__(self, key)


class Overdue(NamedTuple):
    """Overdue work at the time of the refresh."""

    needs: int
    acceptances: int
    deliveries: int

    def __getitem__(self, key: Any) -> Any:
        return getattr(self, key) if isinstance(key, str) else tuple.__getitem__(self, key)


@dataclass(frozen=True)
class Figures:
    """The figures of one region (or group of counties) over one period."""

    needs_published: int
    lines: int
    priority: Decimal
    covered_priority: Decimal
    #: Σ covered priority / Σ priority of the lines of needs published in the period.
    coverage: Decimal | None
    delivered: Amounts
    #: Households that received a first delivery in the period, and their members.
    households: int
    persons: int
    per_household: Amounts
    per_capita: Amounts
    #: Median whole days from publication to fulfilment of the needs fulfilled in the period.
    median_days: Decimal | None
    needs_fulfilled: int
    overdue: Overdue


@dataclass(frozen=True)
class RegionFigures:
    code: str
    name_zh: str
    name_en: str
    #: Counties only (None for a prefecture).
    is_urban: bool | None
    figures: Figures


@dataclass(frozen=True)
class Balance:
    """How evenly coverage is spread over the counties in scope that had needs."""

    gini: Decimal | None
    worst_code: str | None
    worst_coverage: Decimal | None
    #: county code → coverage (None when the county had no needs in the period).
    counties: Mapping[str, Decimal | None]


class MonthPoint(NamedTuple):
    month: str
    coverage: Decimal | None
    gini: Decimal | None
    worst_code: str | None
    worst_coverage: Decimal | None
    needs_published: int


class CategoryFigures(NamedTuple):
    kind: str
    category: str
    lines: int
    requested: Decimal
    allocated: Decimal
    coverage: Decimal | None
    #: Delivered in the period, in the kind's unit; and its value in CNY where known.
    delivered: Decimal
    delivered_value_cny: Decimal


class PublicRow(NamedTuple):
    county_code: str
    category: str
    kind: str
    lines: int
    coverage: Decimal | None
    delivered: Decimal


class StateInfo(NamedTuple):
    """The summary generation pages read and its "as of" time (UTC)."""

    generation: int
    refreshed_at: datetime
    seconds: Decimal
    #: Unique per refresh: the key of cached results (generations restart on an emptied
    #: database, refresh times may repeat in tests).
    token: str
