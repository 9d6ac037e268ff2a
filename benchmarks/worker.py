"""Run ONE benchmark task in this process and write its figures as JSON.

The runner starts a fresh child per task (``python -m benchmarks.worker TASK_JSON OUT_PATH``) so
that the peak memory (VmHWM) and the seconds belong to that task alone. Tasks:

- ``{"suite": "gap", "name", "sense", "solver": "engine"|"greedy", "time_limit"}``
- ``{"suite": "synthetic", "size", "seed", "solver": "engine"|"greedy", "time_limit"}``
- ``{"suite": "synthetic", "size", "seed", "solver": "lp", "coverage_level", "time_limit"}``
"""

from __future__ import annotations

import gc
import json
import resource
import sys
import time
from pathlib import Path
from typing import Any


def memory_kib() -> dict[str, int]:
    """Current and peak resident memory of this process in KiB (from /proc, else getrusage)."""
    out: dict[str, int] = {}
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            key, _, val = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(val.split()[0])
    except OSError:
        pass
    out.setdefault("VmHWM", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    return out


def _problem_dict(task: dict[str, Any]) -> dict[str, Any]:
    if task["suite"] == "gap":
        from benchmarks import gap

        inst = gap.load_instance(task["name"])
        return gap.to_problem(inst, task["sense"], task.get("time_limit"))
    from benchmarks import synthetic

    return synthetic.generate_size(task["size"], task["seed"], task.get("time_limit"))


def _solve(problem: Any, task: dict[str, Any]) -> tuple[Any, float]:
    if task["solver"] == "greedy":
        from matching.greedy import baseline

        t0 = time.perf_counter()
        res = baseline(problem)
        return res, time.perf_counter() - t0
    from matching.solve import solve

    t0 = time.perf_counter()
    res = solve(problem, time_limit_s=task.get("time_limit"), workers=task.get("workers"))
    return res, time.perf_counter() - t0


def run_task(task: dict[str, Any]) -> dict[str, Any]:
    """Build the task's problem, run its solver and return the figures (JSON-able)."""
    from matching.reader import parse_problem

    t0 = time.perf_counter()
    raw = _problem_dict(task)
    problem = parse_problem(raw)
    del raw
    gc.collect()  # the decoded dicts are gone before the solver's memory is measured
    out: dict[str, Any] = {"task": task, "prepare_seconds": time.perf_counter() - t0}
    out["memory_before_kib"] = memory_kib().get("VmRSS")
    if task["solver"] == "lp":
        from benchmarks.lpbound import lp_bounds
        from matching.candidates import candidate_edges

        out["lp"] = lp_bounds(problem, candidate_edges(problem), task.get("coverage_level"),
                              task.get("time_limit") or 300.0,
                              skip_coverage=bool(task.get("skip_coverage")),
                              tolerance=task.get("tolerance") or 1e-4)
        out["peak_kib"] = memory_kib()["VmHWM"]
        return out
    res, seconds = _solve(problem, task)
    out["peak_kib"] = memory_kib()["VmHWM"]
    out["wall_seconds"] = seconds
    out.update(status=res.status, objectives=dict(res.objectives), bounds=dict(res.bounds),
               stats=_jsonable(res.stats), unserved=len(res.unserved))
    reasons: dict[str, int] = {}
    for u in res.unserved:
        reasons[u["reason"]] = reasons.get(u["reason"], 0) + 1
    out["unserved_reasons"] = reasons
    from matching.check import check

    report = check(problem, res.to_dict())
    out["check_ok"] = report.ok
    out["check_errors"] = report.errors[:5]
    if task["suite"] == "gap":
        from benchmarks import gap

        sc = gap.score(gap.load_instance(task["name"]),
                       ({"need": a.need, "offer": a.offer, "quantity": a.quantity}
                        for a in res.allocations))
        out["gap"] = {"objective": sc.objective, "assigned": sc.assigned,
                      "complete": sc.complete, "feasible": sc.feasible}
    return out


def _jsonable(value: Any) -> Any:
    """Stats may hold numpy scalars or tuples: make them plain JSON values."""
    return json.loads(json.dumps(value, default=lambda v: v.item() if hasattr(v, "item")
                                 else str(v)))


def main(argv: list[str] | None = None) -> int:
    """Entry point of the child: ``python -m benchmarks.worker TASK_JSON OUT_PATH``."""
    args = sys.argv[1:] if argv is None else argv
    task = json.loads(args[0])
    out = run_task(task)
    Path(args[1]).write_text(json.dumps(out), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
