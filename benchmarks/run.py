"""Benchmark runner behind ``python -m matching bench`` (also ``python -m benchmarks.run``).

Suites:
- ``gap``: OR-Library / Yagiura generalized assignment instances (benchmarks/gap.py), engine
  only, objective against the best known value;
- ``synthetic``: Hunan-like problems (benchmarks/synthetic.py) at the sizes county, city and
  province: engine against greedy, plus GLOP LP bounds (benchmarks/lpbound.py).

Every task runs in its own child process (benchmarks/worker.py) so its seconds and peak memory
are its own. Results go to ``--out`` (JSON, rewritten after every task); ``--markdown`` prints the
tables of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import fnmatch
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks import gap, report, synthetic

ROOT = Path(__file__).resolve().parents[1]
LP_TIME_LIMIT = 900.0


def machine() -> dict[str, Any]:
    """Cores, memory, CPU model, versions and load, for the report."""
    info: dict[str, Any] = {"cores": os.cpu_count(), "python": platform.python_version()}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                info["memory_gib"] = round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    try:
        import ortools

        info["ortools"] = ortools.__version__
    except ImportError:
        pass
    info["loadavg"] = list(os.getloadavg())
    try:
        info["commit"] = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
            check=False).stdout.strip() or None
    except OSError:
        info["commit"] = None
    return info


def gap_time_limit(row: gap.BestKnown) -> float:
    """The goal's budget: 30 s for gap1-12 and types A-C up to 200 jobs, else 60 s."""
    return 30.0 if row.type[0] in "ABC" and row.jobs <= 200 else 60.0


def _selected(name: str, only: list[str] | None) -> bool:
    return not only or any(fnmatch.fnmatchcase(name, pat) for pat in only)


def gap_tasks(only: list[str] | None, time_limit: float | None) -> list[dict[str, Any]]:
    """Engine tasks for every selected GAP instance: min sense, and max where it is listed."""
    tasks = []
    for name in gap.instance_names():
        if not _selected(name, only):
            continue
        for sense in sorted(gap.senses(name), key=lambda s: s != "min"):
            row = gap.best_known(name, sense)
            tasks.append({"suite": "gap", "name": name, "sense": sense, "solver": "engine",
                          "time_limit": time_limit or gap_time_limit(row)})
    return tasks


