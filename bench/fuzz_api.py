#!/usr/bin/env python
"""Schema fuzzing: schemathesis over this server's own ``/api/openapi.json``.

    .venv/bin/python bench/fuzz_api.py [--max-examples 25] [--seed 20230330] [--phases ...] [--timeout 1200]

Starts this server under daphne on a free loopback port with a throw-away database (a
temporary SQLite file, or a fresh PostgreSQL database when ``DATABASE_URL`` names a
PostgreSQL server), services off, and runs ``st run`` with the checks
``not_a_server_error`` and ``response_schema_conformance``, a fixed seed, one worker
and ``--max-examples`` cases per operation. Two passes: every operation but
``POST /api/admin/database/drop``, then that one alone (dropping the tables half-way
would leave the other operations nothing to test).

Prints, per pass and in total, the operations tested, the test cases generated and
the server errors and schema violations found, read from schemathesis' JSON report.
Exit status 0 when both counts (and schemathesis' own errors) are zero, 1 otherwise,
2 when the run itself failed. ``--keep DIR`` keeps the reports and console logs.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.compat import harness  # noqa: E402 - after the path set-up

CHECKS = ("not_a_server_error", "response_schema_conformance")
DESTRUCTIVE = "/api/admin/database/drop"
DEFAULT_SEED = 20230330


@dataclass
class Outcome:
    """What one schemathesis pass found."""

    name: str
    operations: int
    cases: int
    server_errors: int
    schema_violations: int
    run_errors: int
    failing: list[str]


def read_report(path: Path, name: str) -> Outcome:
    """Sum schemathesis' JSON report: unique failures by kind, cases, operations.

    Only the two checks run, so a failure that is not a server error (ST101) is a
    response-schema violation.
    """
    report = json.loads(path.read_text())
    server_errors = schema_violations = 0
    failing: list[str] = []
    for failure in report.get("failures", []):
        if failure.get("code") == "ST101":
            server_errors += failure.get("count", 0)
        else:
            schema_violations += failure.get("count", 0)
        failing += [f"{failure.get('title')}: {operation}" for operation in failure.get("operations", [])]
    return Outcome(
        name=name,
        operations=report["operations"]["tested"],
        cases=report["test_cases"]["generated"],
        server_errors=server_errors,
        schema_violations=schema_violations,
        run_errors=len(report.get("errors", [])),
        failing=failing,
    )


def run_pass(schema_url: str, report_dir: Path, name: str, selection: list[str], args: argparse.Namespace) -> Outcome:
    """One ``st run`` over the operations ``selection`` picks; its outcome."""
    report = report_dir / f"{name}.json"
    command = [
        str(Path(sys.executable).parent / "st"),
        "run",
        schema_url,
        "--checks",
        ",".join(CHECKS),
        "--max-examples",
        str(args.max_examples),
        "--seed",
        str(args.seed),
        "--phases",
        args.phases,
        "--workers",
        "1",
        "--request-timeout",
        "30",
        "--report",
        "json",
        "--report-json-path",
        str(report),
        *selection,
    ]
    print(f"$ {' '.join(command)}", flush=True)
    # Run from the report directory: schemathesis keeps a cache (and replays old crashes)
    # in its working directory, and each run must start from nothing but its seed.
    result = subprocess.run(command, cwd=report_dir, capture_output=True, text=True, timeout=args.timeout)
    (report_dir / f"{name}.log").write_text(result.stdout + result.stderr)
    if not report.exists():
        raise RuntimeError(f"schemathesis wrote no report (exit {result.returncode}):\n{result.stdout[-3000:]}{result.stderr[-3000:]}")
    if result.returncode not in (0, 1):
        raise RuntimeError(f"schemathesis failed (exit {result.returncode}):\n{result.stdout[-3000:]}{result.stderr[-3000:]}")
    return read_report(report, name)


def main(argv: list[str] | None = None) -> int:
    """Run both passes against a fresh server and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--max-examples", type=int, default=25, help="test cases per operation (default 25)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
    parser.add_argument(
        "--phases", default="examples,coverage,fuzzing,stateful", help="schemathesis phases (default: all four)"
    )
    parser.add_argument("--timeout", type=float, default=1200.0, help="seconds one pass may take (default 1200)")
    parser.add_argument("--keep", type=Path, help="directory to keep the reports and server log in")
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="orion-fuzz-"))
    report_dir = args.keep or workdir
    report_dir.mkdir(parents=True, exist_ok=True)
    database = "postgresql" if harness.is_postgres_url(harness.outer_database_url()) else "sqlite"
    server = harness.start_server(workdir, services=False)
    try:
        schema_url = f"{server.api_url}/openapi.json"
        outcomes = [
            run_pass(schema_url, report_dir, "all-but-drop", ["--exclude-path", DESTRUCTIVE], args),
            run_pass(schema_url, report_dir, "drop", ["--include-path", DESTRUCTIVE], args),
        ]
    except (RuntimeError, subprocess.TimeoutExpired) as exc:
        print(f"fuzzing run failed: {exc}\n--- server log ---\n{server.log_tail()}", file=sys.stderr)
        return 2
    finally:
        server.stop()
    print(
        f"database={database} seed={args.seed} max_examples={args.max_examples} phases={args.phases} "
        f"checks={','.join(CHECKS)}"
    )
    for outcome in outcomes:
        print(
            f"  {outcome.name:>13}: {outcome.operations} operations, {outcome.cases} cases, "
            f"{outcome.server_errors} server errors, {outcome.schema_violations} schema violations, "
            f"{outcome.run_errors} run errors"
        )
        for line in outcome.failing:
            print(f"    {line}")
    errors = sum(outcome.server_errors for outcome in outcomes)
    violations = sum(outcome.schema_violations for outcome in outcomes)
    run_errors = sum(outcome.run_errors for outcome in outcomes)
    print(f"  total: {errors} server errors, {violations} schema violations (reports in {report_dir})")
    return 0 if errors == violations == run_errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
