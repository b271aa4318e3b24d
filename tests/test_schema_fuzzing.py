"""Schema fuzzing on a small budget: ``bench/fuzz_api.py`` against a live server.

The full run (25 examples per operation, every phase) is the benchmark script's job;
here the same script runs with 8 examples per operation and without the (slow, exhaustive)
coverage phase, whose boundary values are pinned by tests/api/test_hostile_input.py, so
the suite catches a new 5xx or response-schema violation on each database it runs on.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
SCRIPT = REPO_ROOT / "bench" / "fuzz_api.py"
BUDGET = ["--max-examples", "8", "--phases", "fuzzing,stateful", "--seed", "20230330", "--timeout", "200"]


def test_no_server_errors_and_no_schema_violations(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), *BUDGET, "--keep", str(tmp_path)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=280,
        stdin=subprocess.DEVNULL,
    )
    summary = result.stdout + result.stderr
    assert result.returncode == 0, summary
    assert "total: 0 server errors, 0 schema violations" in result.stdout, summary
    # Every operation is fuzzed: the 114 of Prefect's but the drop (fuzzed alone), and ours.
    fuzzed = int(re.search(r"all-but-drop: (\d+) operations", result.stdout).group(1))
    assert fuzzed >= 114 and " 1 operations" in result.stdout, summary
