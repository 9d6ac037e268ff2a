"""Summary tables of the balance dashboard, one *generation* at a time.

A refresh writes a whole new generation, then switches ``balance_state.generation`` to it and
deletes the old one, in one transaction: readers always see one consistent snapshot. Rows are
rolled up at refresh time, so a county, a prefecture and the province each have their own rows
(``level``) and a page reads its own region's rows only. Months are China-time months
(``'YYYY-MM'``). See docs/oversight.md for the definitions.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Index, Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.common.models import Base

#: Sums of quantities (CNY, item units, hours or sessions) over a whole province.
Quantity = Numeric(16, 2, asdecimal=True)
#: Sums of priority weights (see ``metrics.priority_weight``).
Priority = Numeric(16, 4, asdecimal=True)


class BalanceState(Base):
    """The generation pages read, and when it was built ("as of"). One row (``id`` 1)."""

    __tablename__ = "balance_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    generation: Mapped[int] = mapped_column(Integer)
    #: The time the refresh read the data (UTC): every figure is "as of" this moment.
    refreshed_at: Mapped[datetime]
    #: How long the refresh took.
    seconds: Mapped[Decimal] = mapped_column(Numeric(10, 3, asdecimal=True))
    #: Unique per refresh (generations restart on an emptied database): the cache key.
    token: Mapped[str] = mapped_column(String(32))

    def __repr__(self) -> str:
        return f"<BalanceState generation={self.generation} {self.refreshed_at}>"


class BalanceCell(Base):
    """One region × month × kind × category.

    ``lines`` to ``allocated`` count the lines of needs *published* in the month (cohort);
    ``delivered_qty`` and ``delivered_value_cny`` count what was *delivered* in the month (flow).
    """

    __tablename__ = "balance_cells"

    generation: Mapped[int] = mapped_column(Integer, primary_key=True)
    region_code: Mapped[str] = mapped_column(String(12), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    category: Mapped[str] = mapped_column(String(32), primary_key=True)
    #: ``county``, ``prefecture`` or ``province``.
    level: Mapped[str] = mapped_column(String(16))
    lines: Mapped[int] = mapped_column(Integer, default=0)
    requested: Mapped[Decimal] = mapped_column(Quantity, default=0)
    priority: Mapped[Decimal] = mapped_column(Priority, default=0)
    covered_priority: Mapped[Decimal] = mapped_column(Priority, default=0)
    allocated: Mapped[Decimal] = mapped_column(Quantity, default=0)
    delivered_qty: Mapped[Decimal] = mapped_column(Quantity, default=0)
    delivered_value_cny: Mapped[Decimal] = mapped_column(Quantity, default=0)

    def __repr__(self) -> str:
        return (f"<BalanceCell g{self.generation} {self.region_code} {self.month} "
                f"{self.kind}/{self.category}>")


class BalanceRegionMonth(Base):
    """One region × month: the figures of the top of the page, the trend and the map."""

    __tablename__ = "balance_region_months"
    __table_args__ = (
        # The county rows of a subtree (Gini, worst county, map, urban/rural).
        Index("ix_balance_region_months_level", "generation", "level", "region_code", "month"),
    )

    generation: Mapped[int] = mapped_column(Integer, primary_key=True)
    region_code: Mapped[str] = mapped_column(String(12), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    level: Mapped[str] = mapped_column(String(16))
    #: Counties only: urban district (市辖区) or not; None for prefectures and the province.
    is_urban: Mapped[bool | None]
    needs_published: Mapped[int] = mapped_column(Integer, default=0)
    lines: Mapped[int] = mapped_column(Integer, default=0)
    priority: Mapped[Decimal] = mapped_column(Priority, default=0)
    covered_priority: Mapped[Decimal] = mapped_column(Priority, default=0)
    delivered_funds: Mapped[Decimal] = mapped_column(Quantity, default=0)
    delivered_goods: Mapped[Decimal] = mapped_column(Quantity, default=0)
    delivered_hours: Mapped[Decimal] = mapped_column(Quantity, default=0)
    #: Needs fulfilled in the month (by fulfilment month).
    needs_fulfilled: Mapped[int] = mapped_column(Integer, default=0)
    #: Households whose first delivery of the calendar year falls in the month, and their
    #: members: additive over the months and counties of one year.
    households_new: Mapped[int] = mapped_column(Integer, default=0)
    persons_new: Mapped[int] = mapped_column(Integer, default=0)
    #: ``{"days": needs}``: days from publication to fulfilment (capped at 365) of the needs
    #: fulfilled in the month.
    fulfil_days: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    def __repr__(self) -> str:
        return f"<BalanceRegionMonth g{self.generation} {self.region_code} {self.month}>"


class BalanceCountyNow(Base):
    """Overdue work in one county at the time of the refresh (not by period)."""

    __tablename__ = "balance_county_now"

    generation: Mapped[int] = mapped_column(Integer, primary_key=True)
    county_code: Mapped[str] = mapped_column(String(6), primary_key=True)
    #: Needs still on the board past their deadline.
    overdue_needs: Mapped[int] = mapped_column(Integer, default=0)
    #: Allocations waiting for the provider past their respond-by time.
    overdue_acceptances: Mapped[int] = mapped_column(Integer, default=0)
    #: Accepted allocations with nothing delivered past the line's window end (or the need's
    #: deadline).
    overdue_deliveries: Mapped[int] = mapped_column(Integer, default=0)

    def __repr__(self) -> str:
        return f"<BalanceCountyNow g{self.generation} {self.county_code}>"
