#!/usr/bin/env bash
# kube-state-metrics watching a cluster, for the dashboards' replica and GPU-allocation panels.
#
#   kube-state-metrics.sh start DIR KUBECONFIG   prints its scrape target (127.0.0.1:<port>)
#   kube-state-metrics.sh stop DIR
#
# The binary is built from the Go module proxy at the version pinned in
# scripts/cluster/versions.env, like the local cluster's (scripts/cluster/build.sh).
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
source "$GANTRY_ROOT/scripts/cluster/versions.env"

usage="usage: kube-state-metrics.sh start DIR KUBECONFIG | stop DIR"
cmd=${1:?$usage}
dir=${2:?$usage}
bin="$GANTRY_CACHE/kube-state-metrics-$KUBE_STATE_METRICS_VERSION/bin/kube-state-metrics"
mkdir -p "$dir"

is_up() { curl -sf --max-time 2 "http://127.0.0.1:$1/metrics" >/dev/null 2>&1; }

case "$cmd" in
  start)
    kubeconfig=${3:?$usage}
    [ -f "$kubeconfig" ] || die "kubeconfig $kubeconfig does not exist; start the cluster first (make cluster)."
    if [ -f "$dir/port" ] && is_up "$(cat "$dir/port")"; then
      echo "127.0.0.1:$(cat "$dir/port")"; exit 0
    fi
    if [ ! -x "$bin" ]; then
      say "building kube-state-metrics $KUBE_STATE_METRICS_VERSION from the Go module proxy (once)"
      bash "$GANTRY_ROOT/scripts/cluster/build.sh" kube-state-metrics >&2
    fi
    port=$(free_port)
    telemetry=$(free_port)
    # Only what the dashboards read: Deployments, their HPAs, and pods (phase, GPU requests).
    setsid nohup "$bin" \
      --kubeconfig="$kubeconfig" \
      --host=127.0.0.1 --port="$port" \
      --telemetry-host=127.0.0.1 --telemetry-port="$telemetry" \
      --resources=deployments,horizontalpodautoscalers,pods \
      >>"$dir/kube-state-metrics.log" 2>&1 </dev/null &
    echo $! > "$dir/kube-state-metrics.pid"
    echo "$port" > "$dir/port"
    wait_for 60 "kube-state-metrics on port $port (log: $dir/kube-state-metrics.log)" is_up "$port"
    echo "127.0.0.1:$port"
    ;;
  stop)
    if [ -f "$dir/kube-state-metrics.pid" ]; then
      pid=$(cat "$dir/kube-state-metrics.pid")
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      rm -f "$dir/kube-state-metrics.pid" "$dir/port"
    fi
    ;;
  *) die "$usage" ;;
esac
