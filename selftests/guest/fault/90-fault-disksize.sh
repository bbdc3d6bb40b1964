#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Claim: a disksize write whose Nth allocation fails (/proc/thread-self/fail-nth:
# the slab and page allocations of the writing task with tierswap's code in
# the top 32 frames count, the stack filter applies), for every N from 1 up
# to the first N the write no longer reaches (faultio nth, one process),
# fails with ENOMEM and leaves the device as it was (uninitialised, disksize 0), or succeeds despite it; the
# device then takes the size and stores and reads back data. With the offload
# (staging and its workers) and without, lz4 and zstd. Nothing leaks (kmemleak
# is scanned after the test).
# timeout: 900
set -eu
# shellcheck source=selftests/guest/lib.sh
. "$(dirname "$0")/../lib.sh"
ts_need_bin faultio
ts_fault_need
D=/sys/block/tierswap0
dev=/dev/tierswap0

usable() {	# usable WHAT: the device stores 256 blocks and reads them back
	local seed
	seed=$(ts_seed)
	"$TS_BIN/faultio" write $dev 0 256 "$seed" /tmp/tierswap-map > /tmp/tierswap-fio.out ||
		{ cat /tmp/tierswap-fio.out; ts_fail "$1: writes failed"; }
	grep -q '^write: 256 written' /tmp/tierswap-fio.out || ts_fail "$1: $(cat /tmp/tierswap-fio.out)"
	"$TS_BIN/faultio" verify $dev 0 256 "$seed" /tmp/tierswap-map || ts_fail "$1: data read back wrong"
	echo 1 > $D/reset || ts_fail "$1: reset failed"
}

ts_load
# fail-nth ignores the probability (0 keeps random failures away); arming
# turns off ignore-gfp-wait, so sleeping allocations count.
ts_fault_arm 0 all all
for mode in "lz4 1" "zstd 0"; do
	read -r algo offload <<< "$mode"
	echo "$algo" > $D/comp_algorithm
	echo "$offload" > $D/offload
	# Small: every page of the table and the staging area is an injection
	# point (vmalloc falls back to single pages when the bulk allocation
	# fails, so those failures are absorbed).
	echo 32K > $D/staging_size
	"$TS_BIN/faultio" nth $D 8M 20000 | tee /tmp/tierswap-nth.out ||
		ts_fail "$algo offload=$offload: disksize under fail-nth"
	read -r _ points _ _ failed _ <<< "$(tail -n1 /tmp/tierswap-nth.out)"
	echo "$algo offload=$offload: $points injection points in disksize, $failed failed it cleanly"
	ts_expect_ge "$algo offload=$offload: disksize writes failed by an injected allocation failure" "$failed" 3
	ts_expect_eq "$algo offload=$offload initstate after the first clean disksize" "$(cat $D/initstate)" 1
	grep -q "\[$algo\]" $D/comp_algorithm || ts_fail "algorithm changed: $(cat $D/comp_algorithm)"
	usable "$algo offload=$offload after $failed failures"
done
ts_fault_disarm
