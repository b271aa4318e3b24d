#!/usr/bin/env bash
# Stop a server started by bench/start_orion.sh PORT (by its PID) and drop its database.
set -uo pipefail
PORT="${1:?port}"
STATE="/tmp/orion-bench-${PORT}.env"
[[ -f "${STATE}" ]] || exit 0
# shellcheck disable=SC1090
source "${STATE}"
kill -TERM "${PID}" 2>/dev/null
# Longer than the supervisor's own grace period (api/supervisor.py STOP_TIMEOUT, 15 s) before
# it SIGKILLs its workers: killing the supervisor first would orphan a worker still busy.
for _ in $(seq 1 50); do kill -0 "${PID}" 2>/dev/null || break; sleep 0.5; done
kill -KILL "${PID}" 2>/dev/null
if [[ "${KIND}" == "postgres" ]]; then
  psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS orion_bench_${PORT}" postgres
fi
rm -rf "${HOME_DIR}" "${STATE}"
