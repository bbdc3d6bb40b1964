#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Claim: garbage written to any sysfs attribute is refused and changes nothing; disksize is
# write-once; reset/hot_remove/rmmod are refused while swapped on; unwritten and reset
# sectors read as zeros.
# timeout: 300
set -eu
# shellcheck source=selftests/guest/lib.sh disable=SC2119
. "$(dirname "$0")/../lib.sh"
ts_need_bin wr swaptest
D=/sys/block/tierswap0
GARBAGE=("abc" "-1" "18446744073709551616" "" "1P" "99999999999999999999999" "0x" "4k junk"
	 " " "1 2" "0x10000000000000000" "1E" "+-1" $'4k\n5k')

# STATE: one line summarising everything a refused write must not change.
# Built with read builtins only: forks and execs are slow under TCG.
get_state() {
	local size init mm alg limit off stg devs=(/sys/block/tierswap*)
	read -r size < $D/disksize
	read -r init < $D/initstate
	read -r mm < $D/mm_stat
	read -r alg < $D/comp_algorithm
	read -r limit < $D/mem_limit
	read -r off < $D/offload
	read -r stg < $D/staging_size
	STATE="disksize=$size initstate=$init devices=${#devs[@]} mm_stat=$mm comp=$alg mem_limit=$limit"
	STATE+=" offload=$off staging_size=$stg"
}

