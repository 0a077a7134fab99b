#!/usr/bin/env bash
# `make test`: everything, from nothing. Installs what the tests need, starts
# throwaway PostgreSQL and Redis, lints (ruff, shellcheck), audits (bandit, pip-audit),
# checks migrations, and runs pytest.
# The local Kubernetes cluster and Prometheus are started on demand by pytest fixtures;
# browser tests use Debian's Chromium, installed here when missing, and the accessibility
# tests axe-core from npm (a pinned version, cached; never served by the app).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$GANTRY_ROOT/scripts/services/testenv.sh"
cd "$GANTRY_ROOT"

ensure_venv
export DEBUG=0
start_throwaway_services

say "lint"
bash "$GANTRY_ROOT/scripts/lint.sh"

bash "$GANTRY_ROOT/scripts/audit.sh"

say "migrations"
.venv/bin/python manage.py makemigrations --check --dry-run

say "static files"
.venv/bin/python manage.py collectstatic --noinput -v0

say "browser"
# Playwright drives Debian's Chromium; it never downloads a browser of its own.
ensure_command chromium chromium
ensure_axe_core

say "pytest"
.venv/bin/python -m pytest "$@"
