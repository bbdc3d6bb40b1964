#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# usage: bench/steady.sh     (in the guest: scripts/vm-run.sh S -- bench/steady.sh)
#
# How long must a fio job of `make bench` run before its figure stops
# moving?  For each STEADY_JOBS job of bench/device.fio, on each device,
# after the prefill: one STEADY_RUNTIME-second run logging IOPS every
# second.  Prints the per-second series and, for each cut-off T, the mean
# IOPS of seconds 1..T as a share of the mean of the whole run; "steady
# after" is the first T from which every later cut-off stays within
# STEADY_TOL percent (5) of the whole run's mean.
# Knobs (env): STEADY_JOBS (randread-4k-j1 randwrite-4k-j1 randwrite-4k-j2),
# STEADY_DEVICES (tierswap zram), STEADY_RUNTIME (40), STEADY_TOL (5),
# STEADY_ALGO (lz4), STEADY_DEV_MB (256).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=selftests/guest/lib.sh disable=SC2119
. selftests/guest/lib.sh
# shellcheck source=bench/devices.sh
. bench/devices.sh

read -r -a JOBS <<<"${STEADY_JOBS:-randread-4k-j1 randwrite-4k-j1 randwrite-4k-j2}"
read -r -a DEVICES <<<"${STEADY_DEVICES:-tierswap zram}"
RUNTIME=${STEADY_RUNTIME:-40}
TOL=${STEADY_TOL:-5}
ALGO=${STEADY_ALGO:-lz4}
DEV_MB=${STEADY_DEV_MB:-256}
OUT=/tmp/steady
REPO_DIR=$PWD
mkdir -p "$OUT"
echo N >/sys/module/zswap/parameters/enabled 2>/dev/null || true
ts_swapoff_all

echo "steady: kernel $(uname -r), devices ${DEVICES[*]}, jobs ${JOBS[*]}, ${RUNTIME} s, tolerance ${TOL}%"
for job in "${JOBS[@]}"; do
	for d in "${DEVICES[@]}"; do
		dev_up "$d"
		fio_job prefill "$OUT/prefill.json" || ts_fail "$d: prefill failed"
		[ ! -e "$SYSDIR/offload_stat" ] || ts_wait_stat_le tierswap0 offload_stat pending 0 30 >/dev/null
		rm -f "$OUT"/iops*.log
		fio_job "$job" "$OUT/$job.json" --write_iops_log="$OUT/iops" --log_avg_msec=1000 || ts_fail "$d $job: fio failed"
		python3 - "$d" "$job" "$TOL" "$OUT"/iops*.log <<'EOF'
import collections, sys
dev, job, tol = sys.argv[1], sys.argv[2], float(sys.argv[3])
per_s = collections.Counter()
for path in sys.argv[4:]:            # one log per fio job (numjobs): sum them
    # Each line is one log_avg_msec window (1 s); its timestamp drifts, so
    # count windows, not seconds of the clock.
    for i, line in enumerate(open(path)):
        per_s[i + 1] += int(line.split(',')[1])
secs = [per_s[s] for s in sorted(per_s)]
if len(secs) > 1 and secs[-1] < 0.5 * secs[-2]:
    secs = secs[:-1]                 # a partial last window
mean = sum(secs) / len(secs)
cum = [sum(secs[:t]) / t / mean for t in range(1, len(secs) + 1)]
steady = next(t + 1 for t in range(len(cum))
              if all(abs(c - 1) * 100 <= tol for c in cum[t:]))
print(f"== {dev} {job}: mean {mean:.0f} IOPS over {len(secs)} s, steady after {steady} s"
      f" (running mean within {tol:g}% of the whole run's from then on)")
print("   per s:", " ".join(str(x) for x in secs))
print("   running mean/whole:", " ".join(f"{c:.2f}" for c in cum))
EOF
		dev_down "$d"
	done
done
