#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Claim: with compression offloaded to workers, data stays exact while pages sit in staging:
# fio overwrites, reads and trims staged slots with verify on; swap with incompressible, compressible
# and mixed pages, and with offload switched on and off under load, reads back byte-exact; reset
# and rmmod with pages still staged neither leak nor corrupt; every staged page ends drained or
# dropped.
# timeout: 900
set -eu
# shellcheck source=selftests/guest/lib.sh disable=SC2119
. "$(dirname "$0")/../lib.sh"
ts_need_bin swaptest faultio
D=/sys/block/tierswap0
dev=/dev/tierswap0
# zstd at its slowest level keeps the workers behind the writers, so that
# reads, overwrites and trims find pages still staged.
SLOW=(zstd level=22)

fio_verify() {	# fio_verify NAME FIO_ARGS...: direct psync I/O on $dev, crc32c verified
	local name=$1
	shift
	fio --name="$name" --filename=$dev --direct=1 --ioengine=psync --bs=4k \
		--verify=crc32c --verify_fatal=1 --buffer_compress_percentage=50 --refill_buffers \
		--output-format=terse "$@" > /tmp/tierswap-fio.out ||
		{ cat /tmp/tierswap-fio.out; ts_fail "fio $name failed (verify error?)"; }
	echo "ok: fio $name verified"
}

slow_device() {	# slow_device SIZE: tierswap0 with the slow compressor and offload on
	echo "${SLOW[0]}" > $D/comp_algorithm
	echo "${SLOW[1]}" > $D/algorithm_params
	echo 1 > $D/offload
	ts_disksize tierswap0 "$1"
}

# clean_writes OUT: faultio's OUT reports no failed write (none is injected here).
clean_writes() {
	case $1 in *" 0 failed cleanly"*) ;; *) ts_fail "writes failed: $1" ;; esac
}

zs_complaints() { dmesg | grep -ciE 'is not empty|non-empty class' || true; }

ts_swapoff_all
ts_load
complaints0=$(zs_complaints)

# --- raw device: overwrite, read back and trim pages while they are staged --
slow_device 32M
used0=$(ts_stat tierswap0 mm_stat mem_used_total)
fio_verify overwrite --rw=randwrite --size=2M --norandommap --randrepeat=0 --io_size=12M \
	--verify_backlog=16
# Trims: write 8 MiB at 4M, then at once discard the second half of each of
# its MiB (one 512 KiB discard each), the last written first (the
# likeliest to be staged). One process: starting a blkdiscard after dd
# gave two workers time to drain the writer's pool.
dropped0=$(ts_stat tierswap0 offload_stat dropped)
seed=$(ts_seed)
out=$("$TS_BIN/faultio" wtrim $dev 1024 2048 "$seed" 256 128 /tmp/tierswap-map) ||
	ts_fail "writing then trimming failed: $out"
clean_writes "$out"
ts_expect_ge "staged pages trimmed before compression" \
	$(($(ts_stat tierswap0 offload_stat dropped) - dropped0)) 1
"$TS_BIN/faultio" verify $dev 1024 2048 "$seed" /tmp/tierswap-map ||
	ts_fail "written-then-trimmed range reads back wrong"
echo "ok: trimmed blocks read zeros, the rest reads back as written"
ts_show_stats tierswap0 "after fio:"
ts_expect_ge "reads served from staging (staged_reads)" "$(ts_stat tierswap0 offload_stat staged_reads)" 1
ts_expect_ge "staged pages overwritten or trimmed before compression (dropped)" \
	"$(ts_stat tierswap0 offload_stat dropped)" 1
ts_expect_ge "writes compressed inline when staging was full" \
	"$(ts_stat tierswap0 offload_stat inline)" 1
before=$(dd if=$dev bs=1M count=12 iflag=direct status=none | md5sum)
ts_offload_settled tierswap0
ts_expect_eq "contents after the workers compressed every staged page" \
	"$(dd if=$dev bs=1M count=12 iflag=direct status=none | md5sum)" "$before"
blkdiscard $dev || ts_fail "blkdiscard failed"
ts_expect_eq "stored bytes after discarding everything" "$(ts_stat tierswap0 mm_stat orig_data_size)" 0
ts_expect_eq "mem_used_total after discarding everything (no object leaked)" \
	"$(ts_stat tierswap0 mm_stat mem_used_total)" "$used0"

# --- reset and rmmod with pages still staged -------------------------------
# faultio burst writes 16 MiB, reads offload_stat and resets or unloads in
# one process: between a fio and a shell's reset, two workers could drain.
for how in reset rmmod; do
	out=$("$TS_BIN/faultio" burst $dev 4096 "$(ts_seed)" $how) ||
		ts_fail "$how with staged pages failed: $out"
	echo "$out"
	clean_writes "$out"
	pending=${out#*pending=} pending=${pending%% *}
	ts_expect_ge "pages staged at $how" "$pending" 1
	if [ $how = reset ]; then
		ts_expect_eq "offload_stat after reset" "$(ts_stat tierswap0 offload_stat staged)" 0
		slow_device 32M
		cmp -n $((32 << 20)) $dev /dev/zero || ts_fail "data survived reset"
		echo "ok: device reads zeros after reset"
	fi
done
ts_expect_eq "zsmalloc complaints about objects left at pool destruction" "$(zs_complaints)" "$complaints0"

# --- swap: incompressible, compressible and mixed pages; offload toggled -----
ts_load
ts_swap_begin 128M
ts_swaptest_in_cg offload-random 16M --size 32 --content random --expect-swap
ts_expect_ge "pages stored raw (random content)" "$(ts_stat tierswap0 mm_stat huge_pages_since)" 1000
ts_swaptest_in_cg offload-compressible 16M --size 32 --content compressible --expect-swap
ts_swaptest_in_cg offload-mix 16M --size 32 --threads 2 --expect-swap
staged0=$(ts_stat tierswap0 offload_stat staged)
inline0=$(ts_stat tierswap0 offload_stat inline)
# The toggler counts the on/off cycles it completed; a refused write stops it.
toggles=/tmp/tierswap-toggles
echo 0 > $toggles
(
	n=0
	while :; do
		echo 0 > $D/offload || exit 1
		sleep 0.1
		echo 1 > $D/offload || exit 1
		n=$((n + 1))
		echo $n > $toggles
		sleep 0.1
	done
) &
toggler=$!
rc=0
( ts_swaptest_in_cg offload-toggle 16M --size 32 --rounds 3 --expect-swap ) || rc=$?
kill -0 $toggler 2>/dev/null || ts_fail "the offload toggler stopped (a write to $D/offload failed?)"
kill $toggler; wait $toggler 2>/dev/null || true
echo 1 > $D/offload
[ $rc -eq 0 ] || ts_fail "swaptest failed while offload was switched on and off"
ts_expect_ge "offload off/on cycles during the swaptest" "$(cat $toggles)" 3
ts_expect_ge "staged while toggling" $(($(ts_stat tierswap0 offload_stat staged) - staged0)) 1
ts_expect_ge "inline while toggling" $(($(ts_stat tierswap0 offload_stat inline) - inline0)) 1
ts_swap_end
