#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# usage: scripts/deps.sh
#
# Installs the Debian packages the host-side scripts need (idempotent:
# quiet and fast when everything is installed already). Needs root.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ "${1:-}" != -h ] || { usage; exit 0; }
[ $# -eq 0 ] || { usage; exit 2; }

PKGS=(
	qemu-system-x86 busybox-static cpio kmod util-linux procps # guest boot
	fio stress-ng python3                               # guest tools (shared host root)
	gcc make bc flex bison libelf-dev dwarves           # module + selftests build
	binutils xz-utils zstd gzip                         # unpacking kernels
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
