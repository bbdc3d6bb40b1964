#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Claim: the swap core treats tierswap as SWP_SYNCHRONOUS_IO (seen from the kernel's side
# with kprobes on swap-core functions that only run for synchronous devices), and a loop
# device (asynchronous) running the same workload takes the other path.
# timeout: 300
#
# Probe points (first one present in /proc/kallsyms wins; static functions may be inlined):
#   sync read:  swap_read_folio_bdev_sync (6.12, 7.2: page_io.c, only when SWP_SYNCHRONOUS_IO)
#               bdev_read_page            (6.1: swap_readpage calls it only when SWP_SYNCHRONOUS_IO;
#                                          __swap_writepage calls bdev_write_page for any
#                                          device, so the write side proves nothing on 6.1)
#               submit_bio_wait           (fallback: sync swap reads/writes use on-stack bios)
#   async read: swap_read_folio_bdev_async (6.12, 7.2), else end_swap_bio_read (bi_end_io of
#               the async read bio, all three kernels; address-taken so never inlined)
#   async write (6.12, 7.2 only): swap_writepage_bdev_async, else end_swap_bio_write (bi_end_io
#               of async writes; sync writes call __end_swap_bio_write directly).
set -eu
# shellcheck source=selftests/guest/lib.sh disable=SC2119
. "$(dirname "$0")/../lib.sh"
ts_need_bin swaptest

# MADV_PAGEOUT is enough on a synchronous device; on the async loop device the
# paged-out pages stay in the swap cache until memcg pressure reclaims them.
SIZE_MB=24
MAX=12M

first_symbol() {	# first_symbol CANDIDATE...: print the first one that can be probed
	local s
	for s in "$@"; do
		ts_have_symbol "$s" && return 0
	done
	return 1
}

add_probes() {
	local sym
	sym=$(first_symbol swap_read_folio_bdev_sync bdev_read_page submit_bio_wait) ||
		ts_skip "no probe point for synchronous swap reads in /proc/kallsyms"
	echo "sync read probe: $sym"
	ts_kprobe_add rd_sync p "$sym"
	sym=$(first_symbol swap_read_folio_bdev_async end_swap_bio_read) ||
		ts_skip "no probe point for asynchronous swap reads in /proc/kallsyms"
	echo "async read probe: $sym"
	ts_kprobe_add rd_async p "$sym"
	# Writes: on 6.1 every blkdev swap write goes through bdev_write_page and THPs
	# legitimately fall back to an async bio, so the write side is checked on
	# 6.12+ only (no bdev_read_page there).
	HAVE_WR=0
	if ! ts_have_symbol bdev_read_page > /dev/null &&
	   sym=$(first_symbol swap_writepage_bdev_async end_swap_bio_write); then
		echo "async write probe: $sym"
		ts_kprobe_add wr_async p "$sym"
		HAVE_WR=1
	else
		echo "async write probe: none (6.1)"
	fi
}

# run_workload DEVPATH: swaptest on DEVPATH as the only swap; sets D_IN, D_OUT,
# D_RS, D_RA, D_WS, D_WA (pswpin/pswpout and probe hit deltas).
run_workload() {
	local in0 out0 rs0 ra0 wa0=0
	in0=$(ts_vmstat pswpin)
	out0=$(ts_vmstat pswpout)
	rs0=$(ts_kprobe_hits rd_sync)
	ra0=$(ts_kprobe_hits rd_async)
	if [ "$HAVE_WR" = 1 ]; then
		wa0=$(ts_kprobe_hits wr_async)
	fi
	ts_swaptest_in_cg sync-io $MAX --size "$SIZE_MB" --expect-swap
	D_IN=$(($(ts_vmstat pswpin) - in0))
	D_OUT=$(($(ts_vmstat pswpout) - out0))
	D_RS=$(($(ts_kprobe_hits rd_sync) - rs0))
	D_RA=$(($(ts_kprobe_hits rd_async) - ra0))
	D_WA=0
	if [ "$HAVE_WR" = 1 ]; then
		D_WA=$(($(ts_kprobe_hits wr_async) - wa0))
	fi
	echo "$1: pswpin +$D_IN pswpout +$D_OUT; probe hits: sync read $D_RS, async read $D_RA," \
		"async write $D_WA"
}

[ -w "$TS_TRACEFS/kprobe_events" ] || ts_skip "no writable $TS_TRACEFS/kprobe_events"
ts_swapoff_all
ts_kprobe_cleanup
add_probes

# --- tierswap: synchronous -------------------------------------------------
ts_load
ts_disksize tierswap0 64M
ts_mkswap_on tierswap0
run_workload /dev/tierswap0
ts_show_stats tierswap0
ts_expect_ge "sync read probe hits x2 vs pswpin delta on tierswap" $((D_RS * 2)) "$D_IN"
ts_expect_eq "async read probe hits on tierswap" "$D_RA" 0
if [ "$HAVE_WR" = 1 ]; then
	ts_expect_eq "async write probe hits on tierswap" "$D_WA" 0
fi
swapoff /dev/tierswap0

# --- control: a loop device over a /tmp file is asynchronous ---------------
modprobe -q loop 2>/dev/null || true
img=/tmp/tierswap-loop.img
truncate -s 64M "$img"
if ! loopdev=$(losetup -f --show "$img" 2>/dev/null); then
	echo "control skipped: no loop device available (the tierswap assertions above stand)"
	exit 0
fi
mkswap "$loopdev" > /dev/null
swapon "$loopdev"
run_workload "$loopdev"
swapoff "$loopdev"
losetup -d "$loopdev"
rm -f "$img"
ts_expect_eq "sync read probe hits on the async loop device" "$D_RS" 0
ts_expect_ge "async read probe hits x2 vs pswpin delta on loop" $((D_RA * 2)) "$D_IN"
if [ "$HAVE_WR" = 1 ]; then
	ts_expect_ge "async write probe hits on loop" "$D_WA" 1
fi
