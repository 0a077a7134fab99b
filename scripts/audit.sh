#!/usr/bin/env bash
# `make audit` (also run by `make test`): supply-chain and code checks.
#   bandit      Python security linter over apps/ and controlplane/; any finding fails.
#               A silenced finding carries `# nosec <id>: why` where it is.
#   pip-audit   the locked runtime dependencies (uv.lock, without dev tools) against the
#               PyPI vulnerability API. Where that API cannot be reached (machines whose
#               network reaches only the package index mirror) it says so in one line
#               and does not fail.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$GANTRY_ROOT"
ensure_venv

say "bandit"
.venv/bin/bandit -q -r apps controlplane -x '*/migrations/*' \
  -f custom --msg-template '{relpath}:{line}: {test_id} [{severity}] {msg}'

say "pip-audit"
requirements="$(mktemp)"
trap 'rm -f "$requirements"' EXIT
uv export --frozen --no-dev --no-hashes --no-emit-project --format requirements-txt -q >"$requirements"
# pip-audit asks https://pypi.org/pypi/<name>/<version>/json for each package: probe one.
django_version="$(sed -n 's/^django==\([^ ;]*\).*/\1/p' "$requirements")"
probe="https://pypi.org/pypi/django/$django_version/json"
if ! .venv/bin/python - "$probe" <<'PY' 2>/dev/null
import sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=10) as answer:
    sys.exit(0 if "vulnerabilities" in answer.read(1 << 20).decode() else 1)
PY
then
  echo "pip-audit: skipped: the PyPI vulnerability API is not reachable from here ($probe)." >&2
  exit 0
fi
.venv/bin/pip-audit --strict --no-deps --disable-pip --progress-spinner off -r "$requirements"
