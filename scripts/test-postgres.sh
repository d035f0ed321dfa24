#!/usr/bin/env bash
# Runs the test suite against a throwaway PostgreSQL cluster on 127.0.0.1: it
# initialises a cluster in a temp dir (C collation, like SQLite's byte order),
# starts it, runs `go test` with IDGRAPH_TEST_DSN pointing at it (each test gets
# a database of its own), and stops and deletes the cluster however the tests end.
# Needs Debian's postgresql package (or PG_BIN pointing at PostgreSQL's binaries).
# Extra arguments go to go test, e.g. scripts/test-postgres.sh ./graph -run Tenant
set -euo pipefail
cd "$(dirname "$0")/.."

PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
PORT=${PG_PORT:-55432}
[ -x "$PG_BIN/initdb" ] || { echo "no PostgreSQL found (apt-get install postgresql, or set PG_BIN)" >&2; exit 1; }

data=$(mktemp -d)
# PostgreSQL refuses to run as root: run the cluster as the postgres user then.
as=()
if [ "$(id -u)" = 0 ]; then
  chown postgres "$data"
  as=(runuser -u postgres --)
fi
cleanup() {
  "${as[@]}" "$PG_BIN/pg_ctl" -D "$data/db" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$data"
}
trap cleanup EXIT

"${as[@]}" "$PG_BIN/initdb" -D "$data/db" -U idgraph --auth=trust --locale=C -E UTF8 >/dev/null
"${as[@]}" "$PG_BIN/pg_ctl" -D "$data/db" -l "$data/log" -w \
  -o "-h 127.0.0.1 -p $PORT -k $data -c max_connections=300 -c fsync=off" start >/dev/null

export IDGRAPH_TEST_DSN="postgres://idgraph@127.0.0.1:${PORT}/postgres?sslmode=disable"
echo "--- go test on PostgreSQL ($("$PG_BIN/postgres" --version))"
go test "${@:-./...}"
