#!/usr/bin/env bash
# A private, throwaway PostgreSQL cluster for tests.
#
#   bash scripts/pg-cluster.sh start <dir> <port>   # prints the DATABASE_URL on stdout
#   bash scripts/pg-cluster.sh stop <dir>
#
# The cluster lives entirely in <dir> (data in <dir>/data, unix socket in <dir>, log in <dir>/log),
# listens on 127.0.0.1:<port> only, trusts local connections, has a superuser `parley` and a
# database `parley`. It is tuned for speed, not durability (fsync off). `stop` stops exactly that
# cluster with pg_ctl; no other process is touched. PostgreSQL refuses to run as root, so as root the
# server binaries run as the `postgres` user (runuser) and <dir> is handed to that user. When that
# user cannot reach <dir> (a clone under root's 0700 home), the cluster lives in a private folder
# under /tmp instead, named in <dir>/cluster; `stop` removes it.
set -euo pipefail

die() { echo "pg-cluster: $*" >&2; exit 1; }
usage() { die "usage: $0 start <dir> <port> | stop <dir>"; }

# The newest /usr/lib/postgresql/<version>/bin, else whatever initdb is on PATH.
find_bindir() {
  local best
  best=$(printf '%s\n' /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)
  if [[ -x "$best" ]]; then dirname "$best"; return; fi
  if command -v initdb >/dev/null; then dirname "$(command -v initdb)"; return; fi
  die "PostgreSQL server binaries (initdb, pg_ctl) not found.
  Install them, e.g. on Debian/Ubuntu: sudo apt-get install -y --no-install-recommends postgresql
  (or put the directory holding initdb and pg_ctl on PATH)."
}

# Run a server binary: as `postgres` when we are root, directly otherwise.
as_pg() {
  if (( EUID == 0 )); then
    id postgres >/dev/null 2>&1 || die "running as root but there is no 'postgres' user to run the server as"
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

cmd=${1:-}; dir=${2:-}
[[ -n "$cmd" && -n "$dir" ]] || usage
bin=$(find_bindir)

case "$cmd" in
  start)
    port=${3:-}
    [[ "$port" =~ ^[0-9]+$ ]] || usage
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)                        # absolute: pg_ctl and -k need it
    [[ ! -e "$dir/data" ]] || die "$dir/data already exists (stop and remove the old cluster first)"
    # Something already listening there would make the server fail with a less clear message.
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then die "port $port on 127.0.0.1 is in use"; fi
    if (( EUID == 0 )); then
      id postgres >/dev/null 2>&1 || die "running as root but there is no 'postgres' user to run the server as"
      chown -R postgres: "$dir"
      if ! runuser -u postgres -- test -w "$dir"; then
        # A parent of <dir> is not searchable by others: keep the cluster where postgres can go.
        home=$(mktemp -d /tmp/parley-pg.XXXXXX)
        chmod 700 "$home"
        chown postgres: "$home"
        echo "$home" >"$dir/cluster"
        dir=$home
      fi
    fi

    cd "$dir"  # postgres may not be allowed into the caller's working directory
    as_pg "$bin/initdb" -D "$dir/data" -U parley -A trust -E UTF8 --locale=C.UTF-8 \
      --no-sync --no-instructions >"$dir/initdb.log" 2>&1 ||
      { cat "$dir/initdb.log" >&2; die "initdb failed"; }
    # Bind 127.0.0.1 only, socket in <dir>, no durability (throwaway).
    cat >>"$dir/data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
EOF
    as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 60 start >/dev/null ||
      { cat "$dir/log" >&2 || true; die "server failed to start (log above)"; }
    as_pg "$bin/createdb" -h 127.0.0.1 -p "$port" -U parley parley ||
      die "createdb failed"
    echo "postgresql://parley@127.0.0.1:$port/parley"
    ;;
  stop)
    dir=$(cd "$dir" 2>/dev/null && pwd) || exit 0  # nothing there: nothing to stop
    moved=
    if [[ -f "$dir/cluster" ]]; then moved=$(<"$dir/cluster"); dir=$moved; fi
    if [[ -f "$dir/data/postmaster.pid" ]]; then
      cd "$dir"
      as_pg "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null
    fi
    # The folder start made under /tmp is ours to remove; <dir> itself is the caller's.
    if [[ "$moved" == /tmp/parley-pg.* ]]; then rm -rf "$moved"; fi
    ;;
  *) usage ;;
esac
