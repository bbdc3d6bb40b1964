#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# usage: bench/profile.sh     (in the guest: scripts/vm-run.sh S -- bench/profile.sh)
#
# Where a 4K I/O's time goes, tierswap and zram side by side in one boot:
# for each device and each PROFILE_JOBS job of bench/device.fio (after the
# prefill), fio runs under `perf record -a -g -e cpu-clock:I` (a software
# clock, as TCG has no PMU; :I leaves the idle task out).  Prints, per
# device and job, the IOPS, p99, the busy CPU time per I/O (all CPUs,
# /proc/stat) and bench/perf-breakdown.py's self, inclusive and helper-caller
# shares of the samples, each also in nanoseconds per I/O.
# Knobs (env): PROFILE_JOBS (randread-4k-j1 randwrite-4k-j1), PROFILE_DEVICES
# (tierswap zram), PROFILE_RUNTIME (10), PROFILE_TOP (25), PROFILE_ALGO (lz4),
# PROFILE_OFFLOAD (tierswap's offload; default: its default), PROFILE_DEV_MB
# (256).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=selftests/guest/lib.sh disable=SC2119
. selftests/guest/lib.sh
# shellcheck source=bench/devices.sh
. bench/devices.sh

read -r -a JOBS <<<"${PROFILE_JOBS:-randread-4k-j1 randwrite-4k-j1}"
read -r -a DEVICES <<<"${PROFILE_DEVICES:-tierswap zram}"
RUNTIME=${PROFILE_RUNTIME:-10}
TOP=${PROFILE_TOP:-25}
ALGO=${PROFILE_ALGO:-lz4}
DEV_MB=${PROFILE_DEV_MB:-256}
OFFLOAD=${PROFILE_OFFLOAD:-}
OUT=/tmp/profile
REPO_DIR=$PWD
mkdir -p "$OUT"
command -v perf >/dev/null || ts_fail "no perf"
echo N >/sys/module/zswap/parameters/enabled 2>/dev/null || true
ts_swapoff_all
echo 0 >/proc/sys/kernel/kptr_restrict
echo -1 >/proc/sys/kernel/perf_event_paranoid

busy() { awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat; }

echo "profile: kernel $(uname -r), devices ${DEVICES[*]}, jobs ${JOBS[*]}, ${RUNTIME} s, $ALGO"
for job in "${JOBS[@]}"; do
	for d in "${DEVICES[@]}"; do
		dev_up "$d"
		fio_job prefill "$OUT/prefill.json" || ts_fail "$d: prefill failed"
		[ ! -e "$SYSDIR/offload_stat" ] || ts_wait_stat_le tierswap0 offload_stat pending 0 30 >/dev/null
		b0=$(busy)
		perf record -q -a -g -e cpu-clock:I -F 997 -o "$OUT/perf.data" -- \
			bash -c "$(declare -f fio_job); OUT=$OUT DEVPATH=$DEVPATH DEV_MB=$DEV_MB RUNTIME=$RUNTIME REPO_DIR=$REPO_DIR fio_job $job $OUT/job.json" \
			2>"$OUT/perf.err" || ts_fail "$d $job: perf/fio failed: $(tail -3 "$OUT/perf.err")"
		b1=$(busy)
		ios=$(python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))["jobs"][0]
print(j["read"]["total_ios"] + j["write"]["total_ios"], round(j["read"]["iops"] + j["write"]["iops"]),
      j["read"]["clat_ns"]["percentile"].get("99.000000", 0) if j["read"]["total_ios"] else
      j["write"]["clat_ns"]["percentile"].get("99.000000", 0))' "$OUT/job.json")
		read -r nios iops p99 <<<"$ios"
		ns=$(awk -v b=$((b1 - b0)) -v t="$(getconf CLK_TCK)" -v n="$nios" 'BEGIN { printf "%.0f", b / t * 1e9 / n }')
		echo "== $d $job: $iops IOPS, p99 $p99 ns, busy CPU $ns ns per I/O ($nios I/Os)"
		perf script -i "$OUT/perf.data" -F comm,ip,sym 2>/dev/null |
			bench/perf-breakdown.py "$ns" "$TOP" || ts_fail "$d $job: no profile"
		rm -f "$OUT/perf.data"
		dev_down "$d"
	done
done
