#!/usr/bin/env bash
# Side-by-side load benchmark: the real Prefect 2.8.7 server (A) against this one (B),
# interleaved rounds on fresh databases, with ../shared/bench/compare.sh.
#
#   bench/compare.sh [sqlite|postgres] [orion_load.py args...]
#
# Default load: the engine workload at 16 concurrent clients, 5 tasks and 5 logs per run.
# Needs the reference venv (../shared/bench/reference/setup.sh, run once).
set -euo pipefail
KIND="${1:-sqlite}"
shift || true
HERE="$(cd "$(dirname "$0")" && pwd)"
SHARED="${ORION_SHARED_BENCH:-${HERE}/../../shared/bench}"
ARGS=("$@")
[[ ${#ARGS[@]} -gt 0 ]] || ARGS=(--workload engine -c 16 --runs 320 -K 5 -L 5)
exec "${SHARED}/compare.sh" --a-ref "${KIND}:4610" --a-name prefect-2.8.7 \
  --b-url http://127.0.0.1:4620/api --b-name orion-django \
  --b-start "${HERE}/start_orion.sh 4620 ${KIND}" --b-stop "${HERE}/stop_orion.sh 4620" \
  -- "${ARGS[@]}"
