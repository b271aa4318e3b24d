#!/bin/sh
# Install the servers the operations tests run privately: nginx (the reverse-proxy prefix
# tests) and the PostgreSQL server binaries (the database-outage test starts and stops its
# own cluster). Idempotent: does nothing when both are present. Needs root for apt-get.
set -eu
PG_BIN=/usr/lib/postgresql/15/bin
if command -v nginx >/dev/null 2>&1 && [ -x "$PG_BIN/pg_ctl" ] && [ -x "$PG_BIN/initdb" ]; then
    exit 0
fi
. "$(dirname "$0")/../apt_install.sh"
apt_install "install_servers.sh: nginx or PostgreSQL 15 binaries missing and not root; their tests will be skipped" \
    nginx postgresql-15
