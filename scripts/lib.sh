# Shared helpers for Gantry's scripts; source it, do not run it.
# shellcheck shell=bash

GANTRY_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
GANTRY_STATE="${GANTRY_STATE_DIR:-$GANTRY_ROOT/.gantry}"
GANTRY_CACHE="${GANTRY_CACHE:-$HOME/.cache/gantry}"
export GANTRY_ROOT GANTRY_STATE GANTRY_CACHE

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# A free TCP port on 127.0.0.1 (the kernel picks it; a race with another process is unlikely).
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

_apt_updated=""
# Install Debian packages when the command they provide is missing.
ensure_command() {  # ensure_command <command> <debian-package>
  command -v "$1" >/dev/null 2>&1 && return 0
  [ "$(id -u)" = 0 ] || die "'$1' is missing; install the Debian package '$2' (sudo apt-get install $2)."
  say "installing $2 (provides $1)"
  if [ -z "$_apt_updated" ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    _apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$2" >/dev/null
  command -v "$1" >/dev/null 2>&1 || die "installing $2 did not provide '$1'."
}

# axe-core, for the browser tests' accessibility checks only: a pinned version from npm
# into the cache, its path exported as GANTRY_AXE_CORE for pytest.
AXE_CORE_VERSION=4.14.1
ensure_axe_core() {
  local dir="$GANTRY_CACHE/axe-core-$AXE_CORE_VERSION"
  local script="$dir/node_modules/axe-core/axe.min.js"
  if [ ! -f "$script" ]; then
    ensure_command npm npm
    say "installing axe-core $AXE_CORE_VERSION from npm"
    npm install --silent --no-audit --no-fund --prefix "$dir" "axe-core@$AXE_CORE_VERSION" >/dev/null
    [ -f "$script" ] || die "installing axe-core did not provide $script."
  fi
  export GANTRY_AXE_CORE="$script"
}

# uv from PyPI when missing, then the locked virtualenv in .venv.
ensure_venv() {
  if ! command -v uv >/dev/null 2>&1; then
    say "installing uv from PyPI"
    python3 -m pip install --quiet --user uv || python3 -m pip install --quiet uv
    export PATH="$HOME/.local/bin:$PATH"
  fi
  (cd "$GANTRY_ROOT" && uv sync --frozen --quiet)
}

# Wait until a command succeeds, up to N seconds.
wait_for() {  # wait_for <seconds> <description> <command...>
  local seconds=$1 what=$2; shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || die "$what did not come up within ${seconds}s."
    sleep 0.2
  done
}