def run_child(task: dict[str, Any], timeout: float) -> dict[str, Any]:
    """Run one task in a fresh ``python -m benchmarks.worker`` and return its figures."""
    with tempfile.TemporaryDirectory(prefix="nuanxin-bench-") as tmp:
        out_path = Path(tmp) / "out.json"
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        t0 = time.perf_counter()
        try:
            proc = subprocess.run(
                [sys.executable, "-m", "benchmarks.worker", json.dumps(task), str(out_path)],
                cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:  # subprocess.run kills the child it started
            return {"task": task, "error": f"timed out after {timeout:.0f} s",
                    "child_seconds": time.perf_counter() - t0}
        elapsed = time.perf_counter() - t0
        if proc.returncode != 0 or not out_path.exists():
            tail = (proc.stderr or "").strip().splitlines()[-3:]
            return {"task": task, "error": f"exit {proc.returncode}: " + " | ".join(tail),
                    "child_seconds": elapsed}
        out = json.loads(out_path.read_text(encoding="utf-8"))
        out["child_seconds"] = elapsed
        return out


def _save(path: str | None, results: dict[str, Any]) -> None:
    if path:
        tmp = Path(path + ".tmp")
        tmp.write_text(json.dumps(results, indent=1), encoding="utf-8")
        tmp.replace(path)


def _key(task: dict[str, Any]) -> str:
    if task["suite"] == "gap":
        return f"gap/{task['name']}/{task['sense']}/{task['solver']}"
    return f"synthetic/{task['size']}/{task['seed']}/{task['solver']}"


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def run_gap(args: argparse.Namespace, results: dict[str, Any]) -> None:
    """Run the GAP suite, saving after every instance."""
    if not gap.available():
        _log(f"gap: skipped, no GAP data at {gap.gap_dir()} (set NUANXIN_SHARED)")
        results["skipped"].append("gap: data absent")
        return
    for task in gap_tasks(args.only, args.time_limit):
        out = run_child(task, timeout=2 * task["time_limit"] + 120)
        results["tasks"][_key(task)] = out
        _log(report.gap_line(out))
        _save(args.out, results)


def run_synthetic(args: argparse.Namespace, results: dict[str, Any]) -> None:
    """Run engine, greedy and the LP bounds on each selected synthetic size."""
    for size in synthetic.SIZES:
        if not _selected(size, args.only):
            continue
        limit = args.time_limit or synthetic.SIZES[size][2]
        base = {"suite": "synthetic", "size": size, "seed": args.seed, "time_limit": limit}
        old_lp = results["tasks"].get(_key({**base, "solver": "lp"}))
        if args.lp_only:  # keep the engine/greedy figures already in --out (with --update)
            engine = results["tasks"].get(_key({**base, "solver": "engine"}), {})
            greedy = results["tasks"].get(_key({**base, "solver": "greedy"}), {})
        else:
            engine = run_child({**base, "solver": "engine"}, timeout=2 * limit + 300)
            results["tasks"][_key(engine["task"])] = engine
            _log(report.synthetic_line(engine))
            _save(args.out, results)
            greedy = run_child({**base, "solver": "greedy"}, timeout=900)
            results["tasks"][_key(greedy["task"])] = greedy
            _log(report.synthetic_line(greedy))
            _save(args.out, results)
        if args.no_lp:
            continue
        level = engine.get("objectives", {}).get("coverage")
        if level is None:
            level = greedy.get("objectives", {}).get("coverage")
        lp_task = {**base, "solver": "lp", "coverage_level": level, "time_limit": args.lp_limit,
                   "tolerance": args.lp_tolerance}
        # --lp-only re-runs the balance LP alone when the coverage bound is already known
        keep = args.lp_only and old_lp and (old_lp.get("lp") or {}).get("coverage_bound")
        if keep:
            lp_task["skip_coverage"] = True
        lp = run_child(lp_task, timeout=3 * args.lp_limit + 300)
        if keep and "lp" in lp:
            for k, v in old_lp["lp"].items():
                if k.startswith(("coverage", "status_coverage", "seconds_coverage")):
                    lp["lp"][k] = v
        results["tasks"][_key(lp_task)] = lp
        _log(report.synthetic_line(lp))
        _save(args.out, results)


def parser() -> argparse.ArgumentParser:
    """The command-line options."""
    ap = argparse.ArgumentParser(prog="python -m matching bench",
                                 description="Run the matching benchmarks.")
    ap.add_argument("--suite", choices=("gap", "synthetic", "all"), default="all")
    ap.add_argument("--only", nargs="+", metavar="NAME",
                    help="instances or sizes to run (shell patterns: 'gap1-*', 'd*', county)")
    ap.add_argument("--time-limit", type=float, metavar="S",
                    help="engine seconds per instance (default: the goal's budget per instance)")
    ap.add_argument("--seed", type=int, default=1, help="synthetic generator seed (default 1)")
    ap.add_argument("--lp-limit", type=float, default=LP_TIME_LIMIT, metavar="S",
                    help=f"GLOP seconds per LP bound (default {LP_TIME_LIMIT:.0f})")
    ap.add_argument("--no-lp", action="store_true", help="skip the LP bounds (synthetic)")
    ap.add_argument("--lp-tolerance", type=float, default=1e-4, metavar="EPS",
                    help="PDLP optimality tolerance for large LPs (default 1e-4)")
    ap.add_argument("--lp-only", action="store_true",
                    help="with --update: re-run only the LP bounds against the engine results in "
                         "--out (the balance LP alone when a coverage bound is already there)")
    ap.add_argument("--out", metavar="FILE", help="write the results JSON here")
    ap.add_argument("--update", action="store_true",
                    help="start from the results already in --out (re-run only what is selected)")
    ap.add_argument("--load", metavar="FILE", help="do not run: read results from FILE")
    ap.add_argument("--markdown", action="store_true", help="print the tables for the docs")
    return ap


def main(argv: list[str] | None = None) -> int:
    """Run the selected benchmarks; print a summary (or the markdown tables)."""
    args = parser().parse_args(argv)
    if args.load:
        results = json.loads(Path(args.load).read_text(encoding="utf-8"))
    else:
        results = {"command": "python -m matching bench " + " ".join(
            sys.argv[1:] if argv is None else argv), "machine": machine(),
            "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "tasks": {}, "skipped": []}
        if args.update and args.out and Path(args.out).exists():
            old = json.loads(Path(args.out).read_text(encoding="utf-8"))
            results["tasks"] = old.get("tasks", {})
            results["command"] = old.get("command", "?") + " ; then " + results["command"]
            results["started"] = old.get("started", results["started"])
        if args.suite in ("gap", "all"):
            run_gap(args, results)
        if args.suite in ("synthetic", "all"):
            run_synthetic(args, results)
        results["finished"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        _save(args.out, results)
    if args.markdown:
        print(report.markdown(results))
    else:
        print(report.summary(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
