#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Claim: 64 KiB mTHP folios swapped out and in as multi-page bios (6.12+) read back byte-exact.
# Swap-in whole: 7.2 counts it in hugepages-64kB/stats/swpin; 6.12 has no such counter, so
# there a kprobe counts the synchronous reads (swap_read_folio_bdev_sync, one per folio) and
# pswpin (pages) must exceed them.
# timeout: 300
set -eu
# shellcheck source=selftests/guest/lib.sh disable=SC2119
. "$(dirname "$0")/../lib.sh"
ts_need_bin swaptest
mthp=/sys/kernel/mm/transparent_hugepage/hugepages-64kB

[ -w "$mthp/enabled" ] || ts_skip "no 64 KiB mTHP on $(uname -r) (6.1 swaps only 4 KiB pages and 2 MiB THPs)"
old=$(sed 's/.*\[\(.*\)\].*/\1/' "$mthp/enabled")
# ts_cleanup restores it even if we are killed by the time bound.
echo "$mthp/enabled $old" > "$TS_RESTORE"
echo always > "$mthp/enabled"
echo "hugepages-64kB/enabled: $old -> always"

ts_swap_begin 128M
swpout0=$(cat "$mthp/stats/swpout")
if [ -e "$mthp/stats/swpin" ]; then
	swpin0=$(cat "$mthp/stats/swpin")
else
	ts_kprobe_cleanup
	sym=$(ts_have_symbol swap_read_folio_bdev_sync) ||
		ts_fail "no stats/swpin and no swap_read_folio_bdev_sync to probe"
	ts_kprobe_add mthp_rd p "$sym"
	rd0=$(ts_kprobe_hits mthp_rd)
fi
in0=$(ts_vmstat pswpin)
ts_io_begin
ts_swaptest_in_cg swap-mthp 16M --size 48 --rounds 1 --expect-swap
ts_io_check
din=$(($(ts_vmstat pswpin) - in0))
swpout=$(($(cat "$mthp/stats/swpout") - swpout0))
echo "64 KiB mTHP swpout +$swpout"
ts_expect_ge "64 KiB folios swapped out whole" "$swpout" 1
if [ -e "$mthp/stats/swpin" ]; then
	ts_expect_ge "64 KiB folios swapped in whole (stats/swpin)" \
		$(($(cat "$mthp/stats/swpin") - swpin0)) 1
else
	rd=$(($(ts_kprobe_hits mthp_rd) - rd0))
	echo "pswpin +$din pages in $rd synchronous reads"
	ts_expect_ge "pswpin delta vs synchronous reads + 1 (some read was a whole mTHP)" \
		"$din" $((rd + 1))
fi
ts_show_stats tierswap0 "after swaptest:"
ts_wait_freed 15
ts_swap_end
