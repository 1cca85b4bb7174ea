#!/bin/sh
# setup.sh — installs the Debian packages tend needs to build and test, on a
# Debian 12 machine that may have nothing but apt, a shell and coreutils.
# Idempotent and quick when everything is present: it asks dpkg first and
# runs apt-get only for what is missing, with apt's own progress on the
# terminal. `setup.sh fuzz` adds the fuzzing toolchain, `setup.sh bench` the
# supervisors tend is measured against, `setup.sh fresh` what `make
# fresh-check` needs on the host. Needs root (or sudo) only when something
# must be installed.
set -eu

# build: the compiler, meson and the libraries tend links (Lua 5.4 for
# tend-lua alone);
# test: cmocka, pytest and its helpers, Chromium for the dashboard, valgrind,
# PostgreSQL (a real server the binary-service tests run as user postgres),
# Prometheus (a real scraper of /metrics, and promtool to lint it), openssl
# (the remote API's test certificates), iproute2 (its network namespaces),
# and podman, runc, catatonit (podman's --init, which tend's containers
# use), aardvark-dns (compose services find each other by name),
# busybox-static and podman-compose (the container adapters' tests: a
# busybox image built from /bin/busybox, no registry).
# git (the build-and-install workflow example clones a repository its
# test makes). The other programs the tests run (sh, bash, sleep,
# coreutils) are in every Debian base system; python3 also runs the
# tests' own servers.
packages="gcc make meson ninja-build pkg-config
    libuv1-dev libjansson-dev libsqlite3-dev libmicrohttpd-dev libgnutls28-dev
    libcurl4-openssl-dev liblua5.4-dev
    libcmocka-dev python3 python3-pytest python3-requests python3-jsonschema python3-selenium
    chromium chromium-driver valgrind postgresql prometheus openssl iproute2
    podman runc catatonit aardvark-dns busybox-static podman-compose git"
case "${1:-}" in
fuzz) packages="$packages clang libclang-rt-14-dev" ;;
bench) packages="$packages s6 runit supervisor" ;;
fresh) packages="debootstrap util-linux iproute2" ;;
"") ;;
*) echo "usage: scripts/setup.sh [fuzz|bench|fresh]" >&2; exit 2 ;;
esac

missing=""
for p in $packages; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
    [ "$status" = "installed" ] || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

echo "setup: installing$missing" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "setup: need root to install:$missing" >&2; exit 1; }
    sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update
# shellcheck disable=SC2086 # the list is meant to split into words
$sudo apt-get install -y --no-install-recommends $missing
echo "setup: done" >&2
