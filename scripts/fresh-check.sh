#!/bin/bash
# fresh-check.sh — proves the README on a fresh Debian 12 machine: builds a
# minimal bookworm root with debootstrap in .fresh/ (of this project), copies
# the working tree and ../shared into it as /work/main and /work/shared, and
# there runs the README's bootstrap line, then `make test` exactly as written.
#
# Everything runs inside a PID namespace and a private mount namespace of its
# own (unshare): no process outside them is ever signalled, and every mount
# made for the root dies with the namespace even if this script is killed
# (a trap also unmounts it in order). The bootstrap line needs the Debian
# mirror, so it, and the package installation that `make test` would start
# with (scripts/setup.sh, the same script), run with the host's network;
# `make test` then runs in a network namespace of its own with only a
# loopback interface, so no test can reach or disturb anything outside.
#
# Not part of `make test`. Root only. Prints the last lines of the test run
# and the time taken; exits with make test's status.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
shared=$(cd "$top/../shared" 2>/dev/null && pwd) || { echo "fresh-check: ../shared is missing" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "fresh-check: needs root (debootstrap, mounts, namespaces)" >&2; exit 2; }
"$top/scripts/setup.sh" fresh

# The README's one bootstrap line, read from the README itself so the two
# cannot drift apart: the line inside the code block after the marker.
bootstrap=$(sed -n '/<!-- bootstrap -->/{n;n;p;q}' "$top/README.md" | sed 's/^ *//')
case "$bootstrap" in
apt-get*) ;;
*) echo "fresh-check: README.md has no bootstrap line after <!-- bootstrap -->" >&2; exit 2 ;;
esac

mirror=$(sed -n 's/^URIs: *\(http[^ ]*debian\)$/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)
mirror=${mirror:-http://deb.debian.org/debian}
fresh="$top/.fresh"
root="$fresh/root"
log="$fresh/make-test.log"
start=$(date +%s)

# A root left by an earlier run is removed; --one-file-system keeps rm from
# ever following a mount that a killed run could not take down.
if [ -e "$root" ]; then
    if grep -q " $root" /proc/self/mounts; then
        echo "fresh-check: something is still mounted under $root; unmount it first" >&2
        exit 1
    fi
    rm -rf --one-file-system "$root"
fi
mkdir -p "$root"
echo "fresh-check: debootstrap --variant=minbase bookworm from $mirror"
debootstrap --variant=minbase bookworm "$root" "$mirror" >"$fresh/debootstrap.log" 2>&1 ||
    { tail -n 20 "$fresh/debootstrap.log"; exit 1; }

# The tree as a clone would have it: tracked and new files (not ignored ones,
# so no build folders), with its .git.
mkdir -p "$root/work/main" "$root/work/shared"
(cd "$top" && git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf - .git) |
    tar -C "$root/work/main" -xf -
tar -C "$shared" -cf - . | tar -C "$root/work/shared" -xf -
cp /etc/hosts /etc/resolv.conf "$root/etc/"
if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    cp /etc/apt/sources.list.d/debian.sources "$root/etc/apt/sources.list.d/"
    : >"$root/etc/apt/sources.list"
fi

# The machine's environment, not this shell's (split into words on use).
clean_env="env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 TERM=dumb"
export root bootstrap log clean_env

set +e
unshare --mount --propagation private --pid --fork --kill-child /bin/bash -euo pipefail -c '
    unmount_all() { umount -R "$root" 2>/dev/null || true; }
    trap unmount_all EXIT
    # The root a mount of its own, as / is on a machine: `ip netns exec`
    # makes / a slave mount, which a plain folder cannot be.
    mount --bind "$root" "$root"
    mount -t proc proc "$root/proc"
    mount --rbind /sys "$root/sys"
    mount --rbind /dev "$root/dev"
    mount -t tmpfs -o mode=1777 tmpfs "$root/dev/shm"
    mount -t tmpfs -o mode=1777 tmpfs "$root/tmp"
    echo "fresh-check: $bootstrap"
    chroot "$root" $clean_env /bin/sh -c "cd /work/main && $bootstrap && scripts/setup.sh"
    echo "fresh-check: make test (network namespace with loopback only)"
    unshare --net /bin/sh -c "ip link set lo up && exec chroot \"$root\" $clean_env /bin/sh -c \"cd /work/main && make test\"" 2>&1 | tee "$log"
'
status=$?
set -e

elapsed=$(($(date +%s) - start))
echo "fresh-check: last lines of make test:"
tail -n 5 "$log" 2>/dev/null || true
printf 'fresh-check: %s, %d min %02d s in all\n' \
    "$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" 2>/dev/null | tail -n 1 || echo 'no summary line')" \
    $((elapsed / 60)) $((elapsed % 60))
exit $status
