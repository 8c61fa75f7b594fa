#!/usr/bin/env bash
# Installs the real Autobahn|Testsuite (wstest, pip `autobahntestsuite==25.10.1`) into
# target/autobahn (or $AUTOBAHN_DIR), idempotently: an install that imports is kept.
#
# wstest runs on Python 2.7 only, and its dependencies must be pinned to the last
# versions that support 2.7 (requirements-py27.txt, next to this script). The 2.7
# interpreter is $PYTHON27, else pyenv's 2.7.18, else `python2.7` on PATH; with pyenv and
# none of them, `pyenv install 2.7.18` builds it. A Python 3 venv holds `virtualenv<20.22`,
# the last virtualenv that can create 2.7 environments.
#
#   bash conformance/autobahn/install.sh        # prints the wstest path at the end
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
ab="${AUTOBAHN_DIR:-$root/target/autobahn}"
suite_version="25.10.1"

say() { printf 'autobahn-install: %s\n' "$*" >&2; }

installed() {
  [ -x "$ab/venv/bin/wstest" ] &&
    "$ab/venv/bin/python" -c "
import pkg_resources, sys
sys.exit(pkg_resources.get_distribution('autobahntestsuite').version != '$suite_version')
import autobahntestsuite.fuzzing" >/dev/null 2>&1
}

if installed; then
  say "autobahntestsuite $suite_version present in $ab/venv"
  echo "$ab/venv/bin/wstest"
  exit 0
fi

find_py27() {
  if [ -n "${PYTHON27:-}" ]; then echo "$PYTHON27"; return; fi
  if command -v pyenv >/dev/null 2>&1; then
    local p
    p="$(pyenv root)/versions/2.7.18/bin/python"
    if [ -x "$p" ]; then echo "$p"; return; fi
  fi
  if command -v python2.7 >/dev/null 2>&1; then command -v python2.7; return; fi
  if command -v pyenv >/dev/null 2>&1; then
    say "building Python 2.7.18 with pyenv (a few minutes)"
    pyenv install -s 2.7.18 >&2
    echo "$(pyenv root)/versions/2.7.18/bin/python"
    return
  fi
  say "no Python 2.7: set PYTHON27, or install pyenv"
  exit 1
}

py27="$(find_py27)"
say "Python 2.7: $py27"
mkdir -p "$ab"
if [ ! -x "$ab/tools/bin/virtualenv" ]; then
  python3 -m venv "$ab/tools"
  "$ab/tools/bin/pip" install -q --disable-pip-version-check "virtualenv<20.22"
fi
rm -rf "$ab/venv"
"$ab/tools/bin/virtualenv" -q -p "$py27" "$ab/venv"
# Python 2.7's pip prints a deprecation notice on every call; the log keeps them.
{
  "$ab/venv/bin/pip" install -q -r "$here/requirements-py27.txt"
  "$ab/venv/bin/pip" install -q "autobahntestsuite==$suite_version"
} >"$ab/install.log" 2>&1 || { tail -n 30 "$ab/install.log" >&2; exit 1; }
installed || { say "installed, but autobahntestsuite does not import"; exit 1; }
say "autobahntestsuite $suite_version installed in $ab/venv"
echo "$ab/venv/bin/wstest"
