#!/usr/bin/env bash
# Installs the interop peers (WebSocket implementations no one here wrote) from the
# package registries, idempotently: whatever is already present is skipped.
#
#   - Python `websockets`, `wsproto` and `playwright` (PyPI) in the venv target/interop/venv
#     (Playwright drives Debian's chromium through `executable_path`: no browser download)
#   - Node `ws` (npm) under target/interop/node
#   - Debian `chromium` (apt, needs root), for the headless-browser test
#
# Used by `cargo test -p sockeye-server --test interop` and by the client's
# `crates/client/tests/interop_python.rs`. Run from anywhere: `bash .ci/interop-setup.sh`.
# Writes the installed versions to target/interop/versions.txt.
#
# The library versions are pinned (override with the variables below) so that a new
# release of a peer cannot change CI's verdict unannounced; Chromium is Debian's current
# package (it gets security updates).
set -euo pipefail

WEBSOCKETS_VERSION="${WEBSOCKETS_VERSION:-17.4}"
WSPROTO_VERSION="${WSPROTO_VERSION:-1.3.2}"
PLAYWRIGHT_VERSION="${PLAYWRIGHT_VERSION:-1.65.2}"
WS_VERSION="${WS_VERSION:-8.23.0}"
cd "$(dirname "$0")/.."

root="$PWD/target/interop"
venv="$root/venv"
node_dir="$root/node"
mkdir -p "$root"

say() { printf 'interop-setup: %s\n' "$*"; }

# --- Python websockets (+ wsproto) ---------------------------------------------------
if ! command -v python3 >/dev/null 2>&1; then
  say "python3 missing: installing it with apt"
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-venv
  else
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-venv
  fi
fi
if [ ! -x "$venv/bin/python" ]; then
  say "creating the venv $venv"
  python3 -m venv "$venv"
fi
if "$venv/bin/python" -c 'import websockets, wsproto, playwright' >/dev/null 2>&1; then
  say "python websockets, wsproto and playwright present"
else
  say "pip install websockets==$WEBSOCKETS_VERSION wsproto==$WSPROTO_VERSION playwright==$PLAYWRIGHT_VERSION"
  # PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: the package alone; the browser is Debian's.
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 "$venv/bin/python" -m pip install -q --disable-pip-version-check \
    "websockets==$WEBSOCKETS_VERSION" "wsproto==$WSPROTO_VERSION" "playwright==$PLAYWRIGHT_VERSION"
fi

# --- Node ws -------------------------------------------------------------------------
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  say "node/npm missing: installing them with apt"
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm
  else
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm
  fi
fi
if [ -f "$node_dir/node_modules/ws/package.json" ]; then
  say "node ws present"
else
  say "npm install ws@$WS_VERSION"
  npm install --silent --no-audit --no-fund --prefix "$node_dir" "ws@$WS_VERSION"
fi

# --- Chromium ------------------------------------------------------------------------
chromium_bin=""
for c in chromium chromium-browser; do
  if command -v "$c" >/dev/null 2>&1; then chromium_bin="$(command -v "$c")"; break; fi
done
if [ -n "$chromium_bin" ]; then
  say "chromium present: $chromium_bin"
else
  say "apt-get install chromium"
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium
  else
    sudo apt-get update -qq
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium
  fi
  chromium_bin="$(command -v chromium)"
fi

# --- Versions ------------------------------------------------------------------------
{
  echo "python $("$venv/bin/python" -c 'import platform; print(platform.python_version())')"
  echo "websockets $("$venv/bin/python" -c 'import websockets; print(websockets.__version__)')"
  echo "wsproto $("$venv/bin/python" -c 'from importlib.metadata import version; print(version("wsproto"))')"
  echo "playwright $("$venv/bin/python" -c 'from importlib.metadata import version; print(version("playwright"))')"
  echo "node $(node --version)"
  echo "ws $(node -p "require('$node_dir/node_modules/ws/package.json').version")"
  echo "chromium $("$chromium_bin" --version 2>/dev/null | tr -s ' ' | sed 's/ *$//')"
} > "$root/versions.txt"
say "installed versions ($root/versions.txt):"
sed 's/^/  /' "$root/versions.txt"
