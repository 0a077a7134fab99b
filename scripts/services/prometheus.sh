#!/usr/bin/env bash
# A private Prometheus server for Gantry's dashboards, tests and `make run`.
#
#   prometheus.sh start DIR [CONFIG]   prints its URL (http://127.0.0.1:<free port>)
#   prometheus.sh stop DIR
#   prometheus.sh backfill DIR FILE    OpenMetrics text -> TSDB blocks in DIR/data
#                                      (run it before `start`: blocks are read at start-up)
#
# Debian's prometheus package is installed when missing. Its state (TSDB, log,
# pid, port) stays in DIR, e.g. .gantry/prometheus. Without CONFIG it scrapes
# nothing: tests fill it by backfilling.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"

usage="usage: prometheus.sh start DIR [CONFIG] | stop DIR | backfill DIR FILE"
cmd=${1:?$usage}
dir=${2:?$usage}
mkdir -p "$dir"

is_up() {  # is_up PORT: our Prometheus answers on PORT
  curl -sf --max-time 2 "http://127.0.0.1:$1/-/ready" >/dev/null 2>&1
}

case "$cmd" in
  start)
    config=${3:-}
    if [ -f "$dir/port" ] && is_up "$(cat "$dir/port")"; then
      echo "http://127.0.0.1:$(cat "$dir/port")"; exit 0
    fi
    ensure_command prometheus prometheus
    ensure_command curl curl
    if [ -z "$config" ]; then
      config="$dir/prometheus.yml"
      printf 'global:\n  scrape_interval: 15s\n  evaluation_interval: 15s\nscrape_configs: []\n' > "$config"
    fi
    port=$(free_port)
    # Retention covers the 7-day range of the dashboards; --web.enable-lifecycle lets
    # `make run` reload the config when the demo's targets change.
    setsid nohup prometheus \
      --config.file="$config" \
      --storage.tsdb.path="$dir/data" \
      --storage.tsdb.retention.time=15d \
      --web.listen-address="127.0.0.1:$port" \
      --web.enable-lifecycle \
      --log.level=warn \
      >>"$dir/prometheus.log" 2>&1 </dev/null &
    echo $! > "$dir/prometheus.pid"
    echo "$port" > "$dir/port"
    wait_for 60 "prometheus on port $port (log: $dir/prometheus.log)" is_up "$port"
    echo "http://127.0.0.1:$port"
    ;;
  stop)
    if [ -f "$dir/prometheus.pid" ]; then
      pid=$(cat "$dir/prometheus.pid")
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
      rm -f "$dir/prometheus.pid" "$dir/port"
    fi
    ;;
  backfill)
    file=${3:?$usage}
    ensure_command promtool prometheus
    mkdir -p "$dir/data"
    promtool tsdb create-blocks-from openmetrics "$file" "$dir/data" >/dev/null
    ;;
  *) die "$usage" ;;
esac
