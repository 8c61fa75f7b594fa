#!/usr/bin/env bash
# Installs what the cluster tests run (sockeye-pubsub, the chat and ticker as a cluster):
# Debian's `redis-server` and `haproxy`, with apt, idempotently. Run from anywhere:
# `bash .ci/cluster-setup.sh`. The tests start their own instances on loopback ports
# and stop them by PID; with CI=true they fail if a binary is missing.
set -euo pipefail

say() { printf 'cluster-setup: %s\n' "$*"; }
missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || missing+=(haproxy)
if [ "${#missing[@]}" -gt 0 ]; then
  say "apt-get install ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
say "$(redis-server --version | cut -d' ' -f1-3)"
say "$( (command -v haproxy >/dev/null 2>&1 && haproxy -v || /usr/sbin/haproxy -v) | head -1)"
