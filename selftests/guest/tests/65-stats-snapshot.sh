#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Claim: offload_stat pending and debug_stat pending_frees, read over and over while a swap
# workload stages, drains and frees pages, stay in range: 0 <= pending <= staging_pages and
# pending_frees >= 0 (they are snapshots of counters that move while they are read).
# timeout: 300
set -eu
# shellcheck source=selftests/guest/lib.sh disable=SC2119
. "$(dirname "$0")/../lib.sh"
ts_need_bin swaptest
D=/sys/block/tierswap0

# A number bash can compare (a wrapped u64 is 20 digits, past bash's int64).
sane() { case $1 in '' | -*[!0-9]* | *[!0-9-]* | ???????????????*) return 1 ;; esac; }

ts_swap_begin 256M
staged0=$(ts_stat tierswap0 offload_stat staged)
cg=$(ts_cg_create stats 24M)
ts_cg_run "$cg" "$TS_BIN/swaptest" --size 64 --threads 2 --rounds 3 --expect-swap > /tmp/tierswap-swaptest.log 2>&1 &
pid=$!
n=0 bad='' maxp=0 minf=0
while kill -0 "$pid" 2> /dev/null; do
	read -r _ _ _ _ pending cap _ < $D/offload_stat
	{ read -r _; read -r _ pfrees _; } < $D/debug_stat
	n=$((n + 1))
	if ! sane "$pending" || ! sane "$cap" || [ "$pending" -lt 0 ] || [ "$pending" -gt "$cap" ]; then
		bad="sample $n: pending $pending staging_pages $cap"
		break
	fi
	if ! sane "$pfrees" || [ "$pfrees" -lt 0 ]; then
		bad="sample $n: pending_frees $pfrees"
		break
	fi
	[ "$pending" -gt "$maxp" ] && maxp=$pending
	[ "$pfrees" -lt "$minf" ] && minf=$pfrees
done
rc=0
wait "$pid" || rc=$?
sed 's/^/swaptest: /' /tmp/tierswap-swaptest.log
rmdir "$cg" 2> /dev/null || true
[ -z "$bad" ] || ts_fail "stat out of range: $bad"
[ "$rc" = 0 ] || ts_fail "swaptest exited $rc"
echo "$n samples: pending max $maxp (staging_pages $cap), pending_frees min $minf"
ts_expect_ge "samples taken during the workload" "$n" 50
ts_expect_ge "pages staged during the workload" $(($(ts_stat tierswap0 offload_stat staged) - staged0)) 1000
ts_swap_end
