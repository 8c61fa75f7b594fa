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
#   PATTERNS: wstest case patterns, comma-separated (default: $AUTOBAHN_CASES, else `*`,
#   every case). CI runs sections 1-10 and a sample of 12 and 13 (see .ci/run).
#   --tls: everything over wss:// with a CA and certificate made for the run
#   (conformance/autobahn/devcert.sh): `sockeye echo --tls-cert --tls-key` as the server,
#   the fuzzingserver serving that certificate to the autobahn-client example (built with
#   the `tls` feature) that trusts the CA file.
# The verdicts go to target/autobahn/ci/sockeye-{server,client}.json (ci-tls/ with --tls)
# and the wstest reports under target/autobahn/ci/{server,client}/reports.
set -euo pipefail
cd "$(dirname "$0")/.."

cases="${AUTOBAHN_CASES:-*}"
role="both"
tls=0
while [ $# -gt 0 ]; do
  case "$1" in
    --cases) cases="$2"; shift 2 ;;
    --role) role="$2"; shift 2 ;;
    --tls) tls=1; shift ;;
    -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
    *) echo "autobahn.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
case "$role" in server|client|both) ;; *) echo "autobahn.sh: --role server|client|both" >&2; exit 2 ;; esac

say() { printf '\n=== autobahn: %s (%ss since start)\n' "$*" "$SECONDS"; }

say "install (target/autobahn)"
bash conformance/autobahn/install.sh >/dev/null

say "build sockeye and the autobahn-client example"
# Two builds: with `--example`, cargo builds only the examples named, not the binary.
cargo build --release -q -p sockeye-cli --bin sockeye
client_features=()
[ "$tls" -eq 1 ] && client_features=(--features tls)
cargo build --release -q -p sockeye-client "${client_features[@]}" --example autobahn-client
[ -x target/release/sockeye ] && [ -x target/release/examples/autobahn-client ]

out="target/autobahn/ci"
server_tls=()
client_tls=()
client_ca=()
if [ "$tls" -eq 1 ]; then
  out="target/autobahn/ci-tls"
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
  say "server role: wstest fuzzingclient -> sockeye echo (cases: $cases)"
  python3 conformance/autobahn/suite.py server --agent sockeye --cases "$cases" --strict \
    --out "$out/server" --json "$out/sockeye-server.json" --peer-version "$version" \
    -- target/release/sockeye echo --listen 127.0.0.1:0 --threads 1 "${server_tls[@]}" || failed=1
fi

if [ "$role" != server ]; then
  say "client role: wstest fuzzingserver -> autobahn-client example (cases: $cases)"
  python3 conformance/autobahn/suite.py client --agent sockeye --cases "$cases" --strict \
    --out "$out/client" --json "$out/sockeye-client.json" \
    --peer-version "$version" "${client_tls[@]}" \
    -- target/release/examples/autobahn-client '{url}' sockeye "${client_ca[@]}" || failed=1
fi

if [ "$failed" -ne 0 ]; then
  say "FAILED: a case is not OK or INFORMATIONAL (see the summaries above)"
  exit 1
fi
say "every case OK or INFORMATIONAL"
