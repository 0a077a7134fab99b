#!/usr/bin/env bash
# `make bench [BENCH=prefix]`: prints each figure as `bench: <name> = <value> <unit>`.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$GANTRY_ROOT/scripts/services/testenv.sh"
cd "$GANTRY_ROOT"

ensure_venv
export DEBUG=0
start_throwaway_services
.venv/bin/python -m bench "${1:-}"
