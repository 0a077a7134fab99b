#!/usr/bin/env bash
# Stop or start one component of the running local cluster, e.g. to test how
# Gantry behaves while kube-apiserver is down:
#
#   scripts/cluster/component.sh stop kube-apiserver
#   scripts/cluster/component.sh start kube-apiserver   # same port, waits until ready
#   scripts/cluster/component.sh status                 # every component: running/stopped
#
# Components: etcd kube-apiserver kube-controller-manager kube-scheduler kwok pod-logs.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() { echo "usage: $0 stop|start|status [component]" >&2; exit 2; }
action="${1:-}"
name="${2:-}"
if [[ "$action" != status ]]; then
    [[ -n "$name" ]] || usage
    binary_of "$name" >/dev/null || usage
fi

case "$action" in
    stop)
        stop_component "$name"
        echo "cluster: stopped $name" >&2
        ;;
    start)
        [[ -x "$STATE/run/$name.sh" ]] || { echo "cluster: no launcher for $name; run scripts/cluster/up.sh first" >&2; exit 1; }
        start_component "$name"
        if [[ "$name" == kube-apiserver ]]; then
            for _ in $(seq 1 300); do
                apiserver_ready && break
                is_running kube-apiserver || { echo "cluster: kube-apiserver exited; see $STATE/logs/kube-apiserver.log" >&2; exit 1; }
                sleep 0.2
            done
            apiserver_ready || { echo "cluster: kube-apiserver not ready after 60 s" >&2; exit 1; }
        fi
        echo "cluster: started $name" >&2
        ;;
    status)
        for c in "${COMPONENTS[@]}"; do
            pid="$(pid_of "$c")"
            if [[ -n "$pid" ]]; then echo "$c running pid=$pid"; else echo "$c stopped"; fi
        done
        ;;
    *) usage ;;
esac
