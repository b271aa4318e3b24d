#!/usr/bin/env bash
# Start this server (orion_serve) on 127.0.0.1:PORT with an EMPTY database, for benchmarks.
#
#   [WORKERS=N] [DAPHNE_ARGS="-v 0"] [BENCH_DATABASE_URL=URL] bench/start_orion.sh PORT [sqlite|postgres]
#
# SQLite: a fresh PREFECT_HOME under /tmp. PostgreSQL: a fresh database orion_bench_PORT on
# the local server (127.0.0.1:5432, user postgres), dropped by stop_orion.sh.
# BENCH_DATABASE_URL instead serves an existing database (e.g. one bench/reads_scale.py
# --keep filled), which stop_orion.sh leaves in place.
# Services are off (the load is the API's); migrations run on start. Waits for /api/health,
# then prints the server PID as the last line (compare.sh reads it for CPU accounting).
set -euo pipefail
PORT="${1:?port}"
KIND="${2:-sqlite}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
STATE="/tmp/orion-bench-${PORT}.env"
HOME_DIR="$(mktemp -d "/tmp/orion-bench-${PORT}-XXXXXX")"
export PREFECT_HOME="${HOME_DIR}"
unset DATABASE_URL PREFECT_API_DATABASE_CONNECTION_URL || true
if [[ -n "${BENCH_DATABASE_URL:-}" ]]; then
  export DATABASE_URL="${BENCH_DATABASE_URL}"
  KIND="kept-${KIND}"
elif [[ "${KIND}" == "postgres" ]]; then
  DB="orion_bench_${PORT}"
  psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS ${DB}" postgres
  psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE ${DB}" postgres
  export DATABASE_URL="postgresql://postgres@127.0.0.1:5432/${DB}"
fi
for flag in SCHEDULER LATE_RUNS PAUSE_EXPIRATIONS CANCELLATION_CLEANUP FLOW_RUN_NOTIFICATIONS CRASHED_RUNS RETENTION; do
  export "PREFECT_API_SERVICES_${flag}_ENABLED=false"
done
cd "${ROOT}"
# The production serving command; WORKERS=N overrides its default (1 on SQLite, one per
# core on PostgreSQL); DAPHNE_ARGS go to each daphne worker. The PID is the supervisor's:
# CPU accounting follows its workers.
nohup .venv/bin/python manage.py orion_serve --host 127.0.0.1 --port "${PORT}" ${WORKERS:+--workers "${WORKERS}"} ${DAPHNE_ARGS:+-- ${DAPHNE_ARGS}} \
  >"${HOME_DIR}/server.log" 2>&1 &
PID=$!
printf 'PID=%s\nHOME_DIR=%s\nKIND=%s\n' "${PID}" "${HOME_DIR}" "${KIND}" >"${STATE}"
for _ in $(seq 1 240); do
  if curl -fsS -m 2 "http://127.0.0.1:${PORT}/api/health" >/dev/null 2>&1; then
    echo "${PID}"
    exit 0
  fi
  kill -0 "${PID}" 2>/dev/null || { tail -20 "${HOME_DIR}/server.log" >&2; exit 1; }
  sleep 0.5
done
echo "server on ${PORT} did not become healthy" >&2
kill "${PID}" 2>/dev/null || true
exit 1
