"""A matching run, what it proposed, and the documents it read and wrote.

A run goes queued → running (stage building → solving → storing, with a progress
percentage and a heartbeat the worker refreshes) → done, or failed with a reason. An
officer then approves all or part of a done run or discards it. Approval is a job too:
done → committing (stage committing, progress and heartbeat again) → committed; an approval
that fails or whose worker dies returns the run to done with the reason in ``error``. The problem,
the optimiser's result and the greedy baseline are kept as gzip'd JSON in ``run_documents``
(a 50,000-line problem is tens of megabytes of JSON): the database is the one store both
the web processes and workers on other machines can read.
"""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.common.models import Base, TimestampMixin, enum_type


class RunStatus(enum.StrEnum):
    queued = "queued"
    running = "running"  # see ``stage`` and ``progress``
    done = "done"  # result ready for review
    failed = "failed"  # ``error`` says why
    committing = "committing"  # an approval job is creating the allocations
    committed = "committed"  # all or part of it became allocations
    discarded = "discarded"


class RunStage(enum.StrEnum):
    building = "building"  # the problem from the database
    solving = "solving"  # the optimiser and the greedy baseline
    storing = "storing"  # the proposed assignments into the database
    committing = "committing"  # the approved pairs into allocations, re-checked


#: Runs a worker is (or should be) working on.
ACTIVE = frozenset({RunStatus.queued, RunStatus.running, RunStatus.committing})


class MatchingRun(TimestampMixin, Base):
    __tablename__ = "matching_runs"
    __scope_region__ = "region_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The region the run covers: province, prefecture or county code.
    region_code: Mapped[str] = mapped_column(String(12), index=True)
    #: Line kinds and categories included; an empty list means all.
    kinds: Mapped[list[str]] = mapped_column(JSON, default=list)
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: ``coverage_slack`` (0–1), ``balance`` (bool), ``time_limit_s`` (seconds): the
    #: matching-format policy the officer chose.
    policy: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[RunStatus] = mapped_column(enum_type(RunStatus, 16), index=True,
                                              default=RunStatus.queued)
    stage: Mapped[RunStage | None] = mapped_column(enum_type(RunStage, 16))
    progress: Mapped[int] = mapped_column(Integer, default=0)  # 0–100
    #: Refreshed by the worker while it works; a stale one means the worker died.
    heartbeat_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    #: Why the run failed, in words for the officer; on a done run, why its last approval
    #: failed (nothing of it was kept).
    error: Mapped[str] = mapped_column(Text, default="")
    job_id: Mapped[str | None] = mapped_column(String(64))
    #: Figures for the review page: coverage, balance and cost of the optimiser and of the
    #: greedy baseline, the proven bound, per-county rows, stage timings.
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    lines_count: Mapped[int] = mapped_column(Integer, default=0)
    offers_count: Mapped[int] = mapped_column(Integer, default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    committed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    committed_at: Mapped[datetime | None]

    def __repr__(self) -> str:
        return f"<MatchingRun {self.id} {self.region_code} {self.status}>"


class AssignmentDecision(enum.StrEnum):
    proposed = "proposed"  # in the run's result, not committed yet
    committed = "committed"  # became ``allocation_id``
    left_out = "left_out"  # not committed: ``reason`` says why (changed since, or not chosen)


class RunAssignment(Base):
    """One pair the optimiser proposed: a quantity of an offer for a need line."""

    __tablename__ = "run_assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(
        ForeignKey("matching_runs.id", ondelete="CASCADE"), index=True)
    need_line_id: Mapped[int] = mapped_column(ForeignKey("need_lines.id"), index=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id"), index=True)
    #: In the line's unit (CNY, item units, hours/sessions).
    quantity: Mapped[Decimal]
    fit: Mapped[float] = mapped_column(Float)
    #: The need's county, for per-county review and partial approval.
    county_code: Mapped[str] = mapped_column(String(6), index=True)
    decision: Mapped[AssignmentDecision] = mapped_column(
        enum_type(AssignmentDecision, 16), default=AssignmentDecision.proposed)
    reason: Mapped[str] = mapped_column(Text, default="")
    allocation_id: Mapped[int | None] = mapped_column(ForeignKey("allocations.id"))


class RunDocument(Base):
    """The problem, result or baseline of a run: gzip'd JSON in the matching format."""

    __tablename__ = "run_documents"
    __table_args__ = (UniqueConstraint("run_id", "name", name="run_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(
        ForeignKey("matching_runs.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(16))  # "problem", "result", "baseline"
    data: Mapped[bytes] = mapped_column(LargeBinary)
