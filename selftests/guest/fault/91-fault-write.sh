#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Claim: while a third of tierswap's slab and page allocations fail for the
# writer (failslab and fail_page_alloc, task filter, sleeping GFP_NOIO
# allocations too), its writes fail cleanly (EIO or ENOMEM) or succeed: every
# block written reads back right, every block whose write failed reads zeros,
# the failures are counted in io_stat. Through swap (the writer is the task
# that reclaims), the swap core keeps the pages whose write failed and every
# page swaptest reads back is right. Nothing leaks (kmemleak after the test;
# after the direct writes are discarded, mem_used_total is back to its start).
# allow-log: Write-error on swap-device
# timeout: 900
set -eu
# shellcheck source=selftests/guest/lib.sh
. "$(dirname "$0")/../lib.sh"
ts_need_bin faultio swaptest
ts_fault_need
D=/sys/block/tierswap0
dev=/dev/tierswap0

ts_swapoff_all
ts_load
# Without the offload the writer compresses and allocates itself.
echo 0 > $D/offload
ts_disksize tierswap0 64M
used0=$(ts_stat tierswap0 mm_stat mem_used_total)
seed=$(ts_seed)
fw0=$(ts_stat tierswap0 io_stat failed_writes)
ts_fault_arm 33 task all
"$TS_BIN/faultio" --fail write $dev 0 4096 "$seed" /tmp/tierswap-map | tee /tmp/tierswap-fio.out ||
	ts_fail "a write failed other than cleanly"
ts_fault_disarm
injected=$(ts_fault_injected)
read -r _ ok _ bad _ < /tmp/tierswap-fio.out
echo "direct writes: $ok written, $bad failed, $injected allocation failures injected"
ts_expect_ge "allocation failures injected" "$injected" 1
ts_expect_ge "writes failed" "$bad" 1
ts_expect_ge "writes that succeeded" "$ok" 1
ts_expect_ge "io_stat failed_writes grew by the failed writes" \
	$(($(ts_stat tierswap0 io_stat failed_writes) - fw0)) "$bad"
"$TS_BIN/faultio" verify $dev 0 4096 "$seed" /tmp/tierswap-map || ts_fail "data read back wrong"
ts_expect_eq "orig_data_size: the written blocks only" \
	"$(ts_stat tierswap0 mm_stat orig_data_size)" $((ok * 4096))
# A failed write must not have kept any of its allocations.
"$TS_BIN/faultio" discard $dev 0 4096 1 /tmp/tierswap-map > /dev/null || ts_fail "discard failed"
"$TS_BIN/faultio" verify $dev 0 4096 "$seed" /tmp/tierswap-map || ts_fail "discarded blocks do not read zeros"
ts_expect_eq "orig_data_size after discarding every block" "$(ts_stat tierswap0 mm_stat orig_data_size)" 0
# zsmalloc may free an empty zspage from a worker (page lock contended).
ts_wait_stat_le tierswap0 mm_stat mem_used_total "$used0" 5 || cat $D/debug_stat
ts_expect_eq "mem_used_total after discarding every block (its start)" \
	"$(ts_stat tierswap0 mm_stat mem_used_total)" "$used0"
echo 1 > $D/reset || ts_fail "reset failed"

# Swap: swaptest reclaims in its own cgroup, so its task writes to swap.
TS_OFFLOAD=0 ts_swap_begin 256M
fw0=$(ts_stat tierswap0 io_stat failed_writes)
ts_fault_arm 33 task all
cg=$(ts_cg_create fault-write 24M)
rc=0
ts_cg_run "$cg" bash -c 'echo 1 > /proc/self/make-it-fail && exec "$@"' make-it-fail \
	"$TS_BIN/swaptest" --seed "$(ts_seed)" --size 64 --rounds 2 --expect-swap || rc=$?
ts_fault_disarm
echo "fault-write: memory.events: $(tr '\n' ' ' < "$cg/memory.events")"
rmdir "$cg" 2>/dev/null || true
ts_expect_eq "swaptest (verifies every page) under allocation failures: exit code" "$rc" 0
echo "swap: $(ts_fault_injected) allocation failures injected"
ts_expect_ge "swap writes failed" $(($(ts_stat tierswap0 io_stat failed_writes) - fw0)) 1
ts_swap_end
