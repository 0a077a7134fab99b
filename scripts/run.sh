#!/usr/bin/env bash
# `make run`: the whole product, locally, with demo data, from nothing.
# Installs uv and the dependencies, starts Redis (unless REDIS_URL is set) and the
# local Kubernetes cluster (unless GANTRY_KUBECONFIG is set), migrates, loads the
# demo data, and runs gunicorn, a Celery worker, Celery beat and the cluster watcher
# until Ctrl-C.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$GANTRY_ROOT"

ensure_venv
# Everything under the state directory (secret key, SQLite file, logs) is owner-only.
umask 077
mkdir -p "$GANTRY_STATE/logs"
chmod 700 "$GANTRY_STATE"
export DEBUG="${DEBUG:-true}"

if [ -z "${SECRET_KEY:-}" ] && [ -z "${SECRET_KEY_FILE:-}" ]; then
  [ -f "$GANTRY_STATE/secret_key" ] || python3 -c 'import secrets; print(secrets.token_urlsafe(64))' > "$GANTRY_STATE/secret_key"
  chmod 600 "$GANTRY_STATE/secret_key"
  export SECRET_KEY_FILE="$GANTRY_STATE/secret_key"
fi

started_redis=""
if [ -z "${REDIS_URL:-}" ]; then
  say "starting a private Redis"
  REDIS_URL=$(bash scripts/services/redis.sh start "$GANTRY_STATE/redis")
  export REDIS_URL
  started_redis=1
fi

demo_kubeconfig="${GANTRY_KUBECONFIG:-}"
started_cluster=""
if [ -z "$demo_kubeconfig" ]; then
  # A cluster the user started with `make cluster` is reused and left running on exit.
  if ! bash scripts/cluster/component.sh status 2>/dev/null | grep -q "kube-apiserver running"; then
    started_cluster=1
  fi
  say "starting the local Kubernetes cluster (the first time builds it: many minutes)"
  demo_kubeconfig=$(bash scripts/cluster/up.sh)
else
  say "using the cluster of GANTRY_KUBECONFIG=$demo_kubeconfig"
fi
[ -f "$demo_kubeconfig" ] || die "the demo cluster's kubeconfig $demo_kubeconfig is not a file."
# Gantry reads kubeconfigs only from GANTRY_KUBECONFIG_DIRS: allow the demo cluster's too.
kubeconfig_dir=$(cd "$(dirname "$demo_kubeconfig")" && pwd -P)
demo_kubeconfig="$kubeconfig_dir/$(basename "$demo_kubeconfig")"
state_dir=$(cd "$GANTRY_STATE" && pwd -P)
export GANTRY_KUBECONFIG_DIRS="${GANTRY_KUBECONFIG_DIRS:-$state_dir,/var/run/secrets/gantry/kubeconfigs},$kubeconfig_dir"

say "database"
.venv/bin/python manage.py migrate --noinput -v0
.venv/bin/python manage.py collectstatic --noinput -v0
credentials=$(.venv/bin/python manage.py seed_demo --kubeconfig "$demo_kubeconfig")

# --- dashboards (apps/monitoring) -----------------------------------------------------
# Unless PROMETHEUS_URL is set: a private Prometheus (Debian's package) under
# .gantry/metrics/, scraping kube-state-metrics (built from the Go module proxy,
# watching the demo cluster) and scripts/demo/loadgen.py, a DEMO-ONLY exporter of
# invented GPU and latency series for the demo deployments' pods. Stopped by stop_all.
demo_metrics=""
if [ -z "${PROMETHEUS_URL:-}" ]; then
  say "starting Prometheus, kube-state-metrics and the demo metrics"
  PROMETHEUS_URL=$(bash scripts/demo/metrics.sh start "$GANTRY_STATE/metrics" "$demo_kubeconfig")
  export PROMETHEUS_URL
  demo_metrics=1
fi
# --- end of dashboards ----------------------------------------------------------------

port="${GANTRY_PORT:-8000}"
if ! python3 -c "import socket,sys; s=socket.socket(); s.bind(('127.0.0.1',$port))" 2>/dev/null; then
  port=$(free_port)
fi

pids=()
stop_all() {
  trap - INT TERM EXIT
  say "stopping"
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ -n "$demo_metrics" ]; then bash scripts/demo/metrics.sh stop "$GANTRY_STATE/metrics" || true; fi  # dashboards
  if [ -n "$started_redis" ]; then bash scripts/services/redis.sh stop "$GANTRY_STATE/redis" || true; fi
  if [ -n "$started_cluster" ] && [ -z "${GANTRY_KEEP_CLUSTER:-}" ]; then
    bash scripts/cluster/down.sh || true
  fi
}
trap stop_all INT TERM EXIT

logs="$GANTRY_STATE/logs"
.venv/bin/gunicorn controlplane.wsgi --config python:controlplane.gunicorn_conf --bind "127.0.0.1:$port" \
  --access-logfile "$logs/gunicorn-access.log" --error-logfile "$logs/gunicorn.log" &
pids+=($!)
# Reconciles mostly wait on the API server and the database, so more processes than
# cores pay off; each costs about 110 MB.
.venv/bin/celery -A controlplane worker --queues reconcile,resync,celery \
  --concurrency "${GANTRY_WORKER_CONCURRENCY:-4}" \
  --loglevel INFO >>"$logs/celery-worker.log" 2>&1 &
pids+=($!)
.venv/bin/celery -A controlplane beat --loglevel INFO \
  --schedule "$GANTRY_STATE/celerybeat-schedule" >>"$logs/celery-beat.log" 2>&1 &
pids+=($!)
# Drift, deletions and pod trouble within seconds; beat's resync is the net behind it.
.venv/bin/python manage.py watch_clusters >>"$logs/watcher.log" 2>&1 &
pids+=($!)

wait_for 30 "gunicorn on port $port" curl -sf "http://127.0.0.1:$port/healthz"
cat <<MSG

  Gantry is running at http://127.0.0.1:$port/  (admin: http://127.0.0.1:$port/admin/)
  $credentials
  Kubeconfig of the demo cluster: $demo_kubeconfig
  Prometheus: $(sed -E 's#://[^/?\#]*@#://***@#' <<<"$PROMETHEUS_URL")   Dashboards: http://127.0.0.1:$port/fleet/
  Logs: $logs/ (errors with tracebacks: $logs/gantry.log)   Stop with Ctrl-C.

MSG
wait -n "${pids[@]}"
say "a process exited; see $logs/"
