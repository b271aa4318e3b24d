#!/usr/bin/env bash
# The engine workload on an empty database and on a filled one, 3 rounds interleaved.
#
#   bench/engine_filled.sh sqlite|postgres FILLED_URL [OUT_DIR]
#
# FILLED_URL is a database bench/reads_scale.py --keep filled (it is served, never
# dropped; the runs the load makes stay in it). Each side: orion_serve on 127.0.0.1:4620,
# 16 clients, 160 runs of 5 tasks and 5 logs; one JSON per round in OUT_DIR.
# On PostgreSQL each side starts right after a CHECKPOINT: the empty side's fresh database
# comes with one (DROP DATABASE forces it), and without one the filled side could meet the
# checkpoint timeout mid-run, when every page it then touches is written to the WAL whole.
set -euo pipefail
cd "$(dirname "$0")/.."
KIND="$1"; FILLED="$2"; OUT="${3:-/tmp/engine_${KIND}}"; mkdir -p "$OUT"
for round in 1 2 3; do
  for side in empty filled; do
    if [[ $side == filled ]]; then PID=$(BENCH_DATABASE_URL="$FILLED" bench/start_orion.sh 4620 "$KIND" | tail -1)
    else PID=$(bench/start_orion.sh 4620 "$KIND" | tail -1); fi
    if [[ $KIND == postgres ]]; then psql -h 127.0.0.1 -U postgres -qc CHECKPOINT postgres; fi
    .venv/bin/python ../shared/bench/orion_load.py --api-url http://127.0.0.1:4620/api --workload engine -c 16 --runs 160 -K 5 -L 5 --server-pid "$PID" --json --out "$OUT/${side}_${round}.json" > "$OUT/${side}_${round}.log" 2>&1 || true
    bench/stop_orion.sh 4620
  done
done
