"""Auth on vs off: the same load against two live servers of this repo, interleaved.

Starts two servers (``tests/compat/harness.py``: free loopback ports, services off,
throw-away databases; PostgreSQL when ``DATABASE_URL`` names one), one with
``ORION_AUTH_REQUIRED=true`` and an operator token, and runs ``orion_load.py`` against
each in turn for ``--rounds`` rounds (A, B, A, B, ...), then prints each round's
throughput and p99 and the medians. Both servers write the audit trail (it is on
whatever the auth setting), so the difference is what authentication costs.

    .venv/bin/python bench/auth_overhead.py --rounds 3 -- --workload engine -c 8 --runs 80 -K 5 -L 5
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from tests.compat import harness  # noqa: E402

DEFAULT_LOAD = ["--workload", "engine", "-c", "8", "--runs", "80", "-K", "5", "-L", "5"]


def run_load(api_url: str, key: str | None, load_args: list[str]) -> dict:
    """One orion_load.py run; its JSON report."""
    command = [sys.executable, str(HERE / "orion_load_auth.py")]
    if key:
        command += ["--api-key", key]
    command += ["--", "--api-url", api_url, "--json", *load_args]
    result = subprocess.run(command, capture_output=True, text=True, timeout=1800, check=False)
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise SystemExit(f"orion_load.py failed ({result.returncode}):\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
    return json.loads(lines[-1])


def summary(report: dict) -> tuple[float, float]:
    """(flow runs per second, or requests per second for read workloads; overall p99 ms)."""
    throughput = (report.get("flow_runs") or {}).get("runs_per_s") or report.get("rps") or 0.0
    p99 = report["latency"]["overall"].get("p99_ms") or 0.0
    return float(throughput), float(p99)


def main() -> int:
    """Start both servers, run the rounds, print the figures, stop the servers."""
    argv = sys.argv[1:]
    load_args = argv[argv.index("--") + 1 :] if "--" in argv else DEFAULT_LOAD
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args(argv[: argv.index("--")] if "--" in argv else argv)
    work = Path(tempfile.mkdtemp(prefix="orion-auth-bench-"))
    off = harness.start_server(work / "off", services=False)
    on = harness.start_server(work / "on", services=False, env_extra={"ORION_AUTH_REQUIRED": "true"})
    try:
        created = harness.run_manage(on, ["orion_token", "create", "--user", "bench", "--role", "operator"])
        key = created.stdout.strip().splitlines()[-1]
        figures: dict[str, list[tuple[float, float]]] = {"off": [], "on": []}
        for round_no in range(1, options.rounds + 1):
            for label, server, secret in (("off", off, None), ("on", on, key)):
                report = run_load(server.api_url, secret, load_args)
                figures[label].append(summary(report))
                if not report.get("valid", True):
                    print(f"round {round_no} auth {label}: INVALID run: {json.dumps(report)[:500]}")
                print(f"round {round_no} auth {label}: {figures[label][-1][0]:.2f}/s p99 {figures[label][-1][1]:.0f} ms", flush=True)
        med = {label: (statistics.median(t for t, _ in rows), statistics.median(p for _, p in rows)) for label, rows in figures.items()}
        ratio = med["on"][0] / med["off"][0] if med["off"][0] else float("nan")
        print(f"median auth off: {med['off'][0]:.2f}/s p99 {med['off'][1]:.0f} ms")
        print(f"median auth on:  {med['on'][0]:.2f}/s p99 {med['on'][1]:.0f} ms  (on/off throughput {ratio:.3f})")
    finally:
        on.stop()
        off.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
