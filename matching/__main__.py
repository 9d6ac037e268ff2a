"""Command line: ``python -m matching solve|check|baseline|explain|bench``.

Every failure ends with one line on standard error and a non-zero exit status, never a
traceback: bad input exits 2 (``error: <message>``), a result that fails ``check`` exits 1.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from .problem import ProblemError

MAX_CHECK_LINES = 50  # check errors printed; the rest are counted


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors in one line (exit 2), without the usage block."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"error: {self.prog}: {message.splitlines()[0]}\n")


def _write(doc: dict, out: str | None) -> None:
    text = json.dumps(doc, ensure_ascii=False, indent=1) + "\n"
    if out is None:
        sys.stdout.write(text)
        return
    try:
        Path(out).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ProblemError(f"cannot write {json.dumps(out, ensure_ascii=False)}: "
                           f"{exc.strerror}") from None


def _solve(args: argparse.Namespace) -> int:
    from .reader import read_problem

    if args.time_limit is not None and not 0 < args.time_limit < math.inf:
        raise ProblemError(
            f"--time-limit must be a positive finite number, got {args.time_limit:g}")
    if args.workers is not None and args.workers < 1:
        raise ProblemError(f"--workers must be at least 1, got {args.workers}")
    problem = read_problem(args.problem)
    from .solve import solve

    result = solve(problem, time_limit_s=args.time_limit, workers=args.workers)
    _write(result.to_dict(), args.output)
    return 0


def _baseline(args: argparse.Namespace) -> int:
    from .greedy import baseline
    from .reader import read_problem

    _write(baseline(read_problem(args.problem)).to_dict(), args.output)
    return 0


def _check(args: argparse.Namespace) -> int:
    from .check import check
    from .reader import load_json, read_problem

    problem = read_problem(args.problem)
    report = check(problem, load_json(args.result, "result"))
    sys.stdout.write(json.dumps(report.objectives) + "\n")
    for line in report.errors[:MAX_CHECK_LINES]:
        sys.stderr.write(f"invalid: {line}\n")
    if len(report.errors) > MAX_CHECK_LINES:
        sys.stderr.write(f"invalid: ... and {len(report.errors) - MAX_CHECK_LINES} more\n")
    return 0 if report.ok else 1


def _explain(args: argparse.Namespace) -> int:
    from .explain import explain_need
    from .reader import load_json, read_problem

    problem = read_problem(args.problem)
    explanation = explain_need(problem, load_json(args.result, "result"), args.need)
    if args.json:
        sys.stdout.write(json.dumps(explanation.to_dict(), ensure_ascii=False, indent=1) + "\n")
    else:
        sys.stdout.write(explanation.describe() + "\n")
    return 0


def _bench(argv: list[str]) -> int:
    try:
        from benchmarks.run import main as bench_main
    except ImportError as exc:
        raise ProblemError(f"the benchmark runner (benchmarks.run) is not available: {exc}"
                           ) from None
    # the runner's own argparse would print a usage block: keep its errors to one line too
    original = argparse.ArgumentParser.error
    argparse.ArgumentParser.error = _Parser.error  # type: ignore[method-assign]
    try:
        return int(bench_main(argv) or 0)
    finally:
        argparse.ArgumentParser.error = original  # type: ignore[method-assign]


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m matching", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    p = sub.add_parser("solve", help="optimise a problem")
    p.add_argument("problem")
    p.add_argument("-o", "--output", help="write the result here instead of stdout")
    p.add_argument("--time-limit", type=float, help="seconds (overrides the policy)")
    p.add_argument("--workers", type=int, help="solver threads")
    p.set_defaults(run=_solve)
    p = sub.add_parser("baseline", help="greedy first-come-first-served allocation")
    p.add_argument("problem")
    p.add_argument("-o", "--output", help="write the result here instead of stdout")
    p.set_defaults(run=_baseline)
    p = sub.add_parser("check", help="verify a result and print its objectives")
    p.add_argument("problem")
    p.add_argument("result")
    p.set_defaults(run=_check)
    p = sub.add_parser("explain", help="explain how one need fared in a result")
    p.add_argument("problem")
    p.add_argument("result")
    p.add_argument("need", help="the need's id")
    p.add_argument("--json", action="store_true", help="print the structure as JSON")
    p.set_defaults(run=_explain)
    sub.add_parser("bench", help="run the benchmarks (arguments go to benchmarks.run)",
                   add_help=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    try:
        if args_list[:1] == ["bench"]:  # pass everything after "bench" through untouched
            return _bench(args_list[1:])
        args: Any = _parser().parse_args(args_list)
        return args.run(args)
    except ProblemError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2
    except BrokenPipeError:  # stdout closed early (e.g. piped into head): not an error of ours
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so the exit-time flush does not complain
        return 1
    except KeyboardInterrupt:
        sys.stderr.write("error: interrupted\n")
        return 130
    except Exception as exc:  # noqa: BLE001 - the contract is one line, never a traceback
        text = str(exc).splitlines()[0] if str(exc) else ""
        sys.stderr.write(f"error: internal error: {type(exc).__name__}: {text}\n")
        return 2


if __name__ == "__main__":
    sys.exit(main())
