#!/usr/bin/env bash
# `bash scripts/manage.sh <command> [args]`: manage.py with the settings `make run` gives
# Gantry (DEBUG, its generated secret key, its SQLite file, its private Redis), in a
# checkout where `make run` runs or has run. Variables already set win.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$GANTRY_ROOT"

[ -x .venv/bin/python ] || ensure_venv
export DEBUG="${DEBUG:-true}"
if [ -z "${SECRET_KEY:-}" ] && [ -z "${SECRET_KEY_FILE:-}" ]; then
  [ -f "$GANTRY_STATE/secret_key" ] \
    || die "$GANTRY_STATE/secret_key is missing: start Gantry once with 'make run', or set SECRET_KEY."
  export SECRET_KEY_FILE="$GANTRY_STATE/secret_key"
fi
if [ -z "${REDIS_URL:-}" ] && [ -f "$GANTRY_STATE/redis/port" ]; then
  REDIS_URL="redis://127.0.0.1:$(cat "$GANTRY_STATE/redis/port")/0"
  export REDIS_URL
fi
exec .venv/bin/python manage.py "$@"
