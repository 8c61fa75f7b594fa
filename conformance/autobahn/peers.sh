#!/usr/bin/env bash
# Runs the real Autobahn|Testsuite against every third-party peer available here, in
# every role it can play, and writes the suite's verdicts as golden data:
# conformance/expected/suite/<peer>-<role>.json (see conformance/tests/suite_agreement.rs
# and benches/tests/suite_agreement.rs, which compare the harness with them).
#
#   bash conformance/autobahn/peers.sh [--cases PATTERNS] [PEER-ROLE ...]
#
# PEER-ROLE: tungstenite-server fastws-server websockets-server wsproto-server ws-server
#            websockets-client wsproto-client ws-client tungstenite-client (default: all)
# PATTERNS: default `1.*,2.*,3.*,4.*,5.*,6.*,7.*,9.*,10.*` (sections 12 and 13 take about
#           15 minutes per peer and role; give `*` for every case). The cases run replace
#           their entries in the file; the others are kept.
# Needs: the suite (conformance/autobahn/install.sh), the interop peers
# (.ci/interop-setup.sh), and release builds of the bench echo servers and the
# tungstenite client example (built here).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"

cases='1.*,2.*,3.*,4.*,5.*,6.*,7.*,9.*,10.*'
if [ "${1:-}" = "--cases" ]; then cases="$2"; shift 2; fi
all="tungstenite-server fastws-server websockets-server wsproto-server ws-server websockets-client wsproto-client ws-client tungstenite-client"
selected="${*:-$all}"

bash "$here/install.sh" >/dev/null
cargo build --release -q -p sockeye-benches --bin echo-tungstenite --bin echo-fastws
cargo build --release -q -p sockeye-conformance --example tungstenite-client

interop="${SOCKEYE_INTEROP_DIR:-$root/target/interop}"
py="$interop/venv/bin/python"
export NODE_PATH="$interop/node/node_modules"
version() { grep "^$1 " "$interop/versions.txt" | head -1; }
lock_version() { grep -A1 "^name = \"$1\"" Cargo.lock | sed -n 's/^version = "\(.*\)"/\1/p' | head -1; }

out="$root/conformance/expected/suite"
mkdir -p "$out"
runs="$root/target/autobahn/peers"

for pr in $selected; do
  peer="${pr%-*}"
  role="${pr##*-}"
  case "$pr" in
    tungstenite-server) v="tokio-tungstenite $(lock_version tokio-tungstenite)"; cmd=(target/release/echo-tungstenite --listen 127.0.0.1:0) ;;
    fastws-server) v="fastwebsockets $(lock_version fastwebsockets)"; cmd=(target/release/echo-fastws --listen 127.0.0.1:0) ;;
    websockets-server) v="$(version websockets)"; cmd=("$py" conformance/peers/websockets_server.py) ;;
    wsproto-server) v="$(version wsproto)"; cmd=("$py" conformance/peers/wsproto_server.py) ;;
    ws-server) v="$(version ws)"; cmd=(node conformance/peers/ws_server.js) ;;
    websockets-client) v="$(version websockets)"; cmd=("$py" conformance/peers/websockets_client.py '{url}' websockets) ;;
    wsproto-client) v="$(version wsproto)"; cmd=("$py" conformance/peers/wsproto_client.py '{url}' wsproto) ;;
    ws-client) v="$(version ws)"; cmd=(node conformance/peers/ws_client.js '{url}' ws) ;;
    tungstenite-client) v="tokio-tungstenite $(lock_version tokio-tungstenite)"; cmd=(target/release/examples/tungstenite-client '{url}' tungstenite) ;;
    *) echo "peers.sh: unknown peer-role $pr" >&2; exit 2 ;;
  esac
  echo "=== $pr ($v)"
  python3 "$here/suite.py" "$role" --agent "$peer" --cases "$cases" --out "$runs/$pr" \
    --json "$out/$pr.json" --merge --peer-version "$v" -- "${cmd[@]}"
done
