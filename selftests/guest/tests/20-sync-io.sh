#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Claim: the swap core treats tierswap as SWP_SYNCHRONOUS_IO (seen from the kernel's side
# with kprobes on swap-core functions that only run for synchronous devices), and a loop
# device (asynchronous) running the same workload takes the other path.
# timeout: 300
#
# The loop device is mandatory: its probe hits are what shows the probes work.
#
# Probe points (first one present in /proc/kallsyms wins; static functions may be inlined):
#   sync read:  swap_read_folio_bdev_sync (6.12; 7.2 as .isra.0: page_io.c, only when
#                                          SWP_SYNCHRONOUS_IO, reads only)
#               bdev_read_page            (6.1: swap_readpage calls it only when SWP_SYNCHRONOUS_IO;
#                                          __swap_writepage calls bdev_write_page for any
#                                          device, so the write side proves nothing on 6.1)
#               submit_bio_wait           (fallback: sync swap reads and writes use on-stack bios;
#                                          only READ bios are counted, see rd_sync_hits)
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

# submit_bio_wait(struct bio *) also sends synchronous writes: there the probe
# records the bio's op (the low byte of bi_opf, at offset 16 in struct bio on
# all three kernels) and a hist trigger counts the REQ_OP_READ (0) hits.
RD_SYNC_FILTERED=0
rd_sync_hits() {
	if [ "$RD_SYNC_FILTERED" = 0 ]; then
		ts_kprobe_hits rd_sync
		return
	fi
	awk '$1 == "{" && $2 == "op:" && $3 == "0" && $5 == "hitcount:" { n = $6 } END { print n + 0 }' \
		"$TS_TRACEFS/events/$TS_KPROBE_GROUP/rd_sync/hist"
}

add_probes() {
	local sym
	# TS_SYNC_READ_PROBE: force one (e.g. submit_bio_wait, to test the filter).
	# shellcheck disable=SC2086 # one word per candidate
	sym=$(first_symbol ${TS_SYNC_READ_PROBE:-swap_read_folio_bdev_sync bdev_read_page} \
		submit_bio_wait) ||
		ts_fail "no probe point for synchronous swap reads in /proc/kallsyms"
	echo "sync read probe: $sym"
	if [ "$sym" = submit_bio_wait ]; then
		ts_kprobe_add rd_sync p "$sym" 'op=+16(%di):u8'
		echo 'hist:keys=op' > "$TS_TRACEFS/events/$TS_KPROBE_GROUP/rd_sync/trigger" ||
			ts_fail "cannot add a hist trigger to the rd_sync probe"
		RD_SYNC_FILTERED=1
	else
		ts_kprobe_add rd_sync p "$sym"
	fi
	sym=$(first_symbol swap_read_folio_bdev_async end_swap_bio_read) ||
		ts_fail "no probe point for asynchronous swap reads in /proc/kallsyms"
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
	rs0=$(rd_sync_hits)
	ra0=$(ts_kprobe_hits rd_async)
	if [ "$HAVE_WR" = 1 ]; then
		wa0=$(ts_kprobe_hits wr_async)
	fi
	ts_swaptest_in_cg sync-io $MAX --size "$SIZE_MB" --expect-swap
	D_IN=$(($(ts_vmstat pswpin) - in0))
	D_OUT=$(($(ts_vmstat pswpout) - out0))
	D_RS=$(($(rd_sync_hits) - rs0))
	D_RA=$(($(ts_kprobe_hits rd_async) - ra0))
	D_WA=0
	if [ "$HAVE_WR" = 1 ]; then
		D_WA=$(($(ts_kprobe_hits wr_async) - wa0))
	fi
	echo "$1: pswpin +$D_IN pswpout +$D_OUT; probe hits: sync read $D_RS, async read $D_RA," \
		"async write $D_WA"
}

[ -w "$TS_TRACEFS/kprobe_events" ] || ts_fail "no writable $TS_TRACEFS/kprobe_events (kprobe events are required)"
ts_swapoff_all
ts_kprobe_cleanup
add_probes

# --- tierswap: synchronous -------------------------------------------------
ts_load
ts_disksize tierswap0 64M
ts_mkswap_on tierswap0
run_workload /dev/tierswap0
ts_show_stats tierswap0
ts_expect_ge "pswpin delta on tierswap" "$D_IN" 1
ts_expect_ge "sync read probe hits on tierswap" "$D_RS" 1
ts_expect_ge "sync read probe hits x2 vs pswpin delta on tierswap" $((D_RS * 2)) "$D_IN"
ts_expect_eq "async read probe hits on tierswap" "$D_RA" 0
if [ "$HAVE_WR" = 1 ]; then
	ts_expect_eq "async write probe hits on tierswap" "$D_WA" 0
fi
swapoff /dev/tierswap0 || ts_fail "swapoff /dev/tierswap0 failed"

# --- control: a loop device over a /tmp file is asynchronous ---------------
if [ ! -e /sys/module/loop ]; then
	modprobe loop || ts_fail "modprobe loop failed (the async control device is required)"
fi
img=/tmp/tierswap-loop.img
truncate -s 64M "$img" || ts_fail "cannot create $img"
loopdev=$(losetup -f --show "$img") || ts_fail "no loop device (the async control device is required)"
mkswap "$loopdev" > /dev/null || ts_fail "mkswap $loopdev failed"
swapon "$loopdev" || ts_fail "swapon $loopdev failed"
run_workload "$loopdev"
swapoff "$loopdev" || ts_fail "swapoff $loopdev failed"
losetup -d "$loopdev" || ts_fail "losetup -d $loopdev failed"
rm -f "$img"
ts_expect_eq "sync read probe hits on the async loop device" "$D_RS" 0
ts_expect_ge "pswpin delta on loop" "$D_IN" 1
ts_expect_ge "async read probe hits on loop" "$D_RA" 1
ts_expect_ge "async read probe hits x2 vs pswpin delta on loop" $((D_RA * 2)) "$D_IN"
if [ "$HAVE_WR" = 1 ]; then
	ts_expect_ge "async write probe hits on loop" "$D_WA" 1
fi
