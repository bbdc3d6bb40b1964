#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Claim: io_stat discarded counts only slots that held data: swapon --discard on an empty
# 8 GiB device discards the whole device (the block layer counts it) but frees nothing.
# timeout: 240
set -eu
# shellcheck source=selftests/guest/lib.sh disable=SC2119
. "$(dirname "$0")/../lib.sh"

ts_swapoff_all
ts_load
ts_disksize tierswap0 8G
ts_mkswap_on tierswap0 --discard
ts_show_stats tierswap0 "after swapon --discard:"
ts_expect_eq "io_stat discarded on an empty device" "$(ts_stat tierswap0 io_stat discarded)" 0
sectors=$(awk '{ print $14 }' /sys/block/tierswap0/stat)
echo "discarded sectors (block layer): $sectors"
ts_expect_ge "sectors discarded by swapon --discard (8 GiB less the header)" "$sectors" $(((8 << 21) - 8))
ts_expect_eq "stored bytes: mkswap's header page" "$(ts_stat tierswap0 mm_stat orig_data_size)" 4096
swapoff /dev/tierswap0 || ts_fail "swapoff failed"

# Data that is there is counted: 1 MiB written, then the whole device discarded.
head -c 1M /dev/urandom | dd of=/dev/tierswap0 bs=64k seek=16 iflag=fullblock oflag=direct status=none ||
	ts_fail "writing 1 MiB failed"
before=$(ts_stat tierswap0 io_stat discarded)
blkdiscard -f /dev/tierswap0 || ts_fail "blkdiscard failed"
# 256 pages written plus mkswap's header page.
ts_expect_eq "io_stat discarded by blkdiscard after 1 MiB + header" \
	$(($(ts_stat tierswap0 io_stat discarded) - before)) 257
