#!/usr/bin/env bash
# A throwaway PostgreSQL server: `postgres.sh start DIR [PORT]` prints a DATABASE_URL (on PORT
# if given, else a free one); `postgres.sh stop DIR`.
# Debian's postgresql is installed when missing. PostgreSQL refuses to run as root,
# so as root the cluster belongs to the 'postgres' system user.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"

cmd=${1:?usage: postgres.sh start|stop|destroy DIR [PORT]}
dir=${2:?usage: postgres.sh start|stop|destroy DIR [PORT]}

find_bin() {
  local bin
  for bin in "$(command -v "$1" 2>/dev/null)" /usr/lib/postgresql/*/bin/"$1"; do
    [ -x "$bin" ] && { echo "$bin"; return 0; }
  done
  return 1
}

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# As root the data must sit where the 'postgres' user can reach it, which DIR
# (often under a private checkout) may not be; it goes under /tmp, named after DIR.
data_dir() {
  if [ "$(id -u)" = 0 ]; then
    echo "/tmp/gantry-postgres-$(printf '%s' "$(realpath -m "$dir")" | md5sum | cut -c1-12)"
  else
    echo "$dir/data"
  fi
}

case "$cmd" in
  start)
    if ! find_bin pg_ctl >/dev/null; then ensure_command psql postgresql; fi
    pg_ctl=$(find_bin pg_ctl) || die "pg_ctl not found after installing postgresql."
    initdb=$(find_bin initdb)
    mkdir -p "$dir"
    data=$(data_dir)
    if [ "$(id -u)" = 0 ]; then
      id postgres >/dev/null 2>&1 || die "the 'postgres' system user is missing; reinstall postgresql."
      install -d -o postgres -m 700 "$data"
    fi
    if [ -f "$dir/port" ] && as_owner "$pg_ctl" -D "$data" status >/dev/null 2>&1; then
      echo "postgres://gantry@127.0.0.1:$(cat "$dir/port")/gantry"; exit 0
    fi
    if [ ! -f "$data/PG_VERSION" ]; then
      as_owner "$initdb" -D "$data" -U gantry --auth=trust -E UTF8 --no-sync >/dev/null
    fi
    port=${3:-$(free_port)}
    # fsync off: this server holds test data only and is thrown away.
    as_owner "$pg_ctl" -D "$data" -l "$data/postgres.log" -w -t 30 \
      -o "-p $port -k $data -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
      start >/dev/null
    echo "$port" > "$dir/port"
    psql=$(find_bin psql)
    "$psql" -h 127.0.0.1 -p "$port" -U gantry -d postgres -qtAc \
      "SELECT 1 FROM pg_database WHERE datname='gantry'" | grep -q 1 \
      || "$psql" -h 127.0.0.1 -p "$port" -U gantry -d postgres -qc "CREATE DATABASE gantry" >/dev/null
    echo "postgres://gantry@127.0.0.1:$port/gantry"
    ;;
  stop)
    pg_ctl=$(find_bin pg_ctl) || exit 0
    data=$(data_dir)
    if [ -d "$data" ]; then
      as_owner "$pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    rm -f "$dir/port"
    ;;
  destroy)
    "$0" stop "$dir"
    rm -rf "$(data_dir)" "$dir"
    ;;
  *) die "usage: postgres.sh start|stop|destroy DIR" ;;
esac
