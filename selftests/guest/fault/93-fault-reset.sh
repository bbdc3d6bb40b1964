#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Claim: reset and rmmod while the offload workers retry after ENOMEM (half of
# tierswap's allocations fail in every task, zstd level 22 keeps the workers
# behind) neither use freed memory (KASAN) nor leak (kmemleak after the test):
# a retry armed after a failed drain cannot run after the flush. The device
# works again afterwards. Rounds alternate reset and rmmod for TS_RACE_SECS.
# timeout: 900
set -eu
# shellcheck source=selftests/guest/lib.sh
. "$(dirname "$0")/../lib.sh"
ts_need_bin faultio
ts_fault_need
D=/sys/block/tierswap0
dev=/dev/tierswap0
secs=${TS_RACE_SECS:-60}

setup() {
	echo zstd > $D/comp_algorithm
	echo level=22 > $D/algorithm_params
	echo 1 > $D/offload
	ts_disksize tierswap0 64M
}

ts_load
end=$((SECONDS + secs)) round=0 retried=0
while [ $SECONDS -lt $end ] || [ $round -lt 4 ]; do
	round=$((round + 1))
	setup
	ts_fault_arm 50 all all > /dev/null
	"$TS_BIN/faultio" write $dev 0 256 "$(ts_seed)" /tmp/tierswap-map > /dev/null ||
		ts_fail "round $round: a write failed other than cleanly"
	r=$(ts_stat tierswap0 offload_stat retries)
	p=$(ts_stat tierswap0 offload_stat pending)
	if [ $((round % 2)) = 1 ]; then
		echo 1 > $D/reset || ts_fail "round $round: reset failed"
		what=reset
	else
		rmmod tierswap || ts_fail "round $round: rmmod failed"
		what=rmmod
	fi
	ts_fault_disarm
	echo "round $round: $what with $p pages pending, $r retries so far, $(ts_fault_injected) failures injected"
	[ "$r" -eq 0 ] || retried=$((retried + 1))
	if [ $what = rmmod ]; then
		ts_load
	fi
done
ts_expect_ge "rounds whose workers had retried after ENOMEM before the reset or rmmod" "$retried" 1
setup
seed=$(ts_seed)
"$TS_BIN/faultio" write $dev 0 256 "$seed" /tmp/tierswap-map > /dev/null || ts_fail "writes failed after the rounds"
"$TS_BIN/faultio" verify $dev 0 256 "$seed" /tmp/tierswap-map || ts_fail "data read back wrong after the rounds"
