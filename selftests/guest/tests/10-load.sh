#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Claim: the module loads, creates its devices and sysfs ABI with the contract's modes,
# hot_add/hot_remove work (EBUSY while open, ENODEV if absent), and rmmod returns the memory.
# timeout: 300
set -eu
# shellcheck source=selftests/guest/lib.sh disable=SC2119
. "$(dirname "$0")/../lib.sh"
ts_need_bin wr

check_mode() {	# check_mode PATH OCTAL
	[ -e "$1" ] || ts_fail "$1 does not exist"
	ts_expect_eq "mode of $1" "$(stat -c %a "$1")" "$2"
}

check_device_abi() {	# check_device_abi DEV
	local d=/sys/block/$1
	[ -b "/dev/$1" ] || ts_fail "/dev/$1 is not a block device"
	check_mode "$d/disksize" 644
	check_mode "$d/initstate" 444
	check_mode "$d/reset" 200
	check_mode "$d/io_stat" 444
	check_mode "$d/mm_stat" 444
	check_mode "$d/cluster_stat" 444
	check_mode "$d/debug_stat" 444
	check_mode "$d/comp_algorithm" 644
	check_mode "$d/algorithm_params" 200
	check_mode "$d/mem_limit" 644
	check_mode "$d/compact" 200
	grep -q '\[lz4\]' "$d/comp_algorithm" || ts_fail "$1 default algorithm is not lz4: $(cat "$d/comp_algorithm")"
	ts_expect_eq "$1 initstate" "$(cat "$d/initstate")" 0
	ts_expect_eq "$1 disksize" "$(cat "$d/disksize")" 0
	ts_expect_eq "$1 io_stat columns" "$(wc -w < "$d/io_stat")" 7
	ts_expect_eq "$1 mm_stat columns" "$(wc -w < "$d/mm_stat")" 9
	ts_expect_eq "$1 cluster_stat columns" "$(wc -w < "$d/cluster_stat")" 5
	ts_expect_eq "$1 debug_stat header" "$(head -n1 "$d/debug_stat")" "version: 1"
	ts_expect_eq "$1 debug_stat columns" "$(sed -n 2p "$d/debug_stat" | wc -w)" 5
	ts_expect_eq "$1 logical block size" "$(cat "$d/queue/logical_block_size")" 4096
	ts_expect_eq "$1 rotational" "$(cat "$d/queue/rotational")" 0
}

device_count() { find /sys/block -maxdepth 1 -name 'tierswap*' | wc -l; }

test_default_load() {
	ts_load
	ts_expect_eq "devices after plain insmod" "$(device_count)" 1
	check_device_abi tierswap0
	check_mode "$TS_CONTROL/hot_add" 400
	check_mode "$TS_CONTROL/hot_remove" 200
	rmmod tierswap || ts_fail "rmmod of an unused module failed"
	[ ! -e /sys/block/tierswap0 ] || ts_fail "tierswap0 still exists after rmmod"
	[ ! -e "$TS_CONTROL" ] || ts_fail "$TS_CONTROL still exists after rmmod"
}

test_num_devices() {
	local i
	ts_load num_devices=3
	ts_expect_eq "devices with num_devices=3" "$(device_count)" 3
	for i in 0 1 2; do
		check_device_abi "tierswap$i"
	done
	rmmod tierswap || ts_fail "rmmod with 3 unused devices failed"
}

