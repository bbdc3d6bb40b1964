#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# usage: scripts/fresh-machine.sh [COMMAND]
#
# Runs COMMAND as root in a freshly debootstrapped Debian 12 (bookworm)
# chroot that holds nothing but a clone of this repository's HEAD, in
# /root/tierswap: the test that the README's commands work on a new machine,
# which a developer's machine (packages, caches, kernels) cannot give.
# The default COMMAND is the README's: install git and make, then
# `make demo && make check`.
#
# Needs root; installs debootstrap with apt if it is missing. The base system
# is debootstrapped once into $CACHE/fresh/base (FRESH_FORCE=1 redoes it);
# each run copies it to a new $CACHE/fresh/root.PID, which is removed at the
# end unless FRESH_KEEP=1. Only committed work is tested (git clone of HEAD).
# The exit status is COMMAND's.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

[ "${1:-}" != -h ] || { usage; exit 0; }
[ $# -le 1 ] || { usage; exit 2; }
CMD=${1:-"apt-get update && apt-get install -y git make && make demo && make check"}
[ "$(id -u)" = 0 ] || die "needs root (debootstrap, chroot, mounts)"

BASE=$CACHE/fresh/base
if [ ! -f "$BASE/.done" ] || [ -n "${FRESH_FORCE:-}" ]; then
	command -v debootstrap >/dev/null ||
		{ apt-get update -q && apt-get install -y -q debootstrap; } >&2 ||
		die "cannot install debootstrap"
	MAIN=$(mirror_uri main)
	SEC=$(mirror_uri security)
	rm -rf --one-file-system "$BASE"
	mkdir -p "$BASE"
	log "debootstrap bookworm from $MAIN into $BASE"
	debootstrap bookworm "$BASE" "$MAIN" >"$CACHE/fresh/debootstrap.log" 2>&1 ||
		{ tail -20 "$CACHE/fresh/debootstrap.log" >&2; die "debootstrap failed"; }
	{
		echo "deb $MAIN bookworm main"
		echo "deb $MAIN bookworm-updates main"
		[ -z "$SEC" ] || echo "deb $SEC bookworm-security main"
	} >"$BASE/etc/apt/sources.list"
	rm -f "$BASE/var/cache/apt/archives/"*.deb
	touch "$BASE/.done"
fi

ROOT=$CACHE/fresh/root.$$
# Unmount everything below ROOT; remove ROOT only if nothing is still
# mounted there (a leftover bind mount of /dev must never be emptied).
# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
	umount -R "$ROOT/proc" "$ROOT/sys" "$ROOT/dev" 2>/dev/null || true
	if grep -q " $ROOT/" /proc/mounts; then
		log "left $ROOT: still mounted"
	elif [ -z "${FRESH_KEEP:-}" ]; then
		rm -rf --one-file-system "$ROOT"
	else
		log "kept $ROOT"
	fi
}
trap cleanup EXIT
cp -a "$BASE" "$ROOT"
rm -f "$ROOT/.done"
cp /etc/resolv.conf /etc/hosts "$ROOT/etc/"
git clone -q "$REPO" "$ROOT/root/tierswap"
mount -t proc proc "$ROOT/proc"
mount -t sysfs sysfs "$ROOT/sys"
mount --rbind /dev "$ROOT/dev"
mount --make-rslave "$ROOT/dev"

log "running in $ROOT: $CMD"
rc=0
chroot "$ROOT" /usr/bin/env -i HOME=/root TERM="${TERM:-dumb}" \
	PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	/bin/bash -c "cd /root/tierswap && $CMD" || rc=$?
log "exit $rc"
exit "$rc"
