#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Claim: the raw block device stores and returns data exactly (fio crc32c verify at 4k/64k/2m),
# trimmed and write-zeroed ranges read back as zeros, and io_stat counts exactly what fio did.
# timeout: 420
set -eu
# shellcheck source=selftests/guest/lib.sh disable=SC2119
. "$(dirname "$0")/../lib.sh"
dev=/dev/tierswap0
SIZE_MB=64

# run_fio NAME FIO_ARGS...: run one fio job on $dev; sets F_RD F_WR F_TRIM (4 KiB pages
# fio transferred) and D_RD D_WR D_DISC (io_stat deltas over the job).
run_fio() {
	local name=$1 json=/tmp/tierswap-fio-$1.json rd0 wr0 disc0 rc=0 counts
	shift
	rd0=$(ts_stat tierswap0 io_stat reads)
	wr0=$(ts_stat tierswap0 io_stat writes)
	disc0=$(ts_stat tierswap0 io_stat discarded)
	fio --name="$name" --filename=$dev --direct=1 --ioengine=psync --output-format=json \
		--output="$json" "$@" || rc=$?
	counts=$(python3 -c 'import json, sys
j = json.load(open(sys.argv[1]))["jobs"][0]
print(j["read"]["io_kbytes"] // 4, j["write"]["io_kbytes"] // 4, j["trim"]["io_kbytes"] // 4, j["error"])' "$json") ||
		{ cat "$json"; ts_fail "fio $name: cannot parse its JSON output"; }
	read -r F_RD F_WR F_TRIM F_ERR <<< "$counts"
	D_RD=$(($(ts_stat tierswap0 io_stat reads) - rd0))
	D_WR=$(($(ts_stat tierswap0 io_stat writes) - wr0))
	D_DISC=$(($(ts_stat tierswap0 io_stat discarded) - disc0))
	echo "fio $name: pages read $F_RD written $F_WR trimmed $F_TRIM (error $F_ERR);" \
		"io_stat reads +$D_RD writes +$D_WR discarded +$D_DISC"
	if [ "$rc" -ne 0 ] || [ "$F_ERR" -ne 0 ]; then
		cat "$json"
		ts_fail "fio $name exited $rc (error $F_ERR)"
	fi
}

# io_stat must count exactly the pages fio moved. Reads get 16 pages of slack for
# a partition-table probe the block layer may do when the device is opened.
check_counts() {
	ts_expect_eq "$1: io_stat writes vs fio" "$D_WR" "$F_WR"
	ts_expect_ge "$1: io_stat reads vs fio" "$D_RD" "$F_RD"
	ts_expect_le "$1: io_stat reads vs fio + 16" "$D_RD" $((F_RD + 16))
	ts_expect_eq "$1: io_stat discarded vs fio trims" "$D_DISC" "$F_TRIM"
}

range_md5() {	# range_md5 OFFSET_MB LENGTH_MB
	dd if=$dev bs=1M skip="$1" count="$2" iflag=direct status=none | md5sum | cut -d' ' -f1
}

assert_zero_range() {	# assert_zero_range OFFSET_MB LENGTH_MB WHAT
	dd if=$dev bs=1M skip="$1" count="$2" iflag=direct status=none |
		cmp -n $(($2 << 20)) - /dev/zero || ts_fail "$3: [$1M, +$2M) does not read back as zeros"
	echo "ok: $3: [$1M, +$2M) reads zeros"
}

ts_load
ts_disksize tierswap0 ${SIZE_MB}M
ts_expect_eq "device size" "$(blockdev --getsize64 $dev)" $((SIZE_MB << 20))
ts_expect_ge "discard_max_bytes" "$(cat /sys/block/tierswap0/queue/discard_max_bytes)" 4096
ts_expect_ge "write_zeroes_max_bytes" "$(cat /sys/block/tierswap0/queue/write_zeroes_max_bytes)" 4096
dd if=$dev of=/dev/null bs=4k count=1 iflag=direct status=none	# first open done

for bs in 4k 64k 2m; do
	run_fio "randwrite-verify-$bs" --rw=randwrite --bs=$bs --size=${SIZE_MB}M \
		--verify=crc32c --do_verify=1 --verify_fatal=1 --randseed=$RANDOM
	ts_expect_eq "fio $bs wrote the whole device (pages)" "$F_WR" $((SIZE_MB << 8))
	ts_expect_eq "fio $bs verified the whole device (pages)" "$F_RD" $((SIZE_MB << 8))
	check_counts "$bs"
done
ts_show_stats tierswap0 "after writes:"
ts_expect_eq "stored bytes with the device fully written" \
	"$(ts_stat tierswap0 mm_stat orig_data_size)" $((SIZE_MB << 20))

# Trims: [16M,32M) sequentially in 2 MiB pieces, [40M,48M) randomly in 4 KiB pieces.
# The rest of the device must keep its data.
keep_a=$(range_md5 0 16)
keep_b=$(range_md5 32 8)
keep_c=$(range_md5 48 16)
run_fio trim-2m --rw=trim --bs=2m --offset=16M --size=16M
ts_expect_eq "fio trimmed pages" "$F_TRIM" 4096
check_counts trim-2m
run_fio randtrim-4k --rw=randtrim --bs=4k --offset=40M --size=8M
ts_expect_eq "fio randtrim pages" "$F_TRIM" 2048
check_counts randtrim-4k
ts_show_stats tierswap0 "after trims:"
assert_zero_range 16 16 "after trim"
assert_zero_range 40 8 "after randtrim"
ts_expect_eq "data before the trimmed ranges" "$(range_md5 0 16)" "$keep_a"
ts_expect_eq "data between the trimmed ranges" "$(range_md5 32 8)" "$keep_b"
ts_expect_eq "data after the trimmed ranges" "$(range_md5 48 16)" "$keep_c"
ts_expect_eq "stored bytes after trimming 24 MiB" \
	"$(ts_stat tierswap0 mm_stat orig_data_size)" $(((SIZE_MB - 24) << 20))

# Write zeroes (BLKZEROOUT) over written data; its neighbours keep theirs.
keep_front=$(range_md5 0 8)
keep_back=$(range_md5 12 4)
blkdiscard -z -o $((8 << 20)) -l $((4 << 20)) $dev || ts_fail "blkdiscard -z failed"
assert_zero_range 8 4 "after write-zeroes"
ts_expect_eq "data in front of the zeroed range" "$(range_md5 0 8)" "$keep_front"
ts_expect_eq "data behind the zeroed range" "$(range_md5 12 4)" "$keep_back"

# Reads of trimmed pages after rewriting others: a last verified pass over a
# previously trimmed range must work like on a fresh device.
run_fio rewrite-trimmed --rw=randwrite --bs=64k --offset=16M --size=16M \
	--verify=crc32c --do_verify=1 --verify_fatal=1
check_counts rewrite-trimmed
ts_show_stats tierswap0 "at end:"
