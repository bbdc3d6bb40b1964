#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# usage: scripts/build-debug-kernel.sh S     (S = 7.2; prints the kernel release)
#
# Builds the debug kernel S-debug from the exact Debian linux-source of S:
# Debian's config of S trimmed to the modules the guest suite loads
# (localmodconfig), plus scripts/debug-kernel.config (KASAN, lockdep,
# atomic-sleep, list and debugobjects checks, kmemleak, fault injection),
# then olddefconfig; built with S's own compiler. The result is laid out
# like a fetched kernel (kver, vmlinux, modroot/lib/modules/KVER, kdir,
# env.sh), so that build-module.sh and vm-run.sh take S-debug like any
# other series.
# Each build goes into a new directory $CACHE/kernels/S-debug.STAMP; only
# when it is complete does the symlink $CACHE/kernels/S-debug switch to it
# (rename, atomic). Older builds are then removed, except those pinned by a
# check or a guest (lib.sh's kernel_pin: check.sh and vm-run.sh hold a
# shared lock on the build's kver while they use it); a failed build
# removes its directory.
# Cached by the fetched kernel's version (the source is that version's
# linux-source) + hash of the fragment and of this script's recipe (the
# module list and the build steps, between "recipe" markers; BUILD_FORCE=1
# rebuilds); the build log and its time are in $CACHE/kernels/S-debug/build.log.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
[ "${1:-}" != -h ] || { usage; exit 0; }
[ $# -eq 1 ] || { usage; exit 2; }
S=$1
SUITE=$(suite_of "$S")
FRAGMENT=$REPO/scripts/debug-kernel.config
LINK=$CACHE/kernels/$S-debug

# ---- recipe (hashed into the cache key) ----
# The modules the guest loads (9p root, compressors, the peers and the
# lower devices of the tests): localmodconfig keeps exactly these.
GUEST_MODULES="virtio_pci virtio_pci_legacy_dev virtio_pci_modern_dev 9p 9pnet 9pnet_virtio netfs
	zsmalloc zram brd loop nbd dm_mod dm_flakey lz4_compress lz4hc_compress
	zstd_compress lzo_rle lz4 lz4hc zstd lzo"
# ---- end of recipe ----

"$REPO/scripts/fetch-kernel.sh" "$S" >/dev/null
BASE=$CACHE/kernels/$S
BASE_KVER=$(kver_of "$S")
# The version of the kernel fetched (its config is the base), not the
# archive's candidate: an upload with the same ABI name keeps the fetch.
hdrdeb=$(find "$BASE/debs" -name "linux-headers-${BASE_KVER}_*.deb" 2>/dev/null | head -n1 || true)
[ -n "$hdrdeb" ] || die "no linux-headers-$BASE_KVER package in $BASE/debs"
HDRVER=$(dpkg-deb -f "$hdrdeb" Version)
KEY="$HDRVER $(sed -n '/^# ---- recipe/,/^# ---- end of recipe/p' "${BASH_SOURCE[0]}" |
	cat "$FRAGMENT" - | sha256sum | cut -c1-16)"
# cached: the linked build is complete and has this key.
cached() { kernel_intact "$LINK" && [ "$(cat "$LINK/key")" = "$KEY" ] && [ -z "${BUILD_FORCE:-}" ]; }
if cached; then
	cat "$LINK/kver"
	exit 0
fi

# prune [all]: remove the dead builds (no .done), or with "all" every build
# but the linked one; never one that is pinned (kernel_pin): each is
# removed under an exclusive lock on its kver.
prune() {
	local d rc
	for d in "$LINK".*/; do
		d=${d%/}
		if [ ! -d "$d" ] || [ -L "$d" ] || [ "$d" -ef "$LINK" ]; then continue; fi
		[ "${1:-}" = all ] || [ ! -f "$d/.done" ] || continue
		if [ ! -f "$d/kver" ]; then
			rm -rf "${d:?}"
			continue
		fi
		rc=0
		flock -n -E 75 -x "$d/kver" rm -rf -- "$d" || rc=$?
		case $rc in
		0) ;;
		75) log "keeping ${d##*/}: in use" ;;
		*) die "cannot remove $d" ;;
		esac
	done
}

# One build at a time.
exec 9>"$LINK.lock"
flock -n 9 || { log "waiting for another build of $S-debug"; flock 9; }
if cached; then
	cat "$LINK/kver"
	exit 0
fi
prune
apt_setup "$SUITE"
SRCPKG=linux-source-${S}
SRCVER=$(apt-cache "${APT_OPTS[@]}" policy "$SRCPKG" | sed -n 's/^ *Candidate: //p')
case $SRCVER in '' | '(none)') die "no $SRCPKG in $SUITE" ;; esac
[ "$SRCVER" = "$HDRVER" ] ||
	die "$SRCPKG is $SRCVER but the fetched kernel $BASE_KVER is $HDRVER (FETCH_FORCE=1 scripts/fetch-kernel.sh $S fetches $SRCVER)"
# The layout before versioned builds: a plain directory (a guest booted
# from it keeps its open files only).
if [ -d "$LINK" ] && [ ! -L "$LINK" ]; then
	mv -T "$LINK" "$LINK.0"
	ln -s "${LINK##*/}.0" "$LINK"
fi

