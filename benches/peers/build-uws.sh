#!/usr/bin/env bash
# Builds benches/peers/uws-echo.cpp, the uWebSockets echo peer for `e2e --peer`.
#
#   bash benches/peers/build-uws.sh UWS_SRC_DIR USOCKETS_SRC_DIR OUT_BINARY
#
# uWebSockets and uSockets are Apache-2.0 and are NOT vendored in this repository: pass
# source trees checked out elsewhere (github.com/uNetworking/uWebSockets and
# github.com/uNetworking/uSockets; uWebSockets' own uSockets/ submodule works too).
#
# Built without TLS (-DLIBUS_NO_SSL) and without zlib (-DUWS_NO_ZLIB), so permessage-deflate
# can't be negotiated at all. CC, CXX and EXTRA_CFLAGS / EXTRA_CXXFLAGS override the defaults.
set -euo pipefail

if [ "$#" -ne 3 ]; then
    echo "usage: $0 UWS_SRC_DIR USOCKETS_SRC_DIR OUT_BINARY" >&2
    exit 2
fi

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
uws="$(cd "$1" && pwd)"
usockets="$(cd "$2" && pwd)"
out="$3"
CC="${CC:-gcc}"
CXX="${CXX:-g++}"

[ -f "$uws/src/App.h" ] || { echo "no src/App.h under $uws" >&2; exit 1; }
[ -f "$usockets/src/libusockets.h" ] || { echo "no src/libusockets.h under $usockets" >&2; exit 1; }

build="$(mktemp -d "${TMPDIR:-/tmp}/uws-echo-build.XXXXXX")"
trap 'rm -rf "$build"' EXIT

# uSockets: the C sources (epoll backend, the TLS file compiles to nothing without SSL).
# shellcheck disable=SC2086
(cd "$build" && "$CC" -std=c11 -O3 -flto=auto -DLIBUS_NO_SSL -I "$usockets/src" ${EXTRA_CFLAGS:-} \
    -c "$usockets"/src/*.c "$usockets"/src/eventing/*.c "$usockets"/src/crypto/*.c)

mkdir -p "$(dirname "$out")"
# shellcheck disable=SC2086
"$CXX" -std=c++20 -O3 -flto=auto -DLIBUS_NO_SSL -DUWS_NO_ZLIB \
    -I "$uws/src" -I "$usockets/src" ${EXTRA_CXXFLAGS:-} \
    "$here/uws-echo.cpp" "$build"/*.o -o "$out"

echo "built $out" >&2
