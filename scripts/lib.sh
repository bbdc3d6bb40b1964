# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Shared helpers for the host-side scripts. Source it, do not run it:
#   . "$(dirname "$0")/lib.sh"

# shellcheck disable=SC2034 # used by the scripts that source this file
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# ~ is the passwd home directory when $HOME is unset.
CACHE=${TIERSWAP_CACHE:-${HOME:-~}/.cache/tierswap}
ALL_KERNELS="6.1 6.12 7.2"

log() { echo "[$(basename "$0")] $*" >&2; }
die() { log "error: $*"; exit 1; }

# usage: print the comment block at the top of the calling script, from
# its "# usage:" line on.
usage() { sed -n '/^# usage:/,/^[^#]/ { /^#/ s/^# \{0,1\}//p; }' "$0" >&2; }

# The Debian suite that ships kernel series $1.
suite_of() {
	case $1 in
	6.1) echo bookworm ;;
	6.12) echo trixie ;;
	7.2) echo sid ;;
	*) die "unknown kernel series '$1' (expected one of: $ALL_KERNELS)" ;;
	esac
}

# Mirror URIs, read from the system's apt sources (never hard-coded here).
# $1 = main | security
mirror_uri() {
	local uris
	uris=$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) print $i }' \
			/etc/apt/sources.list.d/*.sources 2>/dev/null
		awk '/^deb / { print ($2 ~ /^\[/) ? $3 : $2 }' \
			/etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null) || true
	if [ "$1" = security ]; then
		grep -m1 -- '-security' <<<"$uris" || true
	else
		grep -m1 -v -- '-security' <<<"$uris" || die "no Debian mirror in the apt sources"
	fi
}

# Private apt configuration for suite $1 in $CACHE/apt/$1: sets the array
# APT_OPTS for apt-get / apt-cache and runs `apt-get update` once.
apt_setup() {
	local suite=$1 dir=$CACHE/apt/$1 key=/usr/share/keyrings/debian-archive-keyring.gpg
	local main sec
	main=$(mirror_uri main)
	sec=$(mirror_uri security)
	mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial"
	{
		echo "deb [signed-by=$key] $main $suite main"
		if [ "$suite" != sid ]; then
			echo "deb [signed-by=$key] $main $suite-updates main"
			[ -z "$sec" ] || echo "deb [signed-by=$key] $sec $suite-security main"
		fi
	} >"$dir/sources.list"
	: >"$dir/status" # empty dpkg status: apt resolves full dependency closures
	APT_OPTS=(-q -o "Dir::Etc::sourcelist=$dir/sources.list" -o Dir::Etc::sourceparts=-
		-o "Dir::State::Lists=$dir/lists" -o "Dir::Cache=$dir/cache"
		-o "Dir::State::status=$dir/status" -o Acquire::Check-Valid-Until=false -o APT::Sandbox::User=root)
	if ! ls "$dir/lists/"*Packages* >/dev/null 2>&1; then
		log "apt-get update for $suite"
		apt-get "${APT_OPTS[@]}" update >"$dir/update.log" 2>&1 ||
			{ cat "$dir/update.log" >&2; die "apt-get update failed for $suite"; }
	fi
}

# Does package $1 exist in the private suite?
apt_has() { apt-cache "${APT_OPTS[@]}" show "$1" >/dev/null 2>&1; }

# kernel_dir S: the directory of kernel series S in the cache, resolved
# (S-debug is a link to its current build; fails if S is not fetched).
# TIERSWAP_KERNEL_DIR, when set, is S's directory already resolved: check.sh
# resolves it once so that the module it builds and the kernel it boots are
# the same build.
kernel_dir() {
	local d=${TIERSWAP_KERNEL_DIR:-$(readlink -m "$CACHE/kernels/$1")}
	case ${d##*/} in "$1" | "$1".*) ;; *) die "$d is not a kernel directory of $1" ;; esac
	[ -f "$d/kver" ] || die "kernel $1 not fetched: run scripts/fetch-kernel.sh $1"
	kernel_intact "$d" || die "kernel $1 in $d is incomplete or was moved: run scripts/fetch-kernel.sh $1"
	echo "$d"
}

# kernel_intact DIR: DIR holds a complete kernel that was made where it is.
# A fetched or built tree keeps absolute paths to its own place (kdir, the
# headers' Makefiles and symlinks, env.sh's PATH, the compiler wrappers), so
# a copy of it elsewhere is not usable: its kdir must lie inside DIR and the
# directory env.sh puts on PATH must exist.
kernel_intact() {
	local d k p
	d=$(readlink -f "$1") && [ -f "$d/.done" ] || return 1
	k=$(readlink -f "$d/kdir") && [ -d "$k" ] && [ "${k#"$d"/}" != "$k" ] || return 1
	# shellcheck disable=SC2016 # a literal $PATH in env.sh
	p=$(sed -n 's/^export PATH=\(.*\):\$PATH$/\1/p' "$d/env.sh") || return 1
	[ -z "$p" ] || [ -d "$p" ]
}

# kernel_pin DIR: hold a shared lock on kernel DIR (a kernel_dir) until
# this shell exits (the lock's fd is inherited by its children):
# build-debug-kernel.sh removes no build that is pinned. Fails if DIR is
# gone (removed by a rebuild).
kernel_pin() {
	local fd
	exec {fd}<"$1/kver" || return 1
	flock -s "$fd" && [ -f "$1/kver" ]
}

# Release of kernel series $1 that was fetched into the cache (fails if not fetched).
kver_of() {
	local d
	d=$(kernel_dir "$1") || exit 1
	cat "$d/kver"
}

# Print a compact wall-clock duration since $1 (seconds since epoch).
elapsed() { echo $(($(date +%s) - $1)); }
