#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# usage: scripts/fetch-kernel.sh S     (S = 6.1 | 6.12 | 7.2, or 7.2-debug)
#
# Downloads the current Debian kernel of series S (image, modules, headers),
# unpacks it into $CACHE/kernels/S and prepares what the other scripts use:
#   kver, vmlinux, modroot/lib/modules/KVER, kdir, env.sh
# If the kernel needs another gcc than the host's, the suite's compiler is
# unpacked next to it and wrapped to run with its own glibc (see wrap_elf).
# Cached: does nothing when already done and intact (see kernel_intact in
# lib.sh); FETCH_FORCE=1 redoes it.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

[ "${1:-}" != -h ] || { usage; exit 0; }
[ $# -eq 1 ] || { usage; exit 2; }
S=$1
# S-debug: the debug kernel of S, built from source (see build-debug-kernel.sh).
[ "${S%-debug}" = "$S" ] || exec "$REPO/scripts/build-debug-kernel.sh" "${S%-debug}"
SUITE=$(suite_of "$S")
DIR=$CACHE/kernels/$S

if kernel_intact "$DIR" && [ -z "${FETCH_FORCE:-}" ]; then
	cat "$DIR/kver"
	exit 0
fi

# Download the packages $2... of the private suite and unpack them into $1.
download_unpack() {
	local dest=$1
	shift
	mkdir -p "$dest/debs"
	(cd "$dest/debs" && apt-get "${APT_OPTS[@]}" download "$@" >/dev/null) ||
		die "apt-get download $* failed"
	for deb in "$dest/debs/"*.deb; do
		dpkg-deb -x "$deb" "$dest/root"
	done
}

# Make the ELF program $1 run with the toolchain's glibc (the host's is too
# old): the binary moves to $1.real and $1 becomes a two-line sh wrapper that
# starts it through the toolchain's ld.so ($LDSO, libraries in $LIBS).
wrap_elf() {
	mv "$1" "$1.real"
	cat >"$1" <<-EOF
		#!/bin/sh
		exec $LDSO --library-path $LIBS --argv0 "\$0" $1.real "\$@"
	EOF
	chmod 755 "$1"
}

# Wrap every dynamically linked executable below the directories $@.
wrap_tree() {
	local f
	find "$@" -type f -perm -u+x ! -name '*.so*' ! -name '*.real' -print |
		while read -r f; do
			[ "$(head -c 4 "$f")" = $'\x7fELF' ] || continue
			readelf -l "$f" 2>/dev/null | grep -q 'program interpreter' || continue
			wrap_elf "$f"
		done
}

# Like the kernel's scripts/extract-vmlinux: find the compressed payload
# in the bzImage $1 by its magic bytes and decompress it to the ELF $2.
extract_vmlinux() {
	local img=$1 out=$2 fmt off
	for fmt in 'xz -dc:\xfd7zXZ\x00' 'zstd -dcq:\x28\xb5\x2f\xfd' 'gzip -dc:\x1f\x8b\x08'; do
		# shellcheck disable=SC2013 # byte offsets: one word each
		for off in $(LC_ALL=C grep -aobUP "${fmt#*:}" "$img" | cut -d: -f1); do
			tail -c +$((off + 1)) "$img" | ${fmt%%:*} >"$out" 2>/dev/null || true
			if [ "$(head -c 4 "$out")" = $'\x7fELF' ]; then return 0; fi
		done
	done
	return 1
}

start=$(date +%s)
apt_setup "$SUITE"
KVER=$(apt-cache "${APT_OPTS[@]}" depends linux-headers-amd64 |
	sed -n 's/^ *Depends: linux-headers-//p' | head -1)
[ -n "$KVER" ] || die "cannot resolve the kernel of $SUITE from linux-headers-amd64"
log "$S: $SUITE kernel $KVER"

# 6.1/6.12 ship linux-image-KVER-unsigned; 7.x splits it into binary, modules, base.
mapfile -t PKGS < <(apt-cache "${APT_OPTS[@]}" depends linux-headers-"$KVER" |
	sed -n 's/^ *Depends: \(linux-\(headers\|kbuild\)-.*\)/\1/p')
PKGS+=(linux-headers-"$KVER")
for p in linux-image-"$KVER"-unsigned linux-binary-unsigned-"$KVER" \
	linux-modules-"$KVER" linux-base-"$KVER"; do
	if apt_has "$p"; then PKGS+=("$p"); fi
done

rm -rf "$DIR"
mkdir -p "$DIR"
log "$S: downloading ${PKGS[*]}"
download_unpack "$DIR" "${PKGS[@]}"
echo "$KVER" >"$DIR/kver"

# vmlinux: the uncompressed ELF, booted directly (PVH entry) to save
# the emulated decompression.
VMLINUZ=
for f in "$DIR/root/boot/vmlinuz-$KVER" "$DIR/root/usr/lib/modules/$KVER"/vmlinuz*; do
	if [ -f "$f" ]; then VMLINUZ=$f; fi
done
[ -n "$VMLINUZ" ] || die "no vmlinuz in the $KVER packages"
extract_vmlinux "$VMLINUZ" "$DIR/vmlinux" || die "cannot extract vmlinux from $VMLINUZ"

# modroot: decompressed modules + depmod output, for busybox and kmod modprobe.
MODSRC=$DIR/root/lib/modules/$KVER
[ -d "$MODSRC" ] || MODSRC=$DIR/root/usr/lib/modules/$KVER
MODDST=$DIR/modroot/lib/modules/$KVER
mkdir -p "$MODDST"
cp -a "$MODSRC/kernel" "$MODSRC"/modules.builtin* "$MODSRC/modules.order" "$MODDST/"
find "$MODDST" -name '*.ko.xz' -exec xz -d {} +
find "$MODDST" -name '*.ko.zst' -exec zstd -q -d --rm {} +
depmod -b "$DIR/modroot" "$KVER"

# kdir: the headers tree. Its Makefile and symlinks point at /usr/src and
# /usr/lib/linux-kbuild-*; redirect them into the unpacked tree.
KDIR=$DIR/root/usr/src/linux-headers-$KVER
[ -d "$KDIR" ] || die "no headers tree $KDIR"
find "$DIR/root/usr/src" "$DIR/root/usr/lib" -maxdepth 3 -type l -lname '/usr/*' -print |
	while read -r l; do
		ln -sfn "$DIR/root$(readlink "$l")" "$l"
	done
grep -rlZ --include=Makefile '/usr/src/' "$DIR/root/usr/src" |
	xargs -0 -r sed -i "s|/usr/src/|$DIR/root/usr/src/|g"
ln -sfn "$KDIR" "$DIR/kdir"
# With vmlinux next to the headers kbuild generates the module's BTF (7.x
# ships one; 6.1's kbuild package lacks resolve_btfids: no module BTF there).
if [ ! -e "$KDIR/vmlinux" ] && [ -e "$KDIR/tools/bpf/resolve_btfids/resolve_btfids" ]; then
	ln -sfn "$DIR/vmlinux" "$KDIR/vmlinux"
fi

# The compiler: the host's if it is the same gcc, else the suite's, wrapped.
CC_TEXT=$(sed -n 's/^CONFIG_CC_VERSION_TEXT="\(.*\)"/\1/p' "$KDIR/.config")
CC_MAJOR=$(sed -n 's/.* \([0-9][0-9]*\)\.[0-9.]*$/\1/p' <<<"$CC_TEXT")
HOST_MAJOR=$(gcc -dumpversion)
log "$S: built with: $CC_TEXT"
if [ "$CC_MAJOR" = "${HOST_MAJOR%%.*}" ]; then
	echo "# $S: $CC_TEXT is the host compiler" >"$DIR/env.sh"
else
	TC=$DIR/toolchain
	log "$S: downloading the gcc-$CC_MAJOR toolchain of $SUITE"
	mkdir -p "$TC/debs/partial"
	apt-get "${APT_OPTS[@]}" -o "Dir::Cache::archives=$TC/debs" -d -y \
		--no-install-recommends install "gcc-$CC_MAJOR" binutils-x86-64-linux-gnu pahole \
		>"$DIR/toolchain.log" 2>&1 || { cat "$DIR/toolchain.log" >&2; die "toolchain download failed"; }
	for deb in "$TC/debs/"*.deb; do
		dpkg-deb -x "$deb" "$TC/root"
	done
	LDSO=$TC/root/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2
	LIBS=$TC/root/usr/lib/x86_64-linux-gnu
	[ -e "$LDSO" ] || die "no ld.so in the $SUITE toolchain"
	# gcc, cc1, as, ld... and the kbuild programs of the headers (fixdep,
	# modpost, objtool) are all linked against the suite's newer glibc.
	wrap_tree "$TC/root/usr" "$DIR/root/usr"
	echo "export PATH=$TC/root/usr/bin:\$PATH" >"$DIR/env.sh"
	"$TC/root/usr/bin/x86_64-linux-gnu-gcc-$CC_MAJOR" --version | head -1 >&2
fi

touch "$DIR/.done"
log "$S: done in $(elapsed "$start") s"
echo "$KVER"
