#!/usr/bin/env bash
# `make lint`: ruff's lint and format checks, nothing else.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$GANTRY_ROOT"
ensure_venv
.venv/bin/ruff check .
.venv/bin/ruff format --check .
