#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# usage: scripts/profile.sh [S...]     (default: $KERNELS or "6.1 6.12 7.2")
#
# `make profile`: for each kernel S, build tierswap.ko, boot S once and run
# bench/profile.sh there: where a 4K read's and write's time goes on
# tierswap and on zram, side by side in the same boot (perf, self and
# inclusive shares, ns per I/O).  PROFILE_* variables are passed to the
# guest (knobs: see bench/profile.sh).  The report goes to stdout and to
# $CACHE/bench/profile-S-<date>.txt.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

[ "${1:-}" != -h ] || { usage; exit 0; }
KERNELS=${*:-${KERNELS:-$ALL_KERNELS}}
cd "$REPO"
"$REPO/scripts/deps.sh"
if ! command -v perf >/dev/null; then
	log "installing linux-perf (the guest runs the host's perf)"
	DEBIAN_FRONTEND=noninteractive apt-get -q -y --no-install-recommends install linux-perf >/dev/null ||
		die "cannot install linux-perf"
fi
PENV=()
for v in $(compgen -e | grep '^PROFILE_' || true); do PENV+=("$v=${!v}"); done
mkdir -p "$CACHE/bench"
rc=0
for S in $KERNELS; do
	out=$CACHE/bench/profile-$S-$(date +%Y%m%d-%H%M%S).txt
	log "$S: build"
	"$REPO/scripts/fetch-kernel.sh" "$S" >"$out.build" 2>&1 || die "fetch $S failed: $out.build"
	"$REPO/scripts/build-module.sh" "$S" >>"$out.build" 2>&1 || die "build for $S failed: $out.build"
	log "$S: boot and run bench/profile.sh ${PENV[*]}"
	VM_TIMEOUT=${VM_TIMEOUT:-2400} "$REPO/scripts/vm-run.sh" "$S" -- env "${PENV[@]}" bench/profile.sh |
		tee "$out" || { rc=1; log "$S: profile failed"; }
done
exit $rc
