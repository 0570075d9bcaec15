#!/usr/bin/env bash
# Start a throwaway PostgreSQL for the store tests (tests/store) and print on stdout:
#   export TEST_POSTGRES_URL=postgresql+psycopg2://...
# Usage: eval "$(bash tests/services/start_postgres.sh)"
# Runs as root on Debian (installs postgresql if missing) or as the postgres user.
# Idempotent: when the server already answers, it only prints the URL.
# Progress goes to stderr so that stdout stays eval-able.
set -euo pipefail

PORT="${PGTEST_PORT:-55432}"
BASE="${PGTEST_DIR:-/tmp/bot-pgtest-$PORT}"
DATA_DIR="$BASE/data"
RUN_DIR="$BASE/run"        # unix socket; keeps us off the system cluster's /var/run/postgresql
LOG_FILE="$BASE/server.log"
DB_NAME=bot_test
DB_USER=bot_test
DB_PASSWORD=bot_test_pw    # test-only database on 127.0.0.1
URL="postgresql+psycopg2://$DB_USER:$DB_PASSWORD@127.0.0.1:$PORT/$DB_NAME"

log() { echo "start_postgres: $*" >&2; }

find_bindir() {
    local dir
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    if [ -n "$dir" ] && [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then echo "$dir"; fi
}

as_postgres() {
    # cd /tmp: the postgres user may not be allowed into the caller's working directory.
    if [ "$(id -un)" = postgres ]; then (cd /tmp && "$@"); else (cd /tmp && runuser -u postgres -- "$@"); fi
}

url_works() {
    PGPASSWORD="$DB_PASSWORD" PGCONNECT_TIMEOUT=3 "$BINDIR/psql" -h 127.0.0.1 -p "$PORT" \
        -U "$DB_USER" -d "$DB_NAME" -tAc 'SELECT 1' >/dev/null 2>&1
}

BINDIR=$(find_bindir)
if [ -z "$BINDIR" ]; then
    if [ "$(id -u)" -ne 0 ]; then log "postgresql is not installed and we are not root"; exit 1; fi
    log "installing postgresql"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update >&2
    apt-get install -y postgresql >&2
    BINDIR=$(find_bindir)
    [ -n "$BINDIR" ] || { log "postgresql installed but no initdb under /usr/lib/postgresql/*/bin"; exit 1; }
fi

if "$BINDIR/pg_isready" -q -h 127.0.0.1 -p "$PORT"; then
    if url_works; then
        log "already running on port $PORT"
        echo "export TEST_POSTGRES_URL=$URL"
        exit 0
    fi
    if [ ! -f "$DATA_DIR/postmaster.pid" ]; then
        log "port $PORT is taken by a server that is not ours ($DATA_DIR); set PGTEST_PORT"
        exit 1
    fi
    # Our server, but the role or database is missing: fall through and create them.
else
    if [ "$(id -u)" -ne 0 ] && [ "$(id -un)" != postgres ]; then log "run as root or postgres"; exit 1; fi
    mkdir -p "$DATA_DIR" "$RUN_DIR"
    chmod 700 "$DATA_DIR"
    [ "$(id -un)" = postgres ] || chown -R postgres:postgres "$BASE"
    if [ ! -s "$DATA_DIR/PG_VERSION" ]; then
        log "initdb in $DATA_DIR"
        as_postgres "$BINDIR/initdb" -D "$DATA_DIR" -U postgres -E UTF8 --no-locale \
            --auth-local=trust --auth-host=scram-sha-256 >&2
    fi
    log "starting on 127.0.0.1:$PORT"
    as_postgres "$BINDIR/pg_ctl" -D "$DATA_DIR" -l "$LOG_FILE" -w -t 60 start \
        -o "-p $PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories=$RUN_DIR -c fsync=off" >&2
fi

for _ in $(seq 1 60); do
    if "$BINDIR/pg_isready" -q -h "$RUN_DIR" -p "$PORT"; then break; fi
    sleep 1
done
"$BINDIR/pg_isready" -q -h "$RUN_DIR" -p "$PORT" || { log "server did not become ready; see $LOG_FILE"; exit 1; }

psql_admin() { as_postgres "$BINDIR/psql" -v ON_ERROR_STOP=1 -h "$RUN_DIR" -p "$PORT" -U postgres -d postgres -tA "$@"; }
if [ "$(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname = '$DB_USER'")" != 1 ]; then
    psql_admin -c "CREATE ROLE $DB_USER LOGIN PASSWORD '$DB_PASSWORD'" >&2
fi
# CREATEDB lets tests use a database of their own if they prefer that to a schema.
psql_admin -c "ALTER ROLE $DB_USER LOGIN CREATEDB PASSWORD '$DB_PASSWORD'" >&2
if [ "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'")" != 1 ]; then
    psql_admin -c "CREATE DATABASE $DB_NAME OWNER $DB_USER ENCODING 'UTF8'" >&2
fi

url_works || { log "cannot connect with $URL"; exit 1; }
echo "export TEST_POSTGRES_URL=$URL"
