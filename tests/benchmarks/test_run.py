"""The benchmark runner end to end on the smallest tasks (real child processes, no timings)."""

import json

import pytest

from benchmarks import gap, report, run


@pytest.mark.skipif(not gap.available(), reason="shared GAP data absent")
def test_gap_instance_in_child_reaches_optimum(tmp_path, capsys):
    out = tmp_path / "r.json"
    assert run.main(["--suite", "gap", "--only", "gap1-1", "--time-limit", "20",
                     "--out", str(out), "--markdown"]) == 0
    results = json.loads(out.read_text(encoding="utf-8"))
    tasks = results["tasks"]
    assert set(tasks) == {"gap/gap1-1/min/engine", "gap/gap1-1/max/engine"}
    mn, mx = tasks["gap/gap1-1/min/engine"], tasks["gap/gap1-1/max/engine"]
    assert mn["gap"]["complete"] and mn["gap"]["feasible"] and mn["check_ok"]
    # the engine is exact on 15 jobs: both senses must hit the proven optimum
    assert mn["gap"]["objective"] == 261 and mx["gap"]["objective"] == 336
    assert mn["peak_kib"] > 0 and results["machine"]["cores"] >= 1
    md = capsys.readouterr().out
    assert "| gap1-1 | C | 5x15 | 20 | 261 | 261 | 0.00 |" in md
    assert "maximisation" in md


def test_gap_suite_skips_cleanly_without_data(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("NUANXIN_SHARED", str(tmp_path / "nowhere"))
    assert run.main(["--suite", "gap", "--out", str(tmp_path / "r.json")]) == 0
    err = capsys.readouterr().err
    assert "gap: skipped" in err
    saved = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert saved["tasks"] == {} and saved["skipped"] == ["gap: data absent"]


def test_synthetic_county_engine_greedy_lp(tmp_path):
    out = tmp_path / "r.json"
    assert run.main(["--suite", "synthetic", "--only", "county", "--time-limit", "20",
                     "--out", str(out)]) == 0
    results = json.loads(out.read_text(encoding="utf-8"))
    (row,) = report.synthetic_rows(results)
    eng, gre, lp = row["engine"], row["greedy"], row["lp"]["lp"]
    assert eng["check_ok"] and gre["check_ok"]
    assert lp["status_coverage"] == "MPSOLVER_OPTIMAL" and lp["method"] == "glop"
    # LP relaxation bounds are upper bounds for both allocations
    assert eng["objectives"]["coverage"] <= lp["coverage_bound"] * (1 + 1e-9)
    assert gre["objectives"]["coverage"] <= lp["coverage_bound"] * (1 + 1e-9)
    assert eng["objectives"]["balance"] <= lp["balance_bound"] * (1 + 1e-7)
    md = report.markdown(results)
    assert "| county | engine |" in md and "| county | greedy |" in md


def _row(type_: str, agents: int, jobs: int) -> gap.BestKnown:
    return gap.BestKnown("x", "x", "f", 1, type_, agents, jobs, "min", 1, True, "")


def test_time_limits_follow_the_goals():
    assert run.gap_time_limit(_row("A", 5, 200)) == 30
    assert run.gap_time_limit(_row("C (Cattrysse/Osman)", 10, 60)) == 30
    assert run.gap_time_limit(_row("D", 5, 100)) == 60
    assert run.gap_time_limit(_row("E", 5, 100)) == 60
    assert run.gap_time_limit(_row("C", 10, 400)) == 60


def test_lp_only_rerun_keeps_engine_and_coverage_bound(tmp_path):
    out = tmp_path / "r.json"
    assert run.main(["--suite", "synthetic", "--only", "county", "--time-limit", "10",
                     "--out", str(out)]) == 0
    first = json.loads(out.read_text(encoding="utf-8"))["tasks"]
    assert run.main(["--suite", "synthetic", "--only", "county", "--lp-only", "--update",
                     "--out", str(out)]) == 0
    second = json.loads(out.read_text(encoding="utf-8"))["tasks"]
    assert second["synthetic/county/1/engine"] == first["synthetic/county/1/engine"]
    lp1, lp2 = first["synthetic/county/1/lp"]["lp"], second["synthetic/county/1/lp"]["lp"]
    assert lp2["coverage_bound"] == lp1["coverage_bound"]  # kept, not recomputed
    assert lp2["balance_bound"] == pytest.approx(lp1["balance_bound"], rel=1e-6)
    assert second["synthetic/county/1/lp"]["task"]["skip_coverage"] is True


def test_trivial_balance_bound_is_not_used():
    assert report._useful_balance_bound({"balance_bound": 1.0, "status_balance": "X"}) is None
    assert report._useful_balance_bound({"balance_bound": 0.6, "status_balance": "X"}) == 0.6
