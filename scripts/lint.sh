#!/usr/bin/env bash
# `make lint`: ruff's lint and format checks, the import layers (import-linter), and
# the size of modules and functions (scripts/checks/sizes.py).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$GANTRY_ROOT"
ensure_venv
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/lint-imports --no-cache --no-logo
.venv/bin/python scripts/checks/sizes.py
