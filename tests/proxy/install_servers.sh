#!/bin/sh
# Install the servers the operations tests run privately: nginx (the reverse-proxy prefix
# tests) and the PostgreSQL server binaries (the database-outage test starts and stops its
# own cluster). Idempotent: does nothing when both are present. Needs root for apt-get.
set -eu
PG_BIN=/usr/lib/postgresql/15/bin
if command -v nginx >/dev/null 2>&1 && [ -x "$PG_BIN/pg_ctl" ] && [ -x "$PG_BIN/initdb" ]; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "install_servers.sh: nginx or PostgreSQL 15 binaries missing and not root; their tests will be skipped" >&2
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends nginx postgresql-15