# refuse ATTR VALUE [ERRNO...]: writing VALUE must fail (with one of ERRNOs if
# given) and leave the state unchanged.
refuse() {
	local attr=$1 val=$2 before r
	shift 2
	get_state
	before=$STATE
	r=$("$TS_BIN/wr" "$attr" "$val" || true)
	get_state
	[ "$r" != OK ] || ts_fail "writing '$val' to $attr succeeded"
	if [ $# -gt 0 ] && [[ " $* " != *" $r "* ]]; then
		ts_fail "writing '$val' to $attr failed with $r, want one of: $*"
	fi
	[ "$before" = "$STATE" ] || ts_fail "refused write of '$val' to $attr changed state: $before -> $STATE"
	echo "ok: '$val' -> $attr refused ($r), state unchanged"
}

zeros() {	# zeros OFFSET_MB LENGTH_MB WHAT
	dd if=/dev/tierswap0 bs=1M skip="$1" count="$2" iflag=direct status=none |
		cmp -n $(($2 << 20)) - /dev/zero || ts_fail "$3: [$1M, +$2M) is not zeros"
	echo "ok: $3: [$1M, +$2M) reads zeros"
}

ts_swapoff_all
ts_load

# --- uninitialised device: disksize garbage -------------------------------
for v in "${GARBAGE[@]}" 0; do
	refuse $D/disksize "$v" EINVAL
done
ts_expect_eq "initstate after refused disksize writes" "$(cat $D/initstate)" 0
refuse $D/reset abc EINVAL

# --- compression and memory attributes -------------------------------------
for v in "${GARBAGE[@]}" lz5 "lz4 zstd" LZ4; do
	refuse $D/comp_algorithm "$v" EINVAL
done
for v in "${GARBAGE[@]}" level=3 "level=" "level=x" "levels=3" "level=3 level=4"; do
	refuse $D/algorithm_params "$v" EINVAL	# lz4 has no levels
done
"$TS_BIN/wr" $D/comp_algorithm zstd > /dev/null || ts_fail "choosing zstd failed"
for v in level=23 level=99999999999 level=-99999999999 "level=1x" "level=0x3"; do
	refuse $D/algorithm_params "$v" EINVAL
done
"$TS_BIN/wr" $D/algorithm_params level=5 > /dev/null || ts_fail "zstd level=5 refused"
"$TS_BIN/wr" $D/comp_algorithm lz4 > /dev/null || ts_fail "choosing lz4 failed"
for v in "${GARBAGE[@]}" 18446744073709551615 18446744073709547521; do
	refuse $D/mem_limit "$v" EINVAL	# the last two would round up past 2^64 to 0
done
for v in "${GARBAGE[@]}" 1; do
	refuse $D/compact "$v" EINVAL	# 1 too: nothing to compact before disksize
done
for v in "${GARBAGE[@]}" 2 yes true "on off" ON 01; do
	refuse $D/offload "$v" EINVAL
done
for v in "${GARBAGE[@]}" 1025M 2G; do
	refuse $D/staging_size "$v" EINVAL	# at most 1 GiB
done
"$TS_BIN/wr" $D/staging_size 5000 > /dev/null || ts_fail "staging_size 5000 refused"
ts_expect_eq "staging_size 5000 rounded up to a page" "$(cat $D/staging_size)" 8192

# --- hot_add is read-only, hot_remove wants an existing id ----------------
r=$("$TS_BIN/wr" $TS_CONTROL/hot_add 1 || true)
[ "$r" != OK ] || ts_fail "write to read-only hot_add succeeded"
ts_expect_eq "devices after writing to hot_add" "$(find /sys/block -maxdepth 1 -name 'tierswap*' | wc -l)" 1
for v in "${GARBAGE[@]}" 5 4294967296; do
	refuse $TS_CONTROL/hot_remove "$v" EINVAL ENODEV ERANGE
done

# --- disksize: rounding, write-once ---------------------------------------
id=$(cat $TS_CONTROL/hot_add)
"$TS_BIN/wr" "/sys/block/tierswap$id/disksize" 5000 > /dev/null || ts_fail "disksize 5000 refused"
ts_expect_eq "disksize 5000 rounded up to a page" "$(cat "/sys/block/tierswap$id/disksize")" 8192
echo "$id" > $TS_CONTROL/hot_remove

ts_disksize tierswap0 64M
ts_expect_eq "disksize" "$(cat $D/disksize)" $((64 << 20))
ts_expect_eq "initstate" "$(cat $D/initstate)" 1
refuse $D/disksize 32M EBUSY
refuse $D/disksize 64M EBUSY
refuse $D/comp_algorithm zstd EBUSY
refuse $D/algorithm_params level=3 EBUSY
refuse $D/staging_size 4M EBUSY
ncpu=$(ts_nr_cpu_ids)	# 2 pages split over the possible CPUs, rounded up per CPU
ts_expect_eq "offload_stat staging_pages from staging_size 8192" \
	"$(ts_stat tierswap0 offload_stat staging_pages)" $((ncpu * ((2 + ncpu - 1) / ncpu)))
for v in off 0 on 1; do
	"$TS_BIN/wr" $D/offload "$v" > /dev/null || ts_fail "offload '$v' refused while initialised"
done
ts_expect_eq "offload after on/off at run time" "$(cat $D/offload)" 1

# --- never-written sectors read as zeros -----------------------------------
unw0=$(ts_stat tierswap0 debug_stat unwritten_reads)
zeros 0 64 "fresh device"
ts_expect_ge "debug_stat unwritten_reads after reading 64 MiB never written" \
	$(($(ts_stat tierswap0 debug_stat unwritten_reads) - unw0)) $((64 << 8))

# --- reset garbage keeps the data; reset "1" drops it -----------------------
head -c 4M /dev/urandom > /tmp/tierswap-data
dd if=/tmp/tierswap-data of=/dev/tierswap0 bs=1M seek=8 oflag=direct status=none ||
	ts_fail "writing 4 MiB to /dev/tierswap0 failed"
zeros 0 8 "in front of written data"
for v in "${GARBAGE[@]}"; do
	refuse $D/reset "$v" EINVAL
done
refuse $D/reset 0 EINVAL	# only "1" resets
ts_expect_eq "initstate after reset '0'" "$(cat $D/initstate)" 1
dd if=/dev/tierswap0 bs=1M skip=8 count=4 iflag=direct status=none | cmp - /tmp/tierswap-data ||
	ts_fail "data changed by refused reset writes"
echo "ok: data intact after refused reset writes"
"$TS_BIN/wr" $D/reset 1 > /dev/null || ts_fail "reset 1 refused on an unused device"
ts_expect_eq "disksize after reset" "$(cat $D/disksize)" 0
ts_expect_eq "initstate after reset" "$(cat $D/initstate)" 0
ts_expect_eq "mm_stat orig_data_size after reset" "$(ts_stat tierswap0 mm_stat orig_data_size)" 0
ts_disksize tierswap0 64M
zeros 8 4 "previously written range after reset"

# --- while swapped on: reset, hot_remove and rmmod are refused --------------
ts_mkswap_on tierswap0
refuse $D/reset 1 EBUSY
refuse $TS_CONTROL/hot_remove 0 EBUSY
refuse $D/disksize 128M EBUSY
if rmmod tierswap 2>/dev/null; then
	ts_fail "rmmod succeeded while /dev/tierswap0 is swapped on"
fi
echo "ok: rmmod refused while swapped on"
grep -q '^/dev/tierswap0 ' /proc/swaps || ts_fail "tierswap0 no longer in /proc/swaps"
ts_swaptest_in_cg bad-input 8M --size 24 --expect-swap
ts_show_stats tierswap0 "after swaptest:"
swapoff /dev/tierswap0 || ts_fail "swapoff /dev/tierswap0 failed"
"$TS_BIN/wr" $D/reset 1 > /dev/null || ts_fail "reset after swapoff refused"
ts_expect_eq "stored bytes after swapoff + reset" "$(ts_stat tierswap0 mm_stat orig_data_size)" 0
