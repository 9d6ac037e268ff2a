"""The generated audit trail: thinned per county, merged by time, chained, bulk written.

Each county's events (tuples ``(at, actor_id, actor_role, action, object_type, object_id,
region_code, note, before, after)``) are kept with a probability that aims at the target count
and written, sorted by ``at``, to a temporary file in pickled chunks. :func:`write_chain` merges
the files by time (``heapq.merge``: one chunk per county in memory), selects exactly the target
count (selection sampling, when more were kept) or tops the trail up with ID-number reads
(when fewer), and numbers and hashes the events after the chain's current head with
:func:`marketplace.audit.chain.link`, exactly as the before-commit listener of
``marketplace.audit.services`` would, in one transaction that holds the chain's lock.
"""

from __future__ import annotations

import heapq
import pickle
import random
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select

from marketplace.audit import chain
from marketplace.audit.services import CHAIN_LOCK_KEY
from marketplace.extensions import db
from marketplace.scale.generator import _copy, _plain

#: Events per pickled chunk and per write.
CHUNK = 10_000
#: Keep a little more than the estimate asks, so the merge trims rather than tops up.
MARGIN = 1.03
#: Households remembered for top-up events.
RESERVOIR = 5_000
COLUMNS = ("at", "actor_id", "actor_role", "action", "object_type", "object_id", "region_code",
           "note", "before", "after")


class Thinning:
    """Keeps each county's events with the probability that leads to ``target`` overall."""

    def __init__(self, target: int, total_lines: int):
        self.target = target
        self.total_lines = total_lines
        self.lines_seen = 0
        self.candidates = 0
        self.kept = 0
        self.households: list[tuple[int, str, int]] = []
        self._households_seen = 0

    def remember(self, rng: random.Random, need: dict[str, Any], caseworker: int) -> None:
        """Reservoir-sample the households (for top-up events)."""
        self._households_seen += 1
        item = (need["household_id"], need["region_code"], caseworker)
        if len(self.households) < RESERVOIR:
            self.households.append(item)
        elif (slot := rng.randrange(self._households_seen)) < RESERVOIR:
            self.households[slot] = item

    def keep(self, rng: random.Random, events: list[tuple], lines: int, path: Path) -> int:
        """Write the kept share of one county's ``events`` (``lines`` lines) to ``path``."""
        rate = (self.candidates + len(events)) / max(1, self.lines_seen + lines)
        expected = len(events) + rate * max(0, self.total_lines - self.lines_seen - lines)
        share = min(1.0, MARGIN * max(0, self.target - self.kept) / max(1.0, expected))
        kept = events if share >= 1.0 else [e for e in events if rng.random() < share]
        kept.sort(key=lambda e: e[0])
        with path.open("wb") as handle:
            for start in range(0, len(kept), CHUNK):
                pickle.dump(kept[start:start + CHUNK], handle, pickle.HIGHEST_PROTOCOL)
        self.lines_seen += lines
        self.candidates += len(events)
        self.kept += len(kept)
        return len(kept)


def _read(path: Path) -> Iterator[tuple]:
    with path.open("rb") as handle:
        while True:
            try:
                chunk = pickle.load(handle)
            except EOFError:
                return
            yield from chunk


def _top_up(rng: random.Random, thinning: Thinning, count: int, now: datetime) -> list[tuple]:
    """``count`` caseworkers' reads of a household member's ID number over the past year."""
    if count <= 0 or not thinning.households:
        return []
    events = []
    for _ in range(count):
        household, region, caseworker = rng.choice(thinning.households)
        at = now - timedelta(seconds=rng.uniform(0, 365 * 86400))
        events.append((at, caseworker, "caseworker", "household.read_id_number", "households",
                       str(household), region, "", None, None))
    events.sort(key=lambda e: e[0])
    return events


def _selected(events: Iterable[tuple], rng: random.Random, total: int,
              wanted: int) -> Iterator[tuple]:
    """Exactly ``wanted`` of ``total`` events, each equally likely, order kept (Knuth's
    selection sampling)."""
    seen = 0
    chosen = 0
    for event in events:
        if chosen >= wanted:
            return
        if rng.random() * (total - seen) < wanted - chosen:
            chosen += 1
            yield event
        seen += 1


def write_chain(rng: random.Random, files: list[Path], thinning: Thinning, target: int,
                now: datetime, next_id: int) -> int:
    """Merge, select, number, hash and write the trail; returns the events written."""
    streams: list[Iterable[tuple]] = [_read(path) for path in files]
    streams.append(_top_up(rng, thinning, target - thinning.kept, now))
    merged: Iterable[tuple] = heapq.merge(*streams, key=lambda e: e[0])
    if thinning.kept > target:
        merged = _selected(merged, rng, thinning.kept, target)
    table = _plain(db.metadata.tables["audit_events"])
    written = 0
    with db.engine.begin() as conn:
        postgres = conn.dialect.name == "postgresql"
        if postgres:
            conn.execute(select(func.pg_advisory_xact_lock(CHAIN_LOCK_KEY)))
        head = conn.execute(select(table.c.seq, table.c.hash).where(table.c.seq.is_not(None))
                            .order_by(table.c.seq.desc()).limit(1)).first()
        seq, prev = (head.seq, head.hash) if head else (0, chain.GENESIS)
        batch: list[dict[str, Any]] = []
        for event in merged:
            seq += 1
            row = dict(zip(COLUMNS, event, strict=True))
            row["seq"] = seq
            digest = chain.link(prev, row)
            row.update(id=next_id, prev_hash=prev, hash=digest)
            next_id += 1
            prev = digest
            batch.append(row)
            if len(batch) == CHUNK:
                _insert(conn, table, batch, postgres)
                written += len(batch)
                batch = []
        _insert(conn, table, batch, postgres)
        written += len(batch)
    return written


def _insert(conn, table, rows: list[dict[str, Any]], postgres: bool) -> None:
    if not rows:
        return
    if postgres:
        _copy(conn, table, rows)
    else:
        conn.execute(insert(table), rows)
