#!/usr/bin/env bash
# The real Autobahn|Testsuite 25.10.1 against Sockeye, both roles, strict:
#
#   - installs the suite into target/autobahn if it is missing (conformance/autobahn/install.sh);
#   - builds `sockeye` and the `autobahn-client` example (release);
#   - server role: wstest's fuzzingclient against `sockeye echo --threads 1`;
#   - client role: wstest's fuzzingserver, bound to 127.0.0.1 only, against the
#     autobahn-client example;
#   - checks every case: any `behavior` or `behaviorClose` other than OK or INFORMATIONAL
#     fails the run (both roles always run); prints a summary per role with its run time;
#   - stops every process it starts by PID (conformance/autobahn/suite.py does).
#
# Usage: bash .ci/autobahn.sh [--cases PATTERNS] [--role server|client|both] [--tls]
#                             [--front mio|tokio]
#   PATTERNS: wstest case patterns, comma-separated (default: $AUTOBAHN_CASES, else `*`,
#   every case). CI runs sections 1-10 and a sample of 12 and 13 (see .ci/run).
#   --tls: everything over wss:// with a CA and certificate made for the run
#   (conformance/autobahn/devcert.sh): `sockeye echo --tls-cert --tls-key` as the server,
#   the fuzzingserver serving that certificate to the autobahn-client example (built with
#   the `tls` feature) that trusts the CA file.
#   --front tokio: sockeye-tokio's examples instead, `tokio-echo` as the server and
#   `tokio-autobahn-client` as the client (outputs under ci-tokio/, ci-tokio-tls/).
# The verdicts go to target/autobahn/ci/sockeye-{server,client}.json (ci-tls/ with --tls)
# and the wstest reports under target/autobahn/ci/{server,client}/reports.
set -euo pipefail
cd "$(dirname "$0")/.."

cases="${AUTOBAHN_CASES:-*}"
role="both"
tls=0
front=mio
while [ $# -gt 0 ]; do
  case "$1" in
    --cases) cases="$2"; shift 2 ;;
    --role) role="$2"; shift 2 ;;
    --tls) tls=1; shift ;;
    --front) front="$2"; shift 2 ;;
    -h|--help) sed -n '2,27p' "$0"; exit 0 ;;
    *) echo "autobahn.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
case "$role" in server|client|both) ;; *) echo "autobahn.sh: --role server|client|both" >&2; exit 2 ;; esac
case "$front" in mio|tokio) ;; *) echo "autobahn.sh: --front mio|tokio" >&2; exit 2 ;; esac

say() { printf '\n=== autobahn: %s (%ss since start)\n' "$*" "$SECONDS"; }

say "install (target/autobahn)"
bash conformance/autobahn/install.sh >/dev/null

say "build the server and the client ($front)"
# Two builds: with `--example`, cargo builds only the examples named, not the binary.
cargo build --release -q -p sockeye-cli --bin sockeye
if [ "$front" = tokio ]; then
  # The examples get the `tls` feature from the crate's dev-dependency on itself.
  cargo build --release -q -p sockeye-tokio --example tokio-echo --example tokio-autobahn-client
  server_cmd=(target/release/examples/tokio-echo --listen 127.0.0.1:0)
  client_cmd=(target/release/examples/tokio-autobahn-client '{url}' sockeye-tokio)
  agent=sockeye-tokio
  out="target/autobahn/ci-tokio"
else
  client_features=()
  [ "$tls" -eq 1 ] && client_features=(--features tls)
  cargo build --release -q -p sockeye-client "${client_features[@]}" --example autobahn-client
  server_cmd=(target/release/sockeye echo --listen 127.0.0.1:0 --threads 1)
  client_cmd=(target/release/examples/autobahn-client '{url}' sockeye)
  agent=sockeye
  out="target/autobahn/ci"
fi
[ -x "${server_cmd[0]}" ] && [ -x "${client_cmd[0]}" ]

server_tls=()
client_tls=()
client_ca=()
if [ "$tls" -eq 1 ]; then
  out="$out-tls"
  say "a CA and a certificate for 127.0.0.1 ($out/pki)"
  bash conformance/autobahn/devcert.sh "$out/pki"
  server_tls=(--tls-cert "$out/pki/cert.pem" --tls-key "$out/pki/key.pem")
  client_tls=("${server_tls[@]}")
  client_ca=("$out/pki/ca.pem")
fi
mkdir -p "$out"
version="sockeye $(target/release/sockeye --version | awk '{print $2}') ($(git rev-parse --short HEAD 2>/dev/null || echo unknown))"
failed=0

if [ "$role" != client ]; then
  say "server role: wstest fuzzingclient -> ${server_cmd[0]##*/} (cases: $cases)"
  python3 conformance/autobahn/suite.py server --agent "$agent" --cases "$cases" --strict \
    --out "$out/server" --json "$out/$agent-server.json" --peer-version "$version" \
    -- "${server_cmd[@]}" "${server_tls[@]}" || failed=1
fi

if [ "$role" != server ]; then
  say "client role: wstest fuzzingserver -> ${client_cmd[0]##*/} (cases: $cases)"
  python3 conformance/autobahn/suite.py client --agent "$agent" --cases "$cases" --strict \
    --out "$out/client" --json "$out/$agent-client.json" \
    --peer-version "$version" "${client_tls[@]}" \
    -- "${client_cmd[@]}" "${client_ca[@]}" || failed=1
fi

if [ "$failed" -ne 0 ]; then
  say "FAILED: a case is not OK or INFORMATIONAL (see the summaries above)"
  exit 1
fi
say "every case OK or INFORMATIONAL"
