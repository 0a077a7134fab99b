#!/usr/bin/env bash
# Stop the local cluster started by up.sh (make cluster-down). Keeps .gantry/cluster/
# (certificates, ports, logs) so the next `make cluster` reuses them.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ -d "$STATE" ]] || { echo "cluster: not running (no $STATE)" >&2; exit 0; }
exec {LOCK}>"$STATE/.lock"
flock "$LOCK"

stopped=0
for c in $(printf '%s\n' "${COMPONENTS[@]}" | tac); do
    if is_running "$c"; then
        stop_component "$c"
        echo "cluster: stopped $c" >&2
        stopped=$((stopped + 1))
    fi
    rm -f "$STATE/pids/$c.pid"
done
(( stopped )) || echo "cluster: not running" >&2
