#!/usr/bin/env bash
# A private Redis server for Gantry: `redis.sh start DIR [PORT]` prints its URL (on PORT
# if given, else a free one); `redis.sh stop DIR`. Debian's redis-server is installed
# when missing. Nothing is persisted to disk.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"

cmd=${1:?usage: redis.sh start|stop DIR [PORT]}
dir=${2:?usage: redis.sh start|stop DIR [PORT]}
mkdir -p "$dir"

case "$cmd" in
  start)
    if [ -f "$dir/port" ] && redis-cli -p "$(cat "$dir/port")" ping >/dev/null 2>&1; then
      echo "redis://127.0.0.1:$(cat "$dir/port")/0"; exit 0
    fi
    ensure_command redis-server redis-server
    port=${3:-$(free_port)}
    redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
      --daemonize yes --pidfile "$dir/redis.pid" --dir "$dir" --logfile "$dir/redis.log" >/dev/null
    echo "$port" > "$dir/port"
    wait_for 10 "redis on port $port" redis-cli -p "$port" ping
    echo "redis://127.0.0.1:$port/0"
    ;;
  stop)
    if [ -f "$dir/redis.pid" ]; then
      pid=$(cat "$dir/redis.pid")
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      rm -f "$dir/redis.pid" "$dir/port"
    fi
    ;;
  *) die "usage: redis.sh start|stop DIR" ;;
esac
