#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Claim: a disksize write whose Nth allocation fails (/proc/thread-self/fail-nth,
# counting only allocations with tierswap's code on the stack), for every N from
# 1 up to the first N the write no longer reaches, fails with ENOMEM and leaves
# the device as it was (uninitialised, disksize 0), or succeeds despite it; the
# device then takes the size and stores and reads back data. With the offload
# (staging and its workers) and without, lz4 and zstd. Nothing leaks (kmemleak
# is scanned after the test).
# timeout: 900
set -eu
# shellcheck source=selftests/guest/lib.sh
. "$(dirname "$0")/../lib.sh"
ts_need_bin wr faultio
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
# fail-nth ignores the probability: 0 keeps random failures away.
ts_fault_arm 0 all all
for mode in "lz4 1" "zstd 0"; do
	read -r algo offload <<< "$mode"
	failed=0 absorbed=0 n=1
	while :; do
		[ "$n" -le 2000 ] || ts_fail "$algo offload=$offload: disksize still reaches fail-nth $n"
		echo "$algo" > $D/comp_algorithm
		echo "$offload" > $D/offload
		out=$("$TS_BIN/wr" -f "$n" $D/disksize 64M) || true
		case $out in
		*"fail-nth: not reached"*)
			[[ $out == *$'\n'OK ]] || ts_fail "$algo offload=$offload n=$n: no failure injected, yet: $out"
			break ;;
		ENOMEM*"fail-nth: reached"*)
			failed=$((failed + 1))
			[ "$(cat $D/initstate)" = 0 ] || ts_fail "n=$n: initstate $(cat $D/initstate) after a failed disksize"
			[ "$(cat $D/disksize)" = 0 ] || ts_fail "n=$n: disksize $(cat $D/disksize) after a failed disksize"
			grep -q "\[$algo\]" $D/comp_algorithm || ts_fail "n=$n: algorithm changed: $(cat $D/comp_algorithm)"
			;;
		*"fail-nth: reached"*OK)
			# The failed allocation had a fallback: the device must work.
			absorbed=$((absorbed + 1))
			usable "$algo offload=$offload n=$n (failure absorbed)" ;;
		*) ts_fail "$algo offload=$offload n=$n: disksize: $(tr '\n' ' ' <<< "$out") (want ENOMEM or OK)" ;;
		esac
		n=$((n + 1))
	done
	echo "$algo offload=$offload: $((n - 1)) allocations in disksize: $failed failed it cleanly, $absorbed were absorbed"
	ts_expect_ge "$algo offload=$offload: disksize writes failed by an injected allocation failure" "$failed" 3
	ts_expect_eq "$algo offload=$offload initstate after the first clean disksize" "$(cat $D/initstate)" 1
	usable "$algo offload=$offload after $failed failures"
done
ts_fault_disarm
