#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Claim: when the no-wait allocation of a compressed object fails (only those
# fail: failslab and fail_page_alloc for allocations that cannot sleep), the
# write falls back to a sleeping allocation sized from the same compression as
# the bytes it stores, even while an O_DIRECT writer keeps flipping its buffer
# between nearly zero (compresses to a few dozen bytes) and random (does not
# compress) during the write: no object is overrun (KASAN, and the nearly zero
# blocks stored around the flipped ones read back intact), every flipped
# block reads back without error, nothing leaks. This is defect 1 of the
# trustworthy-checks issue (an overflow of the object the first compression's
# size was allocated for).
# timeout: 900
set -eu
# shellcheck source=selftests/guest/lib.sh
. "$(dirname "$0")/../lib.sh"
ts_need_bin faultio
ts_fault_need
D=/sys/block/tierswap0
dev=/dev/tierswap0
REF=8192 FLIP=256

ts_load
echo 0 > $D/offload
ts_disksize tierswap0 64M
# Nearly zero reference blocks, then holes among them: the flipper's small
# objects land between live ones, where an overrun would hit a neighbour.
seed=$(ts_seed)
"$TS_BIN/faultio" --sparse write $dev 0 $REF "$seed" /tmp/tierswap-map || ts_fail "reference writes failed"
"$TS_BIN/faultio" discard $dev 0 $REF 2 /tmp/tierswap-map || ts_fail "discard failed"
fr0=$(ts_stat tierswap0 io_stat failed_reads)
ts_fault_arm 50 task nowait
"$TS_BIN/faultio" --fail flip $dev $REF $FLIP 40 | tee /tmp/tierswap-fio.out || ts_fail "a flipped write failed other than cleanly"
ts_fault_disarm
injected=$(ts_fault_injected)
echo "no-wait allocations failed (slow path taken): $injected"
ts_expect_ge "no-wait allocations failed" "$injected" 100
"$TS_BIN/faultio" --sparse verify $dev 0 $REF "$seed" /tmp/tierswap-map || ts_fail "a reference block was overwritten"
dd if=$dev of=/dev/null bs=4k skip=$REF count=$FLIP iflag=direct status=none ||
	ts_fail "reading the flipped blocks failed"
ts_expect_eq "io_stat failed_reads" "$(ts_stat tierswap0 io_stat failed_reads)" "$fr0"
echo 1 > $D/reset || ts_fail "reset failed"
