#!/usr/bin/env bash
# Makes a throwaway CA and a server certificate it signs for 127.0.0.1 and localhost, for
# running the Autobahn|Testsuite over wss:// (.ci/autobahn.sh --tls). Nothing here is
# committed: the keys are made on the spot with the `openssl` command, valid for 2 days.
#
# Usage: bash conformance/autobahn/devcert.sh DIR
# Writes DIR/ca.pem (what the client trusts), DIR/cert.pem and DIR/key.pem (PKCS#8, what
# the server serves). ECDSA P-256, like sockeye_driver::tls::dev.
set -euo pipefail
dir="${1:?usage: devcert.sh DIR}"
mkdir -p "$dir"
cd "$dir"
umask 077
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
  -subj "/CN=Sockeye Autobahn CA $$" -keyout ca.key -out ca.pem \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
  -subj "/CN=127.0.0.1" -keyout key.pem -out server.csr 2>/dev/null
printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature" \
  "extendedKeyUsage=serverAuth" "subjectAltName=IP:127.0.0.1,DNS:localhost" > server.ext
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
  -extfile server.ext -out cert.pem 2>/dev/null
rm -f ca.key ca.srl server.csr server.ext
chmod 644 ca.pem cert.pem