start=$(date +%s)
DIR=$LINK.$(date +%Y%m%d%H%M%S)
trap '[ -f "$DIR/.done" ] || rm -rf "${DIR:?}"' EXIT
mkdir "$DIR"
mkdir "$DIR/debs"
log "$S-debug: $SRCPKG $SRCVER"
(cd "$DIR/debs" && apt-get "${APT_OPTS[@]}" download "$SRCPKG" >/dev/null) ||
	die "apt-get download $SRCPKG failed"
dpkg-deb --fsys-tarfile "$DIR/debs/"*.deb | tar -x -C "$DIR" --wildcards '*.tar.xz'
TARBALL=$(find "$DIR/usr/src" -name 'linux-source-*.tar.xz' | head -n1)
[ -n "$TARBALL" ] || die "no source tarball in $SRCPKG"
mkdir -p "$DIR/src"
tar -xJf "$TARBALL" -C "$DIR/src" --strip-components=1
rm -rf "${DIR:?}/usr" "$DIR/debs"
SRC=$DIR/src

# S's compiler (gcc-16 for 7.2, wrapped by fetch-kernel.sh).
# shellcheck source=/dev/null
. "$BASE/env.sh"
CC_BIN=$(sed -n 's/^CONFIG_CC_VERSION_TEXT="\([^ ]*\) .*/\1/p' "$BASE/kdir/.config")
command -v "$CC_BIN" >/dev/null || CC_BIN=x86_64-linux-gnu-$CC_BIN
command -v "$CC_BIN" >/dev/null || die "no compiler $CC_BIN for $S"
KBUILD_ARGS=(CROSS_COMPILE=x86_64-linux-gnu- CC="$CC_BIN")
KMAKE=(make -C "$SRC" "${KBUILD_ARGS[@]}" -j"$(nproc)")

# ---- recipe (hashed into the cache key) ----
cp "$BASE/kdir/.config" "$SRC/.config"
lsmod_file=$DIR/lsmod
{
	echo "Module                  Size  Used by"
	for m in $GUEST_MODULES; do echo "$m 16384 0"; done
} >"$lsmod_file"
LOG=$DIR/build.log
(yes '' || true) | "${KMAKE[@]}" LSMOD="$lsmod_file" localmodconfig >"$LOG" 2>&1 ||
	{ tail -n 30 "$LOG" >&2; die "localmodconfig failed"; }
args=()
while IFS= read -r line; do
	case $line in '' | \#*) continue ;; esac
	name=${line%%=*} val=${line#*=}
	case $val in
	y) args+=(-e "$name") ;;
	n) args+=(-d "$name") ;;
	m) args+=(-m "$name") ;;
	\"*\") val=${val#\"} && args+=(--set-str "$name" "${val%\"}") ;;
	*) args+=(--set-val "$name" "$val") ;;
	esac
done <"$FRAGMENT"
"$SRC/scripts/config" --file "$SRC/.config" "${args[@]}"
"${KMAKE[@]}" olddefconfig >>"$LOG" 2>&1 || { tail -n 30 "$LOG" >&2; die "olddefconfig failed"; }
# Every line of the fragment must have survived olddefconfig (=n: unset).
while IFS= read -r line; do
	case $line in '' | \#*) continue ;; esac
	name=${line%%=*}
	got=$(grep -E "^CONFIG_$name=|^# CONFIG_$name is not set" "$SRC/.config" || true)
	case $line in
	*=n) [ -z "$got" ] || [ "$got" = "# CONFIG_$name is not set" ] ;;
	*) [ "$got" = "CONFIG_$line" ] ;;
	esac || die "CONFIG_$line did not survive olddefconfig (got: ${got:-unset})"
done <"$FRAGMENT"

log "$S-debug: building (log: $LOG)"
b0=$(date +%s)
"${KMAKE[@]}" vmlinux modules >>"$LOG" 2>&1 || { tail -n 40 "$LOG" >&2; die "the build failed"; }
"${KMAKE[@]}" -s kernelrelease >"$DIR/kver"
KVER=$(cat "$DIR/kver")
"${KMAKE[@]}" INSTALL_MOD_PATH="$DIR/modroot" INSTALL_MOD_STRIP=1 DEPMOD=true \
	modules_install >>"$LOG" 2>&1 || die "modules_install failed"
# ---- end of recipe ----
rm -f "$DIR/modroot/lib/modules/$KVER/build" "$DIR/modroot/lib/modules/$KVER/source"
find "$DIR/modroot" \( -name '*.ko.xz' -exec xz -d {} + \) -o \( -name '*.ko.zst' -exec zstd -q -d --rm {} + \) \
	-o \( -name '*.ko.gz' -exec gzip -d {} + \)
depmod -b "$DIR/modroot" "$KVER"
cp "$SRC/vmlinux" "$DIR/vmlinux"
ln -sfn "$SRC" "$DIR/kdir"
cp "$BASE/env.sh" "$DIR/env.sh"
printf 'KBUILD_ARGS=(%s)\n' "${KBUILD_ARGS[*]}" >>"$DIR/env.sh"
echo "$KEY" >"$DIR/key"
echo "# $S-debug $KVER: build $(elapsed "$b0") s, all $(elapsed "$start") s on $(nproc) CPUs" | tee -a "$LOG" >&2
touch "$DIR/.done"
ln -sfn "${DIR##*/}" "$LINK.new"
mv -T "$LINK.new" "$LINK"
prune all
echo "$KVER"
