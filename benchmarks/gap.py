"""Generalized assignment (GAP) benchmark instances as matching problems.

Reads the OR-Library and Yagiura files in ``<shared>/benchmarks/gap/`` (layout in its FORMAT.md),
turns one instance into a problem dict per specs/matching-format.md, and looks up the
best-known values in ``best_known.csv``.

The shared folder is ``<project root>/../shared`` unless the environment variable
``NUANXIN_SHARED`` names another one.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

#: Order in which OR-Library stores the six problems of gapa..gapd.txt.
ORLIB_TYPE_ORDER = ("05100", "05200", "10100", "10200", "20100", "20200")
REGION = "430000"  # one constant region: GAP has no geography, the spec requires a region
KIND = "services"  # services are indivisible by default; we also set divisible explicitly
CATEGORY = "gap"


class GapDataMissing(FileNotFoundError):
    """The shared GAP folder (or one of its files) is absent."""


def shared_root() -> Path:
    """Return the shared folder: $NUANXIN_SHARED, else <project root>/../shared."""
    env = os.environ.get("NUANXIN_SHARED")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[1].parent / "shared"


def gap_dir() -> Path:
    """Return the folder holding orlib/, yagiura/ and best_known.csv."""
    return shared_root() / "benchmarks" / "gap"


def available() -> bool:
    """True when the GAP data (best_known.csv) can be found."""
    return (gap_dir() / "best_known.csv").is_file()


@dataclass(frozen=True, slots=True)
class GapInstance:
    """One GAP problem: m agents, n jobs, c[i][j] cost/profit, r[i][j] use, b[i] capacity."""

    name: str
    agents: int
    jobs: int
    cost: tuple[tuple[int, ...], ...]
    use: tuple[tuple[int, ...], ...]
    capacity: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class BestKnown:
    """One row of best_known.csv."""

    instance: str
    orlib_label: str
    file: str
    index: int
    type: str
    agents: int
    jobs: int
    sense: str  # "min" or "max"
    value: int
    proven_optimal: bool
    source: str


def _parse_one(tokens: list[int], pos: int, name: str) -> tuple[GapInstance, int]:
    m, n = tokens[pos], tokens[pos + 1]
    pos += 2
    need = 2 * m * n + m
    if m <= 0 or n <= 0 or len(tokens) - pos < need:
        raise ValueError(f"{name}: truncated or malformed GAP data (m={m}, n={n})")
    cost = tuple(tuple(tokens[pos + i * n : pos + (i + 1) * n]) for i in range(m))
    pos += m * n
    use = tuple(tuple(tokens[pos + i * n : pos + (i + 1) * n]) for i in range(m))
    pos += m * n
    capacity = tuple(tokens[pos : pos + m])
    pos += m
    return GapInstance(name, m, n, cost, use, capacity), pos


def parse_gap_text(text: str, names: Iterable[str] | None = None) -> list[GapInstance]:
    """Parse a GAP file's text: an OR-Library file (count P first) or a single Yagiura problem.

    ``names`` gives the instance names in file order; default ``p1``, ``p2``, ...
    """
    tokens = [int(t) for t in text.split()]
    if len(tokens) < 2:
        raise ValueError("empty GAP file")
    m, n = tokens[0], tokens[1]
    if len(tokens) == 2 + 2 * m * n + m:  # Yagiura: one problem, no count
        count, pos = 1, 0
    else:
        count, pos = tokens[0], 1
    given = list(names) if names is not None else []
    out = []
    for k in range(count):
        name = given[k] if k < len(given) else f"p{k + 1}"
        inst, pos = _parse_one(tokens, pos, name)
        out.append(inst)
    if pos != len(tokens):
        raise ValueError(f"GAP file has {len(tokens) - pos} trailing numbers")
    return out


@lru_cache(maxsize=1)
def _best_known_rows(csv_path: str) -> tuple[BestKnown, ...]:
    with open(csv_path, newline="", encoding="utf-8") as fh:
        return tuple(
            BestKnown(
                instance=row["instance"],
                orlib_label=row["orlib_label"],
                file=row["file"],
                index=int(row["index"]),
                type=row["type"],
                agents=int(row["agents"]),
                jobs=int(row["jobs"]),
                sense=row["sense"],
                value=int(row["best_known"]),
                proven_optimal=row["proven_optimal"].strip().lower() == "yes",
                source=row["source"],
            )
            for row in csv.DictReader(fh)
        )


def best_known_rows() -> tuple[BestKnown, ...]:
    """All rows of best_known.csv (raises GapDataMissing when absent)."""
    path = gap_dir() / "best_known.csv"
    if not path.is_file():
        raise GapDataMissing(f"GAP data not found: {path} (set NUANXIN_SHARED)")
    return _best_known_rows(str(path))


def best_known(name: str, sense: str = "min") -> BestKnown | None:
    """The best-known row of instance ``name`` in ``sense`` ("min"/"max"), or None."""
    for row in best_known_rows():
        if row.instance == name and row.sense == sense:
            return row
    return None


def instance_names() -> list[str]:
    """Instance names in best_known.csv order (gap1-1 .. gap12-5, a05100 .., e801600)."""
    seen: dict[str, None] = {}
    for row in best_known_rows():
        seen.setdefault(row.instance, None)
    return list(seen)


def senses(name: str) -> list[str]:
    """The senses ("min", "max") that best_known.csv lists for ``name``."""
    return [row.sense for row in best_known_rows() if row.instance == name]


@lru_cache(maxsize=32)
def _read_file(rel: str) -> tuple[GapInstance, ...]:
    path = gap_dir() / rel
    if not path.is_file():
        raise GapDataMissing(f"GAP file not found: {path}")
    rows = [r for r in best_known_rows() if r.file == rel]
    by_index = {r.index: r.instance for r in rows}
    text = path.read_text(encoding="ascii")
    count = len(parse_gap_text(text))
    names = [by_index.get(k + 1, f"{Path(rel).stem}-{k + 1}") for k in range(count)]
    return tuple(parse_gap_text(text, names))


def load_instance(name: str) -> GapInstance:
    """Load one instance by name (``gap1-1``, ``a05100``, ``e801600``, ...)."""
    rows = [r for r in best_known_rows() if r.instance == name]
    if not rows:
        raise KeyError(f"unknown GAP instance {name!r}")
    row = rows[0]
    inst = _read_file(row.file)[row.index - 1]
    if (inst.agents, inst.jobs) != (row.agents, row.jobs):
        raise ValueError(
            f"{name}: file gives {inst.agents}x{inst.jobs}, csv says {row.agents}x{row.jobs}"
        )
    return inst


def need_id(j: int) -> str:
    """Need id of job j (0-based)."""
    return f"J{j + 1}"


def offer_id(i: int) -> str:
    """Offer id of agent i (0-based)."""
    return f"A{i + 1}"


def to_problem(
    inst: GapInstance, sense: str = "min", time_limit_s: float | None = None
) -> dict[str, Any]:
    """Turn a GAP instance into a problem dict (spec: matching-problem/1).

    Jobs become indivisible needs of quantity 1, agents become offers with capacity b[i], and
    every (job, agent) pair is an explicit edge with use r[i][j] and cost c[i][j] — or, for the
    "max" sense, cost -c[i][j] (a profit turned into a cost). With coverage_slack 0 and
    balance_by "none" the engine maximises the number of assigned jobs, then minimises cost, which
    is the GAP whenever all jobs fit. Use ``objective`` to report the result in ``sense``.
    """
    if sense not in ("min", "max"):
        raise ValueError(f"sense must be 'min' or 'max', got {sense!r}")
    sign = 1 if sense == "min" else -1
    needs = [
        {
            "id": need_id(j),
            "kind": KIND,
            "category": CATEGORY,
            "quantity": 1,
            "divisible": False,
            "region": REGION,
        }
        for j in range(inst.jobs)
    ]
    offers = [
        {
            "id": offer_id(i),
            "kind": KIND,
            "category": CATEGORY,
            "capacity": inst.capacity[i],
        }
        for i in range(inst.agents)
    ]
    edges = [
        {
            "need": need_id(j),
            "offer": offer_id(i),
            "use": inst.use[i][j],
            "cost": sign * inst.cost[i][j],
        }
        for j in range(inst.jobs)
        for i in range(inst.agents)
    ]
    policy: dict[str, Any] = {"coverage_slack": 0, "balance_by": "none"}
    if time_limit_s is not None:
        policy["time_limit_s"] = time_limit_s
    return {
        "format": "matching-problem/1",
        "needs": needs,
        "offers": offers,
        "edges": edges,
        "policy": policy,
    }


@dataclass(frozen=True, slots=True)
class GapScore:
    """A GAP assignment scored in the instance's own terms."""

    objective: int  # sum of c[i][j] over the assigned pairs (in the instance's sense)
    assigned: int  # jobs assigned (exactly once)
    complete: bool  # every job assigned exactly once
    feasible: bool  # no agent over capacity, no job split or assigned twice


def score(inst: GapInstance, allocations: Iterable[Mapping[str, Any]]) -> GapScore:
    """Score result allocations (dicts with need, offer, quantity) against the raw GAP data.

    Independent of the engine's own objective, so a sign or mapping slip shows up here.
    """
    load = [0] * inst.agents
    count = [0] * inst.jobs
    objective = 0
    feasible = True
    for a in allocations:
        q = float(a["quantity"])
        if q <= 1e-9:
            continue
        j = int(str(a["need"])[1:]) - 1
        i = int(str(a["offer"])[1:]) - 1
        if abs(q - 1.0) > 1e-6:
            feasible = False
        count[j] += 1
        load[i] += inst.use[i][j]
        objective += inst.cost[i][j]
    if any(c > 1 for c in count) or any(ld > b for ld, b in zip(load, inst.capacity, strict=True)):
        feasible = False
    assigned = sum(1 for c in count if c == 1)
    return GapScore(objective, assigned, assigned == inst.jobs, feasible)


def gap_percent(value: float, best: float, sense: str) -> float:
    """Relative gap in percent to the best known (positive = worse than best known)."""
    diff = value - best if sense == "min" else best - value
    return 100.0 * diff / abs(best) if best else 0.0
