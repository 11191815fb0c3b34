#!/usr/bin/env bash
# A throwaway PostgreSQL server on 127.0.0.1 for the store tests and the benchmark.
#   scripts/pg.sh start   initializes a cluster in $NEXUS_PG_DIR, starts it, creates the
#                         `nexus` role and database, and prints the URL
#   scripts/pg.sh stop    stops it and removes the cluster
# It uses Debian's server binaries (package postgresql); .ci/run installs them.
set -euo pipefail
dir="${NEXUS_PG_DIR:-/tmp/nexus-pg}"
port="${NEXUS_PG_PORT:-54329}"
bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
[ -n "$bin" ] || { echo "PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 1; }
# initdb refuses to run as root: run the server as the `postgres` user then.
as() { if [ "$(id -u)" -eq 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi; }

case "${1:-}" in
start)
    if [ -f "$dir/data/postmaster.pid" ]; then
        as "$bin/pg_ctl -D $dir/data stop -m fast" > /dev/null 2>&1 || true
    fi
    rm -rf "$dir" && mkdir -p "$dir"
    [ "$(id -u)" -ne 0 ] || chown postgres "$dir"
    as "$bin/initdb -D $dir/data -U postgres -A trust --no-sync -E UTF8" > "$dir/initdb.log"
    as "$bin/pg_ctl -D $dir/data -l $dir/server.log -w -o \"-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c max_connections=200\" start" > /dev/null
    as "$bin/psql -h 127.0.0.1 -p $port -U postgres -q -c \"CREATE ROLE nexus LOGIN CREATEDB PASSWORD 'nexus'\" -c \"CREATE DATABASE nexus OWNER nexus\"" > /dev/null
    echo "postgres://nexus:nexus@127.0.0.1:$port/nexus"
    ;;
stop)
    if [ -d "$dir/data" ]; then
        as "$bin/pg_ctl -D $dir/data stop -m fast" > /dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    ;;
*)
    echo "usage: scripts/pg.sh start|stop" >&2; exit 2 ;;
esac
