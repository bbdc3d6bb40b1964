#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# usage: scripts/deps.sh
#
# Installs the Debian packages the host-side scripts need (idempotent:
# quiet and fast when everything is installed already). Needs root.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

[ "${1:-}" != -h ] || { usage; exit 0; }
[ $# -eq 0 ] || { usage; exit 2; }

# Every program the scripts run on the host, and those the guest runs from
# the host's root (shared read-only), by package. Most are in any Debian
# base system; they are listed so that nothing depends on what a given host
# happens to have.
PKGS=(
	bash coreutils sed grep mawk findutils diffutils util-linux mount procps # timeout, awk, flock, losetup, pgrep...
	apt dpkg debian-archive-keyring ca-certificates             # fetch-kernel.sh: apt-get download, dpkg-deb -x
	xz-utils zstd gzip binutils kmod                            # unpacking kernels: xz, zstd, readelf, depmod
	qemu-system-x86 busybox-static cpio                         # vm-run.sh: the guest and its initramfs
	gcc libc6-dev make bc flex bison libelf-dev dwarves         # module + selftests build
	perl                                                        # W=1 runs 6.1/6.12 kernel-doc (Pod::Usage)
	fio stress-ng python3                                       # guest tests and bench (shared host root)
)

missing=()
for p in "${PKGS[@]}"; do
	if ! dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then
		missing+=("$p")
	fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

[ "$(id -u)" = 0 ] || die "need root to install: ${missing[*]}"
log "installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
mkdir -p "$CACHE/logs"
LOG=$CACHE/logs/deps.log
apt-get -q update >"$LOG" 2>&1 || log "apt-get update failed; trying the cached lists"
apt-get -q -y --no-install-recommends install "${missing[@]}" >>"$LOG" 2>&1 ||
	{ tail -n 20 "$LOG" >&2; die "apt-get install failed (log: $LOG)"; }
