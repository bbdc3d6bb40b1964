#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# usage: scripts/bench.sh [S...]     (default: $KERNELS or "6.1 6.12 7.2")
#
# `make bench`: for each kernel S, build tierswap.ko, boot S once and run
# bench/guest.sh there: the same workloads on tierswap, zram (same algorithm,
# same size) and brd, one device at a time, BENCH_REPS (3) times. Then
# scripts/bench-report.py prints the table (stdout) and writes results.json
# (every raw run) and bench.png into $CACHE/bench/<date>/ ($CACHE/bench/latest).
# BENCH_* variables are passed to the guest (knobs: see bench/guest.sh).
# Progress and guest logs go to stderr and $CACHE/bench/<date>/ (guest-S.log:
# the guest's output, raw.jsonl is parsed from it; vm-run-S.log: vm-run's).
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

[ "${1:-}" != -h ] || { usage; exit 0; }
KERNELS=${*:-${KERNELS:-$ALL_KERNELS}}
OUT=$CACHE/bench/$(date +%Y%m%d-%H%M%S)
mkdir -p "$OUT"
cd "$REPO"

"$REPO/scripts/deps.sh"
if ! /usr/bin/python3 -c 'import matplotlib' 2>/dev/null; then
	log "installing python3-matplotlib (for the plot)"
	DEBIAN_FRONTEND=noninteractive apt-get -q -y --no-install-recommends \
		install python3-matplotlib >/dev/null || log "no matplotlib: no plot"
fi
make -s -C bench

BENV=()
for v in $(compgen -e | grep '^BENCH_' || true); do BENV+=("$v=${!v}"); done

# sample_load FILE: every 10 s, "epoch loadavg1 qemu-processes" (ours included).
sample_load() {
	while :; do
		echo "$(date +%s) $(cut -d' ' -f1 /proc/loadavg) $(pgrep -c qemu-system || true)" >>"$1"
		sleep 10
	done
}

for S in $KERNELS; do
	log "$S: build"
	"$REPO/scripts/fetch-kernel.sh" "$S" >"$OUT/build-$S.log" 2>&1 || die "fetch $S failed: $OUT/build-$S.log"
	"$REPO/scripts/build-module.sh" "$S" >>"$OUT/build-$S.log" 2>&1 || die "build for $S failed: $OUT/build-$S.log"
	log "$S: boot and run bench/guest.sh ${BENV[*]}"
	sample_load "$OUT/load-$S.txt" &
	sampler=$!
	start=$(date +%s)
	set +e
	# Only vm-run's stdout (the guest's console output) is the guest's:
	# its stderr (its own messages; after a failed boot, the last console
	# lines again, BENCH-JSON lines included) goes to vm-run-$S.log.
	VM_TIMEOUT=${VM_TIMEOUT:-2400} "$REPO/scripts/vm-run.sh" "$S" -- env "${BENV[@]}" bash bench/guest.sh \
		2> >(tee "$OUT/vm-run-$S.log" >&2) |
		tee "$OUT/guest-$S.log" | grep --line-buffered -v '^BENCH-JSON ' >&2
	rc=${PIPESTATUS[0]}
	set -e
	kill "$sampler"
	wall=$(elapsed "$start")
	grep '^BENCH-JSON ' "$OUT/guest-$S.log" | cut -d' ' -f2- >>"$OUT/raw.jsonl" || true
	echo "{\"kernel\": \"$S\", \"kver\": \"$(kver_of "$S")\", \"rc\": $rc, \"boot_wall_s\": $wall," \
		"\"load\": \"$OUT/load-$S.txt\"}" >>"$OUT/boots.jsonl"
	log "$S: guest exit $rc, boot wall time $wall s"
done

{
	echo "{\"date\": \"$(date -Is)\", \"host_cpus\": $(nproc), \"git_head\": \"$(git rev-parse --short HEAD 2>/dev/null || echo none)\","
	echo " \"module_dirty_files\": $(git status --porcelain -- module Kbuild 2>/dev/null | wc -l), \"knobs\": \"${BENV[*]}\"}"
} >"$OUT/meta.json"
ln -sfn "$OUT" "$CACHE/bench/latest"
/usr/bin/python3 "$REPO/scripts/bench-report.py" "$OUT"
