#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Claim: when mem_limit is reached in the middle of a swap workload, writes fail cleanly: the
# workload verifies its data or is OOM-killed, nothing is corrupted, and the device stays
# consistent (everything is freed at swapoff).
# timeout: 300
# The limit makes writes fail, the swap core logs them, and the memcg may OOM-kill
# (only the memcg: a global OOM fails the test, checked below):
# allow-log: Write-error on swap-device
# allow-log: invoked oom-killer
set -eu
# shellcheck source=selftests/guest/lib.sh disable=SC2119
. "$(dirname "$0")/../lib.sh"
ts_need_bin swaptest
D=/sys/block/tierswap0
mark="71-mem-limit[$$]: start $(date +%s.%N)"
echo "$mark" > /dev/kmsg || ts_fail "cannot write to /dev/kmsg"

ts_swap_begin 96M
echo 8M > $D/mem_limit || ts_fail "mem_limit refused"
ts_expect_eq "mem_limit" "$(cat $D/mem_limit)" $((8 << 20))

# Below the limit: 6 MiB in all, so at most 6 MiB stored even uncompressed
# (lz4 gains little on swaptest's data). Every page verified, a counted number
# of them from swap, no write refused yet.
ts_swaptest_in_cg mem-limit-below 3M --size 6 --content random --expect-swap
sv=$(sed -n 's/^swapped_verified=//p' /tmp/tierswap-swaptest-mem-limit-below.log)
ts_expect_ge "pages verified from swap below the limit" "$sv" 256
ts_expect_eq "failed_writes below the limit" "$(ts_stat tierswap0 io_stat failed_writes)" 0

# Past the limit: 48 MiB through a 16 MiB memcg.
cg=$(ts_cg_create mem-limit 16M)
rc=0
log=/tmp/tierswap-swaptest-mem-limit.log
ts_cg_run "$cg" "$TS_BIN/swaptest" --seed "$(ts_seed)" --size 48 2>&1 | tee $log || rc=$?
events=$(tr '\n' ' ' < "$cg/memory.events")
echo "mem-limit: swaptest exit $rc; memory.events: $events"
cg_oom=$(awk '$1 == "oom" { print $2 }' "$cg/memory.events")
rmdir "$cg" 2>/dev/null || true
[[ "$cg_oom" =~ ^[0-9]+$ ]] || ts_fail "no oom count in memory.events: $events"
# 0: all verified; 137: OOM-killed in its memcg. 1 would be corruption.
case $rc in
0)	grep -q '^PASS: all pages verified' $log || ts_fail "swaptest exited 0 without PASS" ;;
137)	[[ " $events " == *" oom_kill "[1-9]* ]] ||
		ts_fail "swaptest was killed (137) but its memcg counts no oom_kill: $events" ;;
*)	ts_fail "swaptest exited $rc under mem_limit" ;;
esac
ts_show_stats tierswap0 "after swaptest:"
ts_expect_ge "failed_writes at the limit" "$(ts_stat tierswap0 io_stat failed_writes)" 1
ts_expect_le "store memory under the limit (+1 MiB slack)" \
	"$(($(ts_stat tierswap0 mm_stat mem_used_total) - TS_BASE_USED))" $(((8 + 1) << 20))
echo 0 > $D/mem_limit || ts_fail "clearing mem_limit refused"
ts_swap_end

# "allow-log: invoked oom-killer" would also let a global OOM pass. Every OOM
# since the start of the test (swapoff included) must be the mem-limit memcg's:
# it counted each invocation in its memory.events oom, and each victim summary
# names it as oom_memcg with CONSTRAINT_MEMCG (a global OOM: CONSTRAINT_NONE).
klog=$(dmesg | awk -v m="$mark" 'found { print } index($0, m) { found = 1 }
	END { exit !found }') || ts_fail "kernel log: start mark '$mark' lost"
ninv=$(grep -c 'invoked oom-killer' <<< "$klog" || true)
echo "mem-limit: kernel log: $ninv OOM invocation(s); memcg oom events: $cg_oom"
[ "$ninv" -eq 0 ] || ts_expect_ge "memcg mem-limit oom events vs OOM invocations logged" "$cg_oom" "$ninv"
bad=$(grep -e 'constraint=CONSTRAINT_' -e 'Out of memory: Killed process' <<< "$klog" |
	grep -v 'constraint=CONSTRAINT_MEMCG,.*,oom_memcg=/tierswap-test-mem-limit,' || true)
[ -z "$bad" ] || ts_fail "OOM outside the mem-limit memcg during the test: $bad"
