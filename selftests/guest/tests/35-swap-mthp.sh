#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Claim: 64 KiB mTHP folios swapped out and in as multi-page bios (6.12+) read back byte-exact.
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
swpin0=$(cat "$mthp/stats/swpin" 2>/dev/null || echo n/a)
ts_io_begin
ts_swaptest_in_cg swap-mthp 16M --size 48 --rounds 1 --expect-swap
ts_io_check
swpout=$(($(cat "$mthp/stats/swpout") - swpout0))
swpin=n/a
[ "$swpin0" = n/a ] || swpin=+$(($(cat "$mthp/stats/swpin") - swpin0))
echo "64 KiB mTHP swpout +$swpout swpin $swpin (swpin needs all 16 entries contiguous and unshared)"
ts_expect_ge "64 KiB folios swapped out whole" "$swpout" 1
ts_show_stats tierswap0 "after swaptest:"
ts_wait_freed 15
ts_swap_end
