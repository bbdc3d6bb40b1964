#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Claim: a disksize whose slot table (with the staging area) needs more than half of
# MemAvailable fails with ENOMEM without invoking the OOM killer or warning, and leaves the
# device uninitialised; one whose table is ~20% of MemAvailable works, and so does a small
# size after the failures.
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
[ "$per_gib" -gt 0 ] || ts_fail "mm_stat mem_used_total of an empty 1G device is $per_gib"
avail=$(($(ts_meminfo_kb MemAvailable) * 1024))
# ~20% of MemAvailable: well under half, so it must be allocated and work.
ok_gib=$((avail * 20 / 100 / per_gib))
[ "$ok_gib" -ge 2 ] || ts_fail "MemAvailable $avail allows only ${ok_gib}G at 20%"
echo "table: $per_gib bytes per GiB; MemAvailable $avail bytes; ${ok_gib}G must work"
ts_disksize tierswap0 "${ok_gib}G"
head -c 4096 /dev/urandom > /tmp/tierswap-page
last=$(((ok_gib << 18) - 1))	# the last 4 KiB block
dd if=/tmp/tierswap-page of=/dev/tierswap0 bs=4096 seek=$last oflag=direct status=none ||
	ts_fail "write to the last page of ${ok_gib}G failed"
dd if=/dev/tierswap0 bs=4096 skip=$last count=1 iflag=direct status=none | cmp -s - /tmp/tierswap-page ||
	ts_fail "read back of the last page of ${ok_gib}G differs"
echo 1 > $D/reset || ts_fail "reset of ${ok_gib}G failed"
ts_expect_eq "initstate after reset of ${ok_gib}G" "$(cat $D/initstate)" 0
echo "ok: ${ok_gib}G works, a page written and read back at its end"
# ~60% of MemAvailable: more than half, refused before allocating (the allocation
# itself might well succeed, draining memory); 1T: far more than RAM.
avail=$(($(ts_meminfo_kb MemAvailable) * 1024))
gib=$((avail * 60 / 100 / per_gib))
echo "MemAvailable $avail bytes; ${gib}G and 1T must fail"
[ "$gib" -lt 1024 ] || ts_skip "RAM too big for a table that does not fit under 1 TiB"
for size in "${gib}G" 1T; do
	r=$("$TS_BIN/wr" $D/disksize "$size" || true)
	ts_expect_eq "disksize $size" "$r" ENOMEM
	ts_expect_eq "initstate after disksize $size failed" "$(cat $D/initstate)" 0
	ts_expect_eq "disksize after disksize $size failed" "$(cat $D/disksize)" 0
done
ts_disksize tierswap0 64M
dd if=/tmp/tierswap-page of=/dev/tierswap0 bs=4096 seek=100 oflag=direct status=none ||
	ts_fail "write after the failed disksize failed"
dd if=/dev/tierswap0 bs=4096 skip=100 count=1 iflag=direct status=none | cmp -s - /tmp/tierswap-page ||
	ts_fail "read back after the failed disksize differs"
echo "ok: 64M works after the failures"
c=$(dmesg | sed -n "/$MARK/,\$p" | grep -E 'invoked oom-killer|Out of memory|vmalloc error|WARNING:|Call Trace' || true)
[ -z "$c" ] || ts_fail "kernel log: $c"
echo "ok: no OOM kill, allocation warning or WARN in the kernel log"
