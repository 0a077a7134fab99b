#!/usr/bin/env bash
# make run's metrics: Prometheus scraping kube-state-metrics and the DEMO-ONLY loadgen.
#
#   metrics.sh start DIR KUBECONFIG   prints the Prometheus URL (export it as PROMETHEUS_URL)
#   metrics.sh stop DIR
#
# kube-state-metrics watches the demo cluster, so the replica and GPU-allocation panels
# show real series. scripts/demo/loadgen.py invents dcgm-exporter and model-server
# series for the demo deployments' pods (the cluster's nodes are simulated, with no GPU
# to measure); it is for the demo only. State (TSDB, logs, pids) stays in DIR.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"

usage="usage: metrics.sh start DIR KUBECONFIG | stop DIR"
cmd=${1:?$usage}
dir=${2:?$usage}
services="$GANTRY_ROOT/scripts/services"
mkdir -p "$dir"

stop_loadgen() {
  if [ -f "$dir/loadgen.pid" ]; then
    kill "$(cat "$dir/loadgen.pid")" 2>/dev/null || true
    rm -f "$dir/loadgen.pid"
  fi
}

case "$cmd" in
  start)
    kubeconfig=${3:?$usage}
    ksm=$(bash "$services/kube-state-metrics.sh" start "$dir/kube-state-metrics" "$kubeconfig")

    stop_loadgen
    loadgen_port=$(free_port)
    setsid nohup "$GANTRY_ROOT/.venv/bin/python" "$GANTRY_ROOT/scripts/demo/loadgen.py" \
      --kubeconfig "$kubeconfig" --port "$loadgen_port" >>"$dir/loadgen.log" 2>&1 </dev/null &
    echo $! > "$dir/loadgen.pid"
    wait_for 30 "the demo loadgen (log: $dir/loadgen.log)" \
      curl -sf "http://127.0.0.1:$loadgen_port/metrics/serving"

    # dcgm-exporter is scraped as a pod of its own (namespace gpu-operator): its pod and
    # namespace labels clash with the target's and arrive as exported_pod and
    # exported_namespace, the form the dashboards must read as well as the plain one.
    cat > "$dir/prometheus.yml" <<YAML
global:
  scrape_interval: 15s
  evaluation_interval: 15s
scrape_configs:
  - job_name: kube-state-metrics
    honor_labels: true
    static_configs:
      - targets: ["$ksm"]
  - job_name: demo-dcgm-exporter
    metrics_path: /metrics/dcgm
    static_configs:
      - targets: ["127.0.0.1:$loadgen_port"]
        labels: {namespace: gpu-operator, pod: dcgm-exporter-demo}
  - job_name: demo-model-servers
    metrics_path: /metrics/serving
    honor_labels: true
    static_configs:
      - targets: ["127.0.0.1:$loadgen_port"]
YAML
    url=$(bash "$services/prometheus.sh" start "$dir/prometheus" "$dir/prometheus.yml")
    # Already running (a second make run): have it read the new targets.
    curl -sf -X POST "$url/-/reload" >/dev/null || true
    echo "$url"
    ;;
  stop)
    stop_loadgen
    bash "$services/prometheus.sh" stop "$dir/prometheus"
    bash "$services/kube-state-metrics.sh" stop "$dir/kube-state-metrics"
    ;;
  *) die "$usage" ;;
esac
