#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Claim: when mem_limit is reached in the middle of a swap workload, writes fail cleanly: the
# workload verifies its data or is OOM-killed, nothing is corrupted, and the device stays
# consistent (everything is freed at swapoff).
# timeout: 300
# The limit makes writes fail, the swap core logs them, and the memcg may OOM-kill:
# allow-log: Write-error on swap-device
# allow-log: invoked oom-killer
set -eu
# shellcheck source=selftests/guest/lib.sh disable=SC2119
. "$(dirname "$0")/../lib.sh"
ts_need_bin swaptest
D=/sys/block/tierswap0

ts_swap_begin 96M
echo 8M > $D/mem_limit || ts_fail "mem_limit refused"
ts_expect_eq "mem_limit" "$(cat $D/mem_limit)" $((8 << 20))
cg=$(ts_cg_create mem-limit 16M)
rc=0
ts_cg_run "$cg" "$TS_BIN/swaptest" --size 48 || rc=$?
echo "mem-limit: swaptest exit $rc; memory.events: $(tr '\n' ' ' < "$cg/memory.events")"
rmdir "$cg" 2>/dev/null || true
# 0: all verified; 137: OOM-killed by the kernel. 1 would be corruption.
[ "$rc" = 0 ] || [ "$rc" = 137 ] || ts_fail "swaptest exited $rc under mem_limit"
ts_show_stats tierswap0 "after swaptest:"
ts_expect_ge "failed_writes at the limit" "$(ts_stat tierswap0 io_stat failed_writes)" 1
ts_expect_le "store memory under the limit (+1 MiB slack)" \
	"$(($(ts_stat tierswap0 mm_stat mem_used_total) - TS_BASE_USED))" $(((8 + 1) << 20))
echo 0 > $D/mem_limit || ts_fail "clearing mem_limit refused"
ts_swap_end
