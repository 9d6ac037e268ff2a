"""``python -m matching``: outputs, exit statuses, and one-line errors without tracebacks."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest

from matching import __main__ as cli
from matching.check import check
from matching.reader import parse_problem
from tests.matching.problem_docs import doc, edge, need, offer

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "matching", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def one_line_error(proc: subprocess.CompletedProcess, status: int = 2) -> str:
    """Assert the failure contract and return the message."""
    assert proc.returncode == status, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    return lines[0]


def valid() -> dict:
    return doc([need("N1", quantity=3), need("N2", kind="funds", quantity=500)],
               [offer("O1", capacity=2), offer("O2", kind="funds", capacity=300)],
               [edge("N1", "O1"), edge("N2", "O2", fit=0.5)], {"time_limit_s": 2})


def write(path: Path, value) -> str:
    path.write_text(value if isinstance(value, str) else json.dumps(value))
    return str(path)


def _m(**changes):
    """A problem document with ``changes`` applied through dotted paths."""
    d = copy.deepcopy(valid())
    for dotted, value in changes.items():
        *head, last = dotted.split("__")
        target = d
        for key in head:
            target = target[int(key)] if isinstance(target, list) else target[key]
        if value is KeyError:
            del target[last]
        else:
            target[last] = value
    return d


PROBLEM_ERRORS = [
    ("{not json", "error: problem file is not valid JSON: Expecting property name enclosed in "
                  "double quotes (line 1 column 2)"),
    ("[1, 2]", "error: top level must be a JSON object, got an array"),
    (_m(format=KeyError), 'error: missing required field "format" (expected '
                          '"matching-problem/1")'),
    (_m(format="v2"), 'error: unknown format "v2" (expected "matching-problem/1")'),
    (_m(needs__0__region=KeyError), 'error: needs[0] (id "N1"): missing required field '
                                    '"region"'),
    (_m(needs__1__divisible="no"), 'error: needs[1] (id "N2"): divisible must be true or '
                                   'false, got "no"'),
    (_m(offers__1__id="O1"), 'error: offers[1] (id "O1"): duplicate id, also offers[0]'),
    (_m(needs__0__kind="cash"), 'error: needs[0] (id "N1"): kind must be one of "funds", '
                                '"goods", "services", got "cash"'),
    (_m(needs__0__quantity=-3), 'error: needs[0] (id "N1"): quantity must be a positive '
                                'finite number, got -3'),
    (json.dumps(_m()).replace('"quantity": 3', '"quantity": NaN'),
     'error: needs[0] (id "N1"): quantity must be a positive finite number, got NaN'),
    (json.dumps(_m()).replace('"quantity": 3', '"quantity": Infinity'),
     'error: needs[0] (id "N1"): quantity must be a positive finite number, got Infinity'),
    (_m(needs__0__quantity=True), 'error: needs[0] (id "N1"): quantity must be a positive '
                                  'finite number, got true'),
    (_m(offers__0__capacity=0), 'error: offers[0] (id "O1"): capacity must be a positive '
                                'finite number, got 0'),
    (_m(offers__0__unit_cost=-2), 'error: offers[0] (id "O1"): unit_cost must be a finite '
                                  'number >= 0, got -2'),
    (_m(edges__1__use=-1), 'error: edges[1] (need "N2", offer "O2"): use must be a positive '
                           'finite number, got -1'),
    (_m(edges__1__fit=1.01), 'error: edges[1] (need "N2", offer "O2"): fit must be a number '
                             'in (0, 1], got 1.01'),
    (_m(edges__0__need="N9"), 'error: edges[0]: need "N9" is not the id of a need'),
    (_m(edges__0__offer="O9"), 'error: edges[0]: offer "O9" is not the id of an offer'),
    (_m(policy__time_limit_s=0), "error: policy: time_limit_s must be a positive finite "
                                 "number, got 0"),
    (_m(policy__coverage_slack=2), "error: policy: coverage_slack must be a number in "
                                   "[0, 1], got 2"),
    (_m(policy__balance_by="county"), 'error: policy: balance_by must be one of "region", '
                                      '"none", got "county"'),
]


@pytest.mark.parametrize("command", ["baseline", "check", "solve", "explain"])
@pytest.mark.parametrize(("content", "message"), PROBLEM_ERRORS[:2] + PROBLEM_ERRORS[8:9])
def test_every_command_rejects_bad_problems(tmp_path, command, content, message):
    extra = {"baseline": [], "solve": [], "check": ["r.json"], "explain": ["r.json", "N1"]}
    proc = run(command, write(tmp_path / "p.json", content), *extra[command])
    assert one_line_error(proc) == message
    assert proc.stdout == ""


@pytest.mark.parametrize(("content", "message"), PROBLEM_ERRORS)
def test_problem_errors(tmp_path, content, message):
    proc = run("baseline", write(tmp_path / "p.json", content))
    assert one_line_error(proc) == message


def test_missing_problem_file(tmp_path):
    msg = one_line_error(run("baseline", str(tmp_path / "none.json")))
    assert msg == f'error: cannot read problem file "{tmp_path / "none.json"}": No such file ' \
                  "or directory"


@pytest.mark.parametrize(("args", "start"), [
    ([], "error: python -m matching: the following arguments are required: command"),
    (["frobnicate"], "error: python -m matching: argument command: invalid choice"),
    (["check", "p.json"], "error: python -m matching check: the following arguments are "
                          "required: result"),
    (["solve", "p.json", "--time-limit", "soon"], "error: python -m matching solve: argument "
                                                  "--time-limit: invalid float value"),
    (["solve", "p.json", "--workers", "2.5"], "error: python -m matching solve: argument "
                                              "--workers: invalid int value"),
    (["baseline", "p.json", "--bogus"], "error: python -m matching: unrecognized arguments"),
    (["bench", "--bogus"], "error: python -m matching bench: unrecognized arguments: --bogus"),
])
def test_usage_errors(args, start):
    assert one_line_error(run(*args)).startswith(start)


def test_baseline_to_stdout_and_file_then_check_and_explain(tmp_path):
    problem_path = write(tmp_path / "p.json", valid())
    proc = run("baseline", problem_path)
    assert proc.returncode == 0 and proc.stderr == ""
    out = json.loads(proc.stdout)
    assert out["format"] == "matching-result/1" and out["status"] == "feasible"
    assert check(parse_problem(valid()), out).ok
    result_path = str(tmp_path / "r.json")
    proc = run("baseline", problem_path, "-o", result_path)
    assert proc.returncode == 0 and proc.stdout == ""
    assert json.loads(Path(result_path).read_text()) == out | {"stats": json.loads(
        Path(result_path).read_text())["stats"]}
    proc = run("check", problem_path, result_path)
    assert proc.returncode == 0 and proc.stderr == ""
    assert json.loads(proc.stdout) == out["objectives"]
    proc = run("explain", problem_path, result_path, "N1")
    assert proc.returncode == 0
    assert proc.stdout.startswith("Need N1 (services: care; 3 hours, indivisible")
    assert "O1: its whole capacity of 2 hours is less than the 3 hours" in proc.stdout
    proc = run("explain", problem_path, result_path, "N1", "--json")
    assert proc.returncode == 0
    data = json.loads(proc.stdout)
    assert (data["need"], data["outcome"], data["candidates"][0]["code"]) == (
        "N1", "capacity", "too_small")


def test_check_reports_an_invalid_result_with_status_1(tmp_path):
    problem_path = write(tmp_path / "p.json", valid())
    out = json.loads(run("baseline", problem_path).stdout)
    out["allocations"].append({"need": "N1", "offer": "O1", "quantity": 3})
    out["objectives"]["cost"] = 99
    proc = run("check", problem_path, write(tmp_path / "r.json", out))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert all(line.startswith("invalid: ") for line in lines)
    assert 'invalid: offer "O1": uses 3 of its capacity 2' in lines
    assert "invalid: objectives: cost reported 99.0, recomputed 0.0" in lines
    assert 'invalid: unserved[0] (need "N1"): listed as unserved but fully served' in lines
    # recomputed from the allocations as they are: N1 whole, N2 300 of 500 at fit 0.5
    assert json.loads(proc.stdout)["coverage"] == pytest.approx(1.3)


@pytest.mark.parametrize(("content", "message"), [
    ("{", "error: result file is not valid JSON: Expecting property name enclosed in double "
          "quotes (line 1 column 2)"),
    ("[]", "error: result: top level must be a JSON object, got an array"),
    ({"format": "matching-result/1"}, 'error: result: missing required field "status"'),
    ({"format": "x"}, 'error: result: unknown format "x" (expected "matching-result/1")'),
])
def test_malformed_result(tmp_path, content, message):
    problem_path = write(tmp_path / "p.json", valid())
    for args in (["check"], ["explain"]):
        tail = ["N1"] if args == ["explain"] else []
        proc = run(*args, problem_path, write(tmp_path / "r.json", content), *tail)
        assert one_line_error(proc) == message


def test_explain_unknown_need(tmp_path):
    problem_path = write(tmp_path / "p.json", valid())
    result_path = str(tmp_path / "r.json")
    run("baseline", problem_path, "-o", result_path)
    assert one_line_error(run("explain", problem_path, result_path, "N7")) == \
        'error: need "N7" is not the id of a need'


def test_unwritable_output(tmp_path):
    proc = run("baseline", write(tmp_path / "p.json", valid()), "-o",
               str(tmp_path / "no" / "dir" / "r.json"))
    assert one_line_error(proc).startswith("error: cannot write ")


def test_unexpected_exceptions_become_one_line(tmp_path, monkeypatch, capsys):
    def boom(problem):
        raise RuntimeError("engine exploded\nwith a second line")

    monkeypatch.setattr("matching.greedy.baseline", boom)
    assert cli.main(["baseline", write(tmp_path / "p.json", valid())]) == 2
    err = capsys.readouterr().err
    assert err == "error: internal error: RuntimeError: engine exploded\n"


def test_solve_writes_a_result_that_passes_check(tmp_path):
    problem_path = write(tmp_path / "p.json", valid())
    result_path = str(tmp_path / "r.json")
    proc = run("solve", problem_path, "-o", result_path, "--time-limit", "5", "--workers", "1")
    assert proc.returncode == 0 and proc.stdout == "", proc.stderr
    proc = run("check", problem_path, result_path)
    assert proc.returncode == 0 and proc.stderr == ""
    out = json.loads(Path(result_path).read_text())
    assert json.loads(proc.stdout) == pytest.approx(out["objectives"])
    # N1 (3 hours) fits no offer whole; N2 gets all 300 CNY of O2 at fit 0.5
    assert out["objectives"]["coverage"] == pytest.approx(0.3)
    proc = run("solve", problem_path)
    assert proc.returncode == 0 and json.loads(proc.stdout)["format"] == "matching-result/1"


@pytest.mark.parametrize(("args", "message"), [
    (["--time-limit", "0"], "error: --time-limit must be a positive finite number, got 0"),
    (["--time-limit", "nan"], "error: --time-limit must be a positive finite number, got nan"),
    (["--workers", "0"], "error: --workers must be at least 1, got 0"),
])
def test_solve_option_errors(tmp_path, args, message):
    proc = run("solve", write(tmp_path / "p.json", valid()), *args)
    assert one_line_error(proc) == message
