"""Pagination that never counts more than a cap of rows.

An exact COUNT(*) of the board across the province joins millions of lines on every request.
:func:`capped_page` fetches one row more than the page (so it knows whether a next page
exists) and counts at most ``cap + 1`` rows, and only when the page itself cannot tell: when
there is no next page the total is known, and when the rows already reach past the cap the
count would say nothing new. The object has what the ``pager`` macro of ``_macros.html``
reads (``pages``, ``page``, ``has_prev``/``prev_num``, ``has_next``/``next_num``,
``iter_pages()``); past the cap the pager ends with "…" and a "Next" link instead of a last
page number, and ``total`` is None (``more_than`` holds the cap).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from math import ceil
from typing import Any

from sqlalchemy import Integer, Select, func, literal, select

from marketplace.extensions import db

#: Rows counted at most for a page's total (the page then shows "more than 200"): every
#: counted row costs an index lookup, and 200 rows are ten pages of the default size.
COUNT_CAP = 200


@dataclass
class CappedPagination:
    page: int
    per_page: int
    items: list[Any]
    #: The exact number of rows, or None when there are more than ``more_than``.
    total: int | None
    more_than: int
    #: Whether a row exists after this page (fetched with the page).
    has_next: bool

    @property
    def pages(self) -> int:
        """The last page known to exist (not the last page when ``total`` is None)."""
        if self.total is not None:
            return ceil(self.total / self.per_page)
        known = ceil((self.more_than + 1) / self.per_page)
        return max(known, self.page + 1 if self.has_next else self.page)

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def prev_num(self) -> int | None:
        return self.page - 1 if self.has_prev else None

    @property
    def next_num(self) -> int | None:
        return self.page + 1 if self.has_next else None

    def iter_pages(self, *, edge: int = 2, left: int = 2, right: int = 4
                   ) -> Iterator[int | None]:
        """Page numbers around the current one, None for a gap. The last pages are shown only
        when the total is known; otherwise the numbers end with a gap."""
        last = self.pages
        if last <= 1:
            return
        shown = set(range(1, min(edge, last) + 1))
        shown |= set(range(max(1, self.page - left), min(last, self.page + right) + 1))
        if self.total is not None:
            shown |= set(range(max(1, last - edge + 1), last + 1))
        previous = 0
        for number in sorted(shown):
            if number > previous + 1:
                yield None
            yield number
            previous = number
        if self.total is None:
            yield None

    def __iter__(self) -> Iterator[Any]:
        return iter(self.items)


def capped_page(rows: Select, count: Select, page: int, per_page: int,
                cap: int | None = None) -> CappedPagination:
    """Page ``page`` of the ordered SELECT ``rows``; ``count`` is the same filter without
    extra joins (any columns: only its rows are counted, at most ``cap + 1``; ``COUNT_CAP``
    by default)."""
    cap = COUNT_CAP if cap is None else cap
    page = max(page, 1)
    offset = (page - 1) * per_page
    fetched = db.session.execute(
        rows.offset(_literal(offset)).limit(_literal(per_page + 1))).all()
    has_next = len(fetched) > per_page
    items = fetched[:per_page]
    total: int | None
    if not has_next and (items or page == 1):
        total = offset + len(items)
    elif offset + per_page + 1 > cap:
        total = None  # rows exist beyond the cap: counting would only say "more"
    else:
        counted = db.session.scalar(
            select(func.count()).select_from(count.limit(_literal(cap + 1)).subquery())) or 0
        total = counted if counted <= cap else None
    return CappedPagination(page=page, per_page=per_page, items=items, total=total,
                            more_than=cap, has_next=has_next)


def _literal(number: int):
    """LIMIT and OFFSET: written into the SQL text on PostgreSQL, bound elsewhere.

    PostgreSQL can then reuse one generic plan of a prepared page query (with them bound it
    cannot know that only a few rows are wanted, judges a generic plan too costly and plans
    every execution afresh). SQLite does the opposite: with a literal LIMIT its planner sorts
    every board line of a kind instead of walking the deadline index (90 ms instead of 1 ms
    for a province-wide page at 100,000 households)."""
    if db.engine.dialect.name == "postgresql":
        return literal(number, Integer, literal_execute=True)
    return number
