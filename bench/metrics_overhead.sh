#!/usr/bin/env bash
# Requests/s with and without the metrics middleware, in interleaved rounds.
#
#   bench/metrics_overhead.sh [sqlite|postgres] [ROUNDS] [orion_load.py args...]
#
# Each round starts a fresh server twice (ORION_METRICS_ENABLED=true, then false) with
# bench/start_orion.sh on a free loopback port, runs orion_load.py (ORION_SHARED_BENCH) against
# it (default: engine workload, 8 clients, 60 runs, 3 tasks and 3 logs per run), stops it,
# and prints one line per run; the medians come last.
set -euo pipefail
KIND="${1:-sqlite}"
ROUNDS="${2:-3}"
shift $(( $# > 2 ? 2 : $# ))
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
LOAD="${ORION_SHARED_BENCH:-${ROOT}/../../shared/bench}/orion_load.py"
ARGS=("$@")
[[ ${#ARGS[@]} -gt 0 ]] || ARGS=(--workload engine -c 8 --runs 60 -K 3 -L 3)
free_port() { "${ROOT}/.venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
declare -A RESULTS=([true]="" [false]="")
for round in $(seq 1 "${ROUNDS}"); do
  for metrics in true false; do
    PORT="$(free_port)"
    ORION_METRICS_ENABLED="${metrics}" "${ROOT}/bench/start_orion.sh" "${PORT}" "${KIND}" >/dev/null
    RPS="$(python3 "${LOAD}" --api-url "http://127.0.0.1:${PORT}/api" "${ARGS[@]}" --json \
      | python3 -c 'import json,sys; print(round(json.load(sys.stdin)["rps"], 1))')"
    "${ROOT}/bench/stop_orion.sh" "${PORT}" >/dev/null
    RESULTS[${metrics}]+="${RPS} "
    echo "round ${round} metrics=${metrics}: ${RPS} requests/s"
  done
done
for metrics in true false; do
  echo "metrics=${metrics}: median $(printf '%s\n' ${RESULTS[${metrics}]} | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}') requests/s (${RESULTS[${metrics}]% })"
done