test_hot_add_remove() {
	local id id2 r
	ts_load
	id=$(cat "$TS_CONTROL/hot_add") || ts_fail "reading hot_add failed"
	ts_expect_eq "hot_add id" "$id" 1
	check_device_abi "tierswap$id"
	id2=$(cat "$TS_CONTROL/hot_add")
	ts_expect_eq "second hot_add id" "$id2" 2
	ts_expect_eq "devices after 2 hot_add" "$(device_count)" 3

	# Held open: hot_remove and rmmod must be refused.
	exec 3< "/dev/tierswap$id"
	r=$("$TS_BIN/wr" "$TS_CONTROL/hot_remove" "$id" || true)
	ts_expect_eq "hot_remove of an open device" "$r" EBUSY
	[ -e "/sys/block/tierswap$id" ] || ts_fail "open device vanished after refused hot_remove"
	if rmmod tierswap 2>/dev/null; then
		ts_fail "rmmod succeeded while /dev/tierswap$id was open"
	fi
	echo "ok: rmmod refused while a device is open"
	exec 3<&-

	r=$("$TS_BIN/wr" "$TS_CONTROL/hot_remove" "$id" || true)
	ts_expect_eq "hot_remove after close" "$r" OK
	[ ! -e "/sys/block/tierswap$id" ] || ts_fail "/sys/block/tierswap$id still exists after hot_remove"
	ts_wait_path_gone "/dev/tierswap$id"
	r=$("$TS_BIN/wr" "$TS_CONTROL/hot_remove" "$id" || true)
	ts_expect_eq "hot_remove of a removed id" "$r" ENODEV
	r=$("$TS_BIN/wr" "$TS_CONTROL/hot_remove" 77 || true)
	ts_expect_eq "hot_remove of a never-created id" "$r" ENODEV

	# The freed id is handed out again (ids are reused like zram's idr).
	id2=$(cat "$TS_CONTROL/hot_add")
	ts_expect_eq "hot_add after removing tierswap$id returns the freed id" "$id2" "$id"
	[ -e "/sys/block/tierswap$id" ] || ts_fail "hot_add returned $id but tierswap$id does not exist"
	check_device_abi "tierswap$id"
	r=$("$TS_BIN/wr" "$TS_CONTROL/hot_remove" 0 || true)
	ts_expect_eq "hot_remove of device 0" "$r" OK
	rmmod tierswap || ts_fail "rmmod after hot_add/hot_remove failed"
}

ts_wait_path_gone() {
	local i
	for ((i = 0; i < 50; i++)); do
		[ -e "$1" ] || { echo "ok: $1 removed"; return 0; }
		sleep 0.1
	done
	ts_fail "$1 still exists"
}

# Free memory in MiB, counting pages parked on the per-CPU free lists (which
# MemFree leaves out) and after dropping clean caches.
memfree_mb() {
	local pcp
	sync
	echo 3 > /proc/sys/vm/drop_caches
	pcp=$(awk '$1 == "count:" { n += $2 } END { print n + 0 }' /proc/zoneinfo)
	echo $((($(ts_meminfo_kb MemFree) + pcp * 4) / 1024))
}

# 64 MiB of incompressible data must cost about 64 MiB while stored and all of it
# must come back at rmmod (slack 24 MiB: catches a 64 MiB leak, tolerates noise;
# freeing may be deferred, so poll for up to 10 s).
test_rmmod_frees_memory() {
	local before loaded after orig used i
	before=$(memfree_mb)
	ts_load
	ts_disksize tierswap0 128M
	head -c 64M /dev/urandom | dd of=/dev/tierswap0 bs=1M iflag=fullblock oflag=direct status=none ||
		ts_fail "writing 64 MiB to /dev/tierswap0 failed"
	ts_show_stats tierswap0
	orig=$(ts_stat tierswap0 mm_stat orig_data_size)
	used=$(ts_stat tierswap0 mm_stat mem_used_total)
	ts_expect_eq "mm_stat orig_data_size after writing 64 MiB" "$orig" $((64 << 20))
	ts_expect_ge "mm_stat mem_used_total (bytes) after 64 MiB of random data" "$used" $((60 << 20))
	loaded=$(memfree_mb)
	echo "free MiB: before insmod $before, with 64 MiB stored $loaded"
	ts_expect_ge "free memory drop while 64 MiB are stored (MiB)" $((before - loaded)) 48
	rmmod tierswap || ts_fail "rmmod with 64 MiB stored failed"
	for ((i = 0; i < 10; i++)); do
		after=$(memfree_mb)
		[ $((before - after)) -le 24 ] && break
		sleep 1
	done
	echo "free MiB after rmmod: $after"
	ts_expect_le "free memory not recovered after rmmod (MiB)" $((before - after)) 24
}

test_default_load
test_num_devices
test_hot_add_remove
test_rmmod_frees_memory
