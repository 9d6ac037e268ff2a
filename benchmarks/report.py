"""Tables and one-line summaries of benchmark results (the dict written by benchmarks.run)."""

from __future__ import annotations

from statistics import mean
from typing import Any

from benchmarks import gap

GAP_TOL = 1e-9


def _f(value: Any, digits: int = 1, none: str = "–") -> str:
    if value is None:
        return none
    if isinstance(value, float | int):
        return f"{value:,.{digits}f}"
    return str(value)


def _mib(kib: Any) -> str:
    return "–" if kib is None else f"{kib / 1024:,.0f}"


def gap_row(out: dict[str, Any]) -> dict[str, Any]:
    """Flatten one GAP task output: objective, best known, gap, optimality, seconds."""
    task = out["task"]
    best = gap.best_known(task["name"], task["sense"])
    row: dict[str, Any] = {"name": task["name"], "sense": task["sense"], "type": best.type[0],
                           "size": f"{best.agents}x{best.jobs}", "jobs": best.jobs,
                           "limit": task["time_limit"], "best": best.value,
                           "best_proven": best.proven_optimal, "error": out.get("error")}
    if out.get("error"):
        return row
    sc = out["gap"]
    row.update(status=out["status"], seconds=out["wall_seconds"], peak_kib=out["peak_kib"],
               check_ok=out["check_ok"], complete=sc["complete"] and sc["feasible"],
               assigned=sc["assigned"])
    if row["complete"]:
        row["objective"] = sc["objective"]
        row["gap"] = gap.gap_percent(sc["objective"], best.value, task["sense"])
    return row


def gap_line(out: dict[str, Any]) -> str:
    """One progress line for a GAP task."""
    r = gap_row(out)
    head = f"{r['name']} {r['sense']}"
    if r.get("error"):
        return f"{head}: ERROR {r['error']}"
    if not r["complete"]:
        return f"{head}: incomplete ({r['assigned']}/{r['jobs']} jobs) {r['seconds']:.1f}s"
    return (f"{head}: {r['objective']} (best {r['best']}, gap {r['gap']:.2f}%) {r['status']} "
            f"{r['seconds']:.1f}s")


def _gap_rows(results: dict[str, Any], sense: str) -> list[dict[str, Any]]:
    return [gap_row(o) for k, o in results["tasks"].items()
            if k.startswith("gap/") and o["task"]["sense"] == sense]


def _gap_table(rows: list[dict[str, Any]]) -> list[str]:
    lines = ["| instance | type | agents x jobs | limit s | objective | best known | gap % "
             "| proven optimal | seconds | peak MiB |",
             "|---|---|---|---:|---:|---:|---:|---|---:|---:|"]
    for r in rows:
        best = f"{r['best']}" + ("" if r["best_proven"] else " (not proven)")
        if r.get("error"):
            lines.append(f"| {r['name']} | {r['type']} | {r['size']} | {r['limit']:.0f} | "
                         f"error: {r['error'][:60]} | {best} | – | – | – | – |")
            continue
        obj = r["objective"] if r["complete"] else f"incomplete {r['assigned']}/{r['jobs']}"
        gp = _f(r.get("gap"), 2)
        opt = "yes" if r["status"] == "optimal" else "no"
        lines.append(f"| {r['name']} | {r['type']} | {r['size']} | {r['limit']:.0f} | {obj} | "
                     f"{best} | {gp} | {opt} | {r['seconds']:.1f} | {_mib(r['peak_kib'])} |")
    return lines


def _group(rows: list[dict[str, Any]], pred) -> list[dict[str, Any]]:
    return [r for r in rows if pred(r)]


def _count(rows: list[dict[str, Any]], pred) -> str:
    return f"{sum(1 for r in rows if pred(r))}/{len(rows)}"


def _mean_gap(rows: list[dict[str, Any]]) -> str:
    gaps = [r["gap"] for r in rows if r.get("gap") is not None]
    missing = len(rows) - len(gaps)
    text = f"{mean(gaps):.3f} %" if gaps else "–"
    return text + (f" ({missing} without a complete solution)" if missing else "")


def gap_goals(rows: list[dict[str, Any]]) -> list[str]:
    """The goal lines for the min-sense GAP table."""
    def small(r):
        return r["name"].startswith("gap") or (r["type"] in "ABC" and r["jobs"] <= 200)

    def opt(r):
        return r.get("status") == "optimal"

    def at_best(r):
        return r.get("gap") is not None and r["gap"] <= GAP_TOL

    small_rows = _group(rows, small)
    d_rows = _group(rows, lambda r: r["type"] == "D")
    e_rows = _group(rows, lambda r: r["type"] == "E")
    big = _group(rows, lambda r: r["size"] == "80x1600")
    out = ["| goal | target | measured | met |", "|---|---|---|---|"]
    if small_rows:
        met = all(opt(r) for r in small_rows)
        out.append(f"| gap1–12 and A–C up to 200 jobs proven optimal (30 s each) | all | "
                   f"{_count(small_rows, opt)} proven, {_count(small_rows, at_best)} at best known"
                   f" | {'yes' if met else 'no'} |")
    for label, grp in (("D", d_rows), ("E", e_rows)):
        if grp:
            gaps = [r.get("gap") for r in grp]
            met = None not in gaps and mean(gaps) <= 0.5
            out.append(f"| type {label}: mean gap (60 s each) | <= 0.5 % | {_mean_gap(grp)} over "
                       f"{len(grp)} | {'yes' if met else 'no'} |")
    for r in big:
        g = r.get("gap")
        met = g is not None and g <= 0.5
        measured = (f"{g:.3f} %" if g is not None
                    else f"no complete assignment ({r.get('assigned', 0)}/{r['jobs']} jobs)")
        out.append(f"| {r['name']} within 0.5 % | <= 0.5 % | {measured} | "
                   f"{'yes' if met else 'no'} |")
    return out


