#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Claim: a disksize whose slot table cannot fit in RAM fails with ENOMEM without invoking
# the OOM killer or warning, leaves the device uninitialised, and a smaller size works after.
# timeout: 240
set -eu
# shellcheck source=selftests/guest/lib.sh disable=SC2119
. "$(dirname "$0")/../lib.sh"
ts_need_bin wr
D=/sys/block/tierswap0
MARK="tierswap-test: table-enomem start $$"

ts_swapoff_all
echo "$MARK" > /dev/kmsg || ts_fail "cannot write /dev/kmsg"
ts_load
# The table's size per GiB of disksize, as mm_stat reports it on an empty device.
ts_disksize tierswap0 1G
per_gib=$(ts_stat tierswap0 mm_stat mem_used_total)
echo 1 > $D/reset || ts_fail "reset failed"
total=$(($(ts_meminfo_kb MemTotal) * 1024))
# A table of 97% of RAM: under the allocator's "more than all RAM" check, so the
# allocation really tries, but it can never succeed.
gib=$((total * 97 / 100 / per_gib))
echo "table: $per_gib bytes per GiB; MemTotal $total bytes; trying ${gib}G and 1T"
[ "$gib" -lt 1024 ] || ts_skip "RAM too big for a table that does not fit under 1 TiB"
for size in "${gib}G" 1T; do
	r=$("$TS_BIN/wr" $D/disksize "$size" || true)
	ts_expect_eq "disksize $size" "$r" ENOMEM
	ts_expect_eq "initstate after disksize $size failed" "$(cat $D/initstate)" 0
	ts_expect_eq "disksize after disksize $size failed" "$(cat $D/disksize)" 0
done
ts_disksize tierswap0 64M
head -c 4096 /dev/urandom > /tmp/tierswap-page
dd if=/tmp/tierswap-page of=/dev/tierswap0 bs=4096 seek=100 oflag=direct status=none ||
	ts_fail "write after the failed disksize failed"
dd if=/dev/tierswap0 bs=4096 skip=100 count=1 iflag=direct status=none | cmp -s - /tmp/tierswap-page ||
	ts_fail "read back after the failed disksize differs"
echo "ok: 64M works after the failures"
c=$(dmesg | sed -n "/$MARK/,\$p" | grep -E 'invoked oom-killer|Out of memory|vmalloc error|WARNING:|Call Trace' || true)
[ -z "$c" ] || ts_fail "kernel log: $c"
echo "ok: no OOM kill, allocation warning or WARN in the kernel log"
