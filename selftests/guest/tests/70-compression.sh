#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Claim: with every compression algorithm the kernel offers, with offload on and off, swapped
# pages read back byte-exact, and mm_stat's compression ratio matches the compressibility of the
# data written (within 10%).
# timeout: 1200
set -eu
# shellcheck source=selftests/guest/lib.sh disable=SC2119
. "$(dirname "$0")/../lib.sh"
ts_need_bin swaptest
D=/sys/block/tierswap0
PCT=60	# fio makes each buffer this % compressible: expect compr/orig ~ 0.40

ts_swapoff_all
ts_load
algs=$(tr -d '[]' < $D/comp_algorithm)
echo "algorithms: $algs"
for alg in $algs; do
	TS_COMP=$alg
	TS_COMP_PARAMS=
	[ "$alg" != zstd ] || TS_COMP_PARAMS=level=1
	for TS_OFFLOAD in 0 1; do	# the fio part below runs on the offload=1 device
		ts_swap_begin 96M
		grep -q "\[$alg\]" $D/comp_algorithm || ts_fail "comp_algorithm does not show [$alg]"
		ts_swaptest_in_cg "comp-$alg-offload$TS_OFFLOAD" 16M --size 32 --expect-swap
		ts_swap_end
		staged=$(ts_stat tierswap0 offload_stat staged)
		inline=$(ts_stat tierswap0 offload_stat inline)
		if [ "$TS_OFFLOAD" = 1 ]; then
			ts_expect_ge "$alg offload on: pages staged" "$staged" 1000
		else
			ts_expect_eq "$alg offload off: pages staged" "$staged" 0
			ts_expect_ge "$alg offload off: pages compressed inline" "$inline" 1000
			echo 1 > $D/reset || ts_fail "$alg: reset failed"
		fi
	done
	TS_OFFLOAD=

	fio --name=ratio --filename=/dev/tierswap0 --rw=write --bs=64k --size=32M --direct=1 \
		--buffer_compress_percentage=$PCT --refill_buffers --verify=crc32c \
		--output-format=terse > /dev/null || ts_fail "$alg: fio write+verify failed"
	ts_offload_settled tierswap0	# staged pages count as uncompressed until drained
	orig=$(ts_stat tierswap0 mm_stat orig_data_size)
	compr=$(ts_stat tierswap0 mm_stat compr_data_size)
	# fio's verify header makes blocks slightly less compressible: the
	# measured ratio may be above the ideal, never far below it.
	ratio=$((compr * 1000 / orig))
	want=$((1000 - PCT * 10))
	echo "$alg: orig $orig compr $compr: $ratio/1000 (data: $want/1000)"
	ts_expect_ge "$alg compr/orig x1000 vs data" "$ratio" $((want * 90 / 100))
	ts_expect_le "$alg compr/orig x1000 vs data" "$ratio" $((want * 110 / 100))
	echo 1 > $D/reset || ts_fail "$alg: reset failed"
done
