#!/bin/sh
# run-tests.sh BUILD_DIR — runs every test against one build: the cmocka unit
# tests through meson, then the pytest suites (conformance and system) with
# the build's binaries, and ends with one line "N passed, N failed".
set -u
build=${1:?usage: scripts/run-tests.sh BUILD_DIR}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1

export TEND_BIN="$top/$build/tend"
export TOML_DECODE="$top/$build/tests/toml-decode"
export RPC_TEST_SERVER="$top/$build/tests/rpc-test-server"
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"
mkdir -p "$build/test-results"

meson test -C "$build" --suite unit --print-errorlogs --no-rebuild
/usr/bin/python3 -m pytest -q -p no:cacheprovider \
    --junitxml="$build/test-results/pytest.xml" tests/conformance tests/system
/usr/bin/python3 scripts/test-summary.py "$build"