def synthetic_line(out: dict[str, Any]) -> str:
    """One progress line for a synthetic task."""
    t = out["task"]
    head = f"{t['size']} {t['solver']}"
    if out.get("error"):
        return f"{head}: ERROR {out['error']}"
    if t["solver"] == "lp":
        lp = out["lp"]
        return (f"{head}: coverage bound {_f(lp['coverage_bound'], 2)}, balance bound "
                f"{_f(lp['balance_bound'], 4)} at coverage {_f(t.get('coverage_level'), 2)} "
                f"({lp['seconds']:.1f}s)")
    o, b = out["objectives"], out["bounds"]
    return (f"{head}: coverage {o['coverage']:.2f} (bound {_f(b.get('coverage'), 2)}) balance "
            f"{o['balance']:.4f} cost {o['cost']:.0f} {out['status']} {out['wall_seconds']:.1f}s "
            f"peak {_mib(out['peak_kib'])} MiB")


def synthetic_rows(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Per size: engine, greedy and LP figures side by side."""
    by_size: dict[str, dict[str, Any]] = {}
    for key, out in results["tasks"].items():
        if key.startswith("synthetic/"):
            by_size.setdefault(out["task"]["size"], {})[out["task"]["solver"]] = out
    rows = []
    for size in ("county", "city", "province"):
        if size not in by_size:
            continue
        s = by_size[size]
        rows.append({"size": size, **s})
    return rows


def _pct(a: float | None, b: float | None) -> float | None:
    """100 * (b - a) / b: how far a is below b."""
    if a is None or b is None or b == 0:
        return None
    return 100.0 * (b - a) / b


def _synthetic_table(rows: list[dict[str, Any]]) -> list[str]:
    lines = ["| size | solver | status | coverage | coverage bound (engine) | gap % | "
             "coverage bound (LP) | gap % | balance | balance bound (LP) | engine's LP balance | "
             "cost | unserved | solve s | peak MiB |",
             "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lp = (r.get("lp") or {}).get("lp") or {}
        for solver in ("engine", "greedy"):
            out = r.get(solver)
            if out is None:
                continue
            if out.get("error"):
                lines.append(f"| {r['size']} | {solver} | error: {out['error'][:80]} |"
                             + " |" * 12)
                continue
            o, b = out["objectives"], out["bounds"]
            eb = b.get("coverage") if solver == "engine" else None
            lb = _useful_balance_bound(lp) if solver == "engine" else None
            elb = out.get("stats", {}).get("lp_balance") if solver == "engine" else None
            lines.append(
                f"| {r['size']} | {solver} | {out['status']} | {o['coverage']:,.1f} | {_f(eb)} | "
                f"{_f(_pct(o['coverage'], eb), 2)} | {_f(lp.get('coverage_bound'))} | "
                f"{_f(_pct(o['coverage'], lp.get('coverage_bound')), 2)} | {o['balance']:.4f} | "
                f"{_f(lb, 4)} | {_f(elb, 4)} | {o['cost']:,.0f} | {out['unserved']:,} | "
                f"{out['wall_seconds']:.1f} | {_mib(out['peak_kib'])} |")
    return lines


def _useful_balance_bound(lp: dict[str, Any]) -> float | None:
    """Our balance bound, unless the LP stopped so early that it is the trivial 1."""
    bound = lp.get("balance_bound")
    if bound is None or (bound >= 1.0 - 1e-9 and lp.get("status_balance") != "MPSOLVER_OPTIMAL"):
        return None
    return bound


def synthetic_goals(rows: list[dict[str, Any]]) -> list[str]:
    """Goal lines per size: coverage gap, balance vs LP, time/memory, engine vs greedy."""
    out = ["| size | goal | target | measured | met |", "|---|---|---|---|---|"]
    for r in rows:
        e, g = r.get("engine"), r.get("greedy")
        lp = ((r.get("lp") or {}).get("lp")) or {}
        if not e or e.get("error"):
            out.append(f"| {r['size']} | engine ran | – | "
                       f"{(e or {}).get('error', 'not run')[:80]} | no |")
            continue
        c, bal = e["objectives"]["coverage"], e["objectives"]["balance"]
        bounds = [x for x in (e["bounds"].get("coverage"), lp.get("coverage_bound"))
                  if x is not None]
        if bounds:
            gp = _pct(c, min(bounds))
            out.append(f"| {r['size']} | coverage within 1 % of the tightest proven bound | "
                       f"<= 1 % | {gp:.2f} % | {'yes' if gp <= 1.0 + 1e-6 else 'no'} |")
        best_bal, whose = _useful_balance_bound(lp), "our LP dual bound at the engine's coverage"
        if best_bal is None and e.get("stats", {}).get("lp_balance") is not None:
            best_bal = e["stats"]["lp_balance"]
            whose = "the engine's own LP at its coverage floor (our LP did not finish)"
        if best_bal:
            ratio = bal / best_bal
            out.append(f"| {r['size']} | balance vs LP-best ({whose}) | >= 95 % | "
                       f"{100 * ratio:.1f} % | {'yes' if ratio >= 0.95 else 'no'} |")
        if g and not g.get("error"):
            gc, gb = g["objectives"]["coverage"], g["objectives"]["balance"]
            out.append(f"| {r['size']} | coverage never below greedy | engine >= greedy | "
                       f"{c:,.1f} vs {gc:,.1f} | {'yes' if c >= gc - 1e-6 else 'no'} |")
            ratio = "∞ (greedy 0)" if gb == 0 else f"{bal / gb:.2f}"
            out.append(f"| {r['size']} | balance engine / greedy | (report) | {ratio} | – |")
        if r["size"] == "province":
            secs, gib = e["wall_seconds"], e["peak_kib"] / 2**20
            out.append(f"| province | solve wall time | < 120 s | {secs:.1f} s | "
                       f"{'yes' if secs < 120 else 'no'} |")
            out.append(f"| province | peak memory | < 8 GiB | {gib:.2f} GiB | "
                       f"{'yes' if gib < 8 else 'no'} |")
    return out


def machine_lines(results: dict[str, Any]) -> list[str]:
    """The machine paragraph."""
    m = results.get("machine", {})
    return [f"- command: `{results.get('command', '?')}`",
            f"- machine: {m.get('cores')} cores, {m.get('memory_gib')} GiB, {m.get('cpu', '?')}; "
            f"Python {m.get('python')}, OR-Tools {m.get('ortools', '?')}",
            f"- commit {m.get('commit')}, started {results.get('started')}, finished "
            f"{results.get('finished', '?')}; load average at start {m.get('loadavg')}"]


def markdown(results: dict[str, Any]) -> str:
    """All tables for docs/benchmarks.md."""
    parts: list[str] = machine_lines(results)
    rows_min = _gap_rows(results, "min")
    if rows_min:
        parts += ["", "### GAP, minimisation (primary)", "", *gap_goals(rows_min), "",
                  *_gap_table(rows_min)]
    rows_max = _gap_rows(results, "max")
    if rows_max:
        opt = _count(rows_max, lambda r: r.get("status") == "optimal")
        best = _count(rows_max, lambda r: r.get("gap") is not None and r["gap"] <= GAP_TOL)
        parts += ["", "### GAP gap1–gap12, maximisation (OR-Library's own sense)", "",
                  f"Proven optimal {opt}; at the best known value {best}.", "",
                  *_gap_table(rows_max)]
    srows = synthetic_rows(results)
    if srows:
        parts += ["", "### Synthetic Hunan-like problems", "", *synthetic_goals(srows), "",
                  *_synthetic_table(srows)]
        lp_lines = []
        for r in srows:
            lp = r.get("lp")
            if lp and not lp.get("error"):
                x = lp["lp"]
                lp_lines.append(f"- {r['size']}: LP {x['columns']:,} columns, {x['rows']:,} rows,"
                                f" {x['method'].upper()}; coverage LP {x['status_coverage']} in "
                                f"{x['seconds_coverage']:.1f} s, balance LP "
                                f"{x['status_balance']} in {x['seconds_balance']:.1f} s; "
                                f"peak {_mib(lp.get('peak_kib'))} MiB")
            elif lp:
                lp_lines.append(f"- {r['size']}: LP bound failed: {lp['error']}")
        if lp_lines:
            parts += ["", *lp_lines]
    if results.get("skipped"):
        parts += ["", "Skipped: " + "; ".join(results["skipped"])]
    return "\n".join(parts)


def summary(results: dict[str, Any]) -> str:
    """A short plain-text summary for the terminal."""
    lines = []
    rows_min = _gap_rows(results, "min")
    if rows_min:
        lines.append("GAP (min): " + "; ".join(
            line.strip("| ").replace(" | ", ": ", 1) for line in gap_goals(rows_min)[2:]))
    for r in synthetic_rows(results):
        for solver in ("engine", "greedy", "lp"):
            if r.get(solver):
                lines.append(synthetic_line(r[solver]))
    if results.get("skipped"):
        lines.append("skipped: " + "; ".join(results["skipped"]))
    return "\n".join(lines) or "nothing selected"
