# Throwaway PostgreSQL and Redis for tests and benchmarks; source it.
# Exports DATABASE_URL and REDIS_URL and stops both servers when the shell exits.
# shellcheck shell=bash

start_throwaway_services() {
  local dir="$GANTRY_STATE/test-$$"
  say "starting throwaway PostgreSQL and Redis"
  bash "$GANTRY_ROOT/scripts/services/postgres.sh" destroy "$dir/postgres"
  DATABASE_URL=$(bash "$GANTRY_ROOT/scripts/services/postgres.sh" start "$dir/postgres")
  REDIS_URL=$(bash "$GANTRY_ROOT/scripts/services/redis.sh" start "$dir/redis")
  export DATABASE_URL REDIS_URL
  export SECRET_KEY="${SECRET_KEY:-$(python3 -c 'import secrets; print(secrets.token_urlsafe(64))')}"
  THROWAWAY_DIR=$dir
  trap stop_throwaway_services EXIT
}

stop_throwaway_services() {
  bash "$GANTRY_ROOT/scripts/services/redis.sh" stop "$THROWAWAY_DIR/redis" || true
  bash "$GANTRY_ROOT/scripts/services/postgres.sh" destroy "$THROWAWAY_DIR/postgres" || true
  rm -rf "$THROWAWAY_DIR"
}
