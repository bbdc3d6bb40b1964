#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Claim: with swapon --discard=pages, slots freed by the kernel (process exit, cluster discard)
# release the device's storage, and a whole-device discard leaves nothing stored.
# timeout: 300
set -eu
# shellcheck source=selftests/guest/lib.sh disable=SC2119
. "$(dirname "$0")/../lib.sh"
ts_need_bin swaptest

# Sectors discarded, as the block layer counts them (/sys/block/X/stat field 14):
# every discard the device received, whether its slots still held data or not.
discard_sectors() { awk '{ print $14 }' /sys/block/tierswap0/stat; }

ts_swap_begin 64M --discard=pages
notify0=$(ts_stat tierswap0 io_stat notify_free)
disc0=$(ts_stat tierswap0 io_stat discarded)
dsec0=$(discard_sectors)
out0=$(ts_vmstat pswpout)

ts_swaptest_in_cg discard 16M --size 48 --expect-swap
ts_show_stats tierswap0 "after swaptest:"

# The process is gone: its slots were freed, the device must have been told
# (free notify per slot and/or discard per free cluster) and dropped the data.
ts_wait_freed 15
notify=$(($(ts_stat tierswap0 io_stat notify_free) - notify0))
disc=$(($(ts_stat tierswap0 io_stat discarded) - disc0))
dout=$(($(ts_vmstat pswpout) - out0))
echo "pswpout +$dout, notify_free +$notify, discarded +$disc"
ts_expect_ge "(notify_free + discarded) x2 vs pages swapped out" $(((notify + disc) * 2)) "$dout"

ts_swap_end
# swapoff flushes the pending cluster discards; whole 2 MiB clusters were freed at exit.
# Their slots were usually freed one by one first, so io_stat discarded (slots that
# still held data) may stay low; the block layer counts every discarded sector.
disc=$(($(ts_stat tierswap0 io_stat discarded) - disc0))
dsec=$(($(discard_sectors) - dsec0))
echo "io_stat discarded +$disc, discarded sectors +$dsec"
ts_expect_ge "4 KiB pages discarded by the swap core (--discard=pages)" $((dsec / 8)) 512
ts_expect_le "io_stat discarded (slots that held data) vs pages swapped out" "$disc" "$dout"

# Only the swap header (slot 0) is left; discarding the whole device drops it too.
blkdiscard -f /dev/tierswap0 || ts_fail "blkdiscard /dev/tierswap0 failed"
ts_show_stats tierswap0 "after blkdiscard:"
ts_expect_eq "stored bytes after a whole-device discard" "$(ts_stat tierswap0 mm_stat orig_data_size)" 0
ts_expect_eq "same_pages after a whole-device discard" "$(ts_stat tierswap0 mm_stat same_pages)" 0
ts_expect_eq "clusters_free == clusters_total after a whole-device discard" \
	"$(ts_stat tierswap0 cluster_stat clusters_free)" "$(ts_stat tierswap0 cluster_stat clusters_total)"
dd if=/dev/tierswap0 bs=1M count=64 iflag=direct status=none | cmp -n $((64 << 20)) - /dev/zero ||
	ts_fail "device does not read zeros after a whole-device discard"
echo "ok: whole device reads zeros"
