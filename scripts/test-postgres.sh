#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the team-mode tests (MLflow's registry on PostgreSQL): a new cluster
# under a temporary folder, listening on 127.0.0.1 only, on a free port, trust authentication.
#   eval "$(bash scripts/test-postgres.sh start)"     # exports MLOPS_TEST_POSTGRES_URI and MLOPS_TEST_POSTGRES_DIR
#   bash scripts/test-postgres.sh stop "$MLOPS_TEST_POSTGRES_DIR"
# Needs PostgreSQL's server binaries (Debian: apt-get install postgresql). As root, the cluster runs as
# the `postgres` user (PostgreSQL refuses to run as root).
set -euo pipefail

bin_dir() {
  local found
  found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
  if [ -z "$found" ] && command -v initdb >/dev/null; then found=$(dirname "$(command -v initdb)"); fi
  [ -n "$found" ] || { echo "no PostgreSQL server binaries (initdb): apt-get install postgresql" >&2; exit 1; }
  echo "$found"
}

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "${1:-}" in
  start)
    bin=$(bin_dir)
    root=$(mktemp -d /tmp/mlops-test-postgres.XXXXXX)
    chmod 755 "$root"
    if [ "$(id -u)" = 0 ]; then chown postgres "$root"; fi
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    as_owner "$bin/initdb" -D "$root/data" -A trust -U postgres >"$root/initdb.log" 2>&1 \
      || { cat "$root/initdb.log" >&2; exit 1; }
    as_owner "$bin/pg_ctl" -D "$root/data" -l "$root/server.log" -w \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $root" start >/dev/null \
      || { cat "$root/server.log" >&2; exit 1; }
    echo "export MLOPS_TEST_POSTGRES_URI=postgresql://postgres@127.0.0.1:$port/postgres"
    echo "export MLOPS_TEST_POSTGRES_DIR=$root"
    ;;
  stop)
    root=${2:?the folder printed as MLOPS_TEST_POSTGRES_DIR}
    [ -d "$root/data" ] || exit 0
    as_owner "$(bin_dir)/pg_ctl" -D "$root/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$root"
    ;;
  *)
    echo "usage: $0 start | stop DIR" >&2
    exit 2
    ;;
esac
