# shellcheck shell=bash disable=SC2034
# Shared by up.sh, down.sh and component.sh (sourced, not run).
# The local cluster lives in $STATE (.gantry/cluster/ under the repo root):
#   pki/          CA, serving and client certificates, service-account keys
#   kubeconfigs/  one kubeconfig per component
#   run/<name>.sh launcher of each component (component.sh start <name> runs it)
#   pids/<name>.pid, logs/<name>.log, etcd/ (data), ports.env, kubeconfig (admin)
#   pod-logs/<pod uid>/  each pod's container logs, written by pod_logs.py

CLUSTER_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$CLUSTER_DIR/../.." && pwd)"
STATE="${GANTRY_CLUSTER_STATE:-$REPO_ROOT/.gantry/cluster}"
CACHE="${GANTRY_CACHE:-$HOME/.cache/gantry}"
# shellcheck source=versions.env
source "$CLUSTER_DIR/versions.env"

K8S_BIN="$CACHE/kubernetes-$KUBERNETES_VERSION/bin"
ETCD_BIN="$CACHE/etcd-$ETCD_VERSION/bin"
KWOK_BIN="$CACHE/kwok-$KWOK_VERSION/bin"
# KWOK's Logs CRD, copied from the pinned sigs.k8s.io/kwok module by up.sh
KWOK_LOGS_CRD="$CACHE/kwok-$KWOK_VERSION/crd/kwok.x-k8s.io_logs.yaml"
GATEWAY_API_CRDS="$CACHE/gateway-api-$GATEWAY_API_VERSION/crd"

# start order; down.sh stops in reverse
COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok pod-logs)
# GANTRY_CLUSTER_POD_LOGS=0 leaves pod-logs out (pods then all get ClusterLogs' shared log):
# the control-plane benchmarks do, as its one Logs object per pod would double the API
# server's writes in their 500-pod bursts, for Gantry and kubectl alike.
if [[ "${GANTRY_CLUSTER_POD_LOGS:-1}" == 0 ]]; then
    COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok)
fi

binary_of() {
    case "$1" in
        etcd) echo "$ETCD_BIN/etcd" ;;
        kwok) echo "$KWOK_BIN/kwok" ;;
        kube-apiserver | kube-controller-manager | kube-scheduler | kubectl) echo "$K8S_BIN/$1" ;;
        # pod_logs.py runs on the Python interpreter up.sh found (pyenv and venvs
        # put a script where python3 is; this is the binary it ends in)
        pod-logs) cat "$STATE/run/pod-logs.python" 2>/dev/null || echo "$STATE/run/no-python" ;;
        *) echo "unknown component: $1" >&2; return 1 ;;
    esac
}

# pid_of NAME -> the pid of the running component, or nothing (stale or absent pid file)
pid_of() {
    local f="$STATE/pids/$1.pid" pid exe
    [[ -f "$f" ]] || return 0
    pid="$(cat "$f" 2>/dev/null || true)"
    [[ "$pid" =~ ^[0-9]+$ ]] || return 0
    # the pid must still be this component's binary, not a reused pid
    exe="$(readlink "/proc/$pid/exe" 2>/dev/null || true)"
    [[ "${exe% (deleted)}" == "$(readlink -f "$(binary_of "$1")")" ]] || return 0
    # any Python process could have the interpreter's binary: it must run our script
    if [[ "$1" == pod-logs ]] && ! grep -qa pod_logs.py "/proc/$pid/cmdline" 2>/dev/null; then return 0; fi
    echo "$pid"
}

is_running() { [[ -n "$(pid_of "$1")" ]]; }

# start_component NAME: run $STATE/run/NAME.sh detached from this shell
start_component() {
    local name="$1" launcher="$STATE/run/$1.sh"
    [[ -x "$launcher" ]] || { echo "no launcher $launcher: run scripts/cluster/up.sh" >&2; return 1; }
    if is_running "$name"; then return 0; fi
    mkdir -p "$STATE/logs" "$STATE/pids"
    rm -f "$STATE/pids/$name.pid"
    printf '\n==== %s start %s\n' "$(date -u +%FT%TZ)" "$name" >>"$STATE/logs/$name.log"
    # the launcher writes its own pid and execs the binary, so the pid is the binary's
    setsid nohup "$launcher" >>"$STATE/logs/$name.log" 2>&1 </dev/null &
    disown 2>/dev/null || true
    local i
    for i in $(seq 1 50); do
        if is_running "$name"; then return 0; fi
        sleep 0.1
    done
    echo "$name did not start; see $STATE/logs/$name.log" >&2
    tail -n 20 "$STATE/logs/$name.log" >&2 || true
    return 1
}

# stop_component NAME: SIGTERM, then SIGKILL after a grace period. kube-apiserver
# stops listening at once but then drains its long-running requests for a while,
# so it gets 3 s; the others 10 s.
stop_component() {
    local name="$1" pid ticks=100
    pid="$(pid_of "$name")"
    if [[ "$name" == kube-apiserver ]]; then ticks=30; fi
    if [[ -n "$pid" ]]; then
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 1 "$ticks"); do
            [[ -d "/proc/$pid" ]] || break
            # a zombie counts as gone
            [[ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" == Z ]] && break
            sleep 0.1
        done
        if [[ -d "/proc/$pid" ]]; then kill -KILL "$pid" 2>/dev/null || true; fi
    fi
    rm -f "$STATE/pids/$name.pid"
}

load_ports() {
    # shellcheck source=/dev/null
    if [[ -f "$STATE/ports.env" ]]; then source "$STATE/ports.env"; fi
}

# curl against the API server as the admin user
api_curl() {
    curl -sS --max-time 5 --cacert "$STATE/pki/ca.crt" --cert "$STATE/pki/admin.crt" \
        --key "$STATE/pki/admin.key" "https://127.0.0.1:$APISERVER_PORT$1"
}

apiserver_ready() {
    load_ports
    [[ -n "${APISERVER_PORT:-}" ]] && [[ "$(api_curl /readyz 2>/dev/null)" == ok ]]
}
