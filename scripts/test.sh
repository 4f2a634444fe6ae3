#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what it needs, then runs pytest.
# Usage: bash scripts/test.sh [pytest args...]
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v /usr/bin/chromium >/dev/null 2>&1 || need_apt+=(chromium chromium-driver)
command -v redis-server >/dev/null 2>&1 || need_apt+=(redis-server)
command -v wrk >/dev/null 2>&1 || need_apt+=(wrk)
# deploy/ is checked with the real tools: nginx (-t, and in front of two instances),
# systemd-analyze verify, openssl (test certificates).
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need_apt+=(nginx)
command -v systemd-analyze >/dev/null 2>&1 || need_apt+=(systemd)
command -v openssl >/dev/null 2>&1 || need_apt+=(openssl)
# The OpenID Connect login is tested against a real provider (oidc-provider under Node).
command -v node >/dev/null 2>&1 || need_apt+=(nodejs)
command -v npm >/dev/null 2>&1 || need_apt+=(npm)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing ${need_apt[*]} with apt-get"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
  else
    echo "Missing ${need_apt[*]}: install them (apt-get install ${need_apt[*]})" >&2
    exit 1
  fi
fi

PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q ./packages/pywry-core "./packages/pywry-server[oidc]" \
  ./packages/pywry-state-redis ./packages/pywry-state-sqlite \
  ./packages/_template ./tests/third_party_backend
.venv/bin/python -m pip install -q --group dev
npm ci --prefix tests/oidc/provider --no-audit --no-fund --loglevel=error >/dev/null
exec .venv/bin/python -m pytest "$@"
