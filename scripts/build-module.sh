#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# usage: scripts/build-module.sh [S|host] [W=1]     (S = 6.1 | 6.12 | 7.2 | 7.2-debug)
#
# Copies Kbuild and module/ to $CACHE/build/S/src and builds tierswap.ko
# there against kernel S with that kernel's compiler (fetching S first if
# needed). S=host (the default) builds against $KDIR, by default
# /lib/modules/$(uname -r)/build, with the host's compiler.
# The compiler output goes to stderr; the last line on stdout is the path of
# the module. Exits nonzero if the build fails.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

S=host
MAKE_ARGS=()
for arg in "$@"; do
	case $arg in
	-h) usage; exit 0 ;;
	W=*) MAKE_ARGS+=("$arg") ;;
	*) S=$arg ;;
	esac
done

if [ "$S" = host ]; then
	KDIR=${KDIR:-/lib/modules/$(uname -r)/build}
else
	[ -n "${TIERSWAP_KERNEL_DIR:-}" ] || "$REPO/scripts/fetch-kernel.sh" "$S" >/dev/null
	KD=$(kernel_dir "$S")
	KDIR=$KD/kdir
	KBUILD_ARGS=()
	# shellcheck source=/dev/null
	. "$KD/env.sh"
	MAKE_ARGS+=("${KBUILD_ARGS[@]}")
fi
[ -d "$KDIR" ] || die "no kernel build tree at $KDIR"
[ -f "$REPO/Kbuild" ] || die "no Kbuild in $REPO"
[ -d "$REPO/module" ] || die "no module/ in $REPO"

OUT=$CACHE/build/$S
SRC=$OUT/src
rm -rf "$SRC" "$OUT/tierswap.ko"
mkdir -p "$SRC"
cp "$REPO/Kbuild" "$SRC/"
cp -a "$REPO/module" "$SRC/"

log "building tierswap.ko for $S ${MAKE_ARGS[*]}"
make -C "$KDIR" M="$SRC" "${MAKE_ARGS[@]}" -j"$(nproc)" modules >&2 ||
	die "build for $S failed"
cp "$SRC/tierswap.ko" "$OUT/tierswap.ko"
echo "$OUT/tierswap.ko"
