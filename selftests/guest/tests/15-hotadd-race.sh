#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Claim: hot_add racing with hot_remove of the same ids never exposes a half-built device:
# no oops or WARN, and afterwards every tierswapN that exists works and can be removed,
# and the module unloads.
# timeout: 240
set -eu
# shellcheck source=selftests/guest/lib.sh disable=SC2119
. "$(dirname "$0")/../lib.sh"
ts_need_bin wr
RACE_SECS=${TS_RACE_SECS:-20}
MARK="tierswap-test: hotadd-race start $$"

# Kernel messages since the mark that mean the kernel found a bug.
kernel_complaints() {
	dmesg | sed -n "/$MARK/,\$p" |
		grep -E 'WARNING:|BUG:|Oops|general protection|Call Trace|refcount_t|list_(add|del) corruption' || true
}

echo "$MARK" > /dev/kmsg || ts_fail "cannot write /dev/kmsg"
ts_load

# Readers of hot_add create the lowest free ids; writers remove ids 1..4, which
# are exactly the ones being created. Builtins only (read/echo): no fork per try.
adder() {
	local end=$((SECONDS + RACE_SECS)) id n=0
	while [ $SECONDS -lt $end ]; do
		read -r id < "$TS_CONTROL/hot_add" 2>/dev/null && n=$((n + 1))
	done
	echo "adder $BASHPID: $n devices added"
}
remover() {
	local end=$((SECONDS + RACE_SECS)) id n=0
	while [ $SECONDS -lt $end ]; do
		for id in 1 2 3 4; do
			echo "$id" 2>/dev/null > "$TS_CONTROL/hot_remove" && n=$((n + 1))
		done
	done
	echo "remover $BASHPID: $n devices removed"
}
pids=()
adder & pids+=($!)
adder & pids+=($!)
remover & pids+=($!)
remover & pids+=($!)
for p in "${pids[@]}"; do
	wait "$p" || ts_fail "race loop $p failed"
done
echo "ok: hot_add/hot_remove hammered for ${RACE_SECS}s"

# Whatever is left must be complete devices: a block node, the ABI, and I/O.
n=0
for d in /sys/block/tierswap*; do
	[ -e "$d" ] || continue
	dev=$(basename "$d")
	id=${dev#tierswap}
	[ -b "/dev/$dev" ] || ts_wait_path "/dev/$dev" 5 || ts_fail "/dev/$dev missing for $d"
	ts_expect_eq "$dev initstate" "$(cat "$d/initstate")" 0
	ts_disksize "$dev" 1M
	head -c 4096 /dev/urandom > /tmp/tierswap-page
	dd if=/tmp/tierswap-page of="/dev/$dev" bs=4096 oflag=direct status=none ||
		ts_fail "write to /dev/$dev failed"
	dd if="/dev/$dev" bs=4096 count=1 iflag=direct status=none | cmp -s - /tmp/tierswap-page ||
		ts_fail "/dev/$dev did not read back what was written"
	r=$("$TS_BIN/wr" "$TS_CONTROL/hot_remove" "$id" || true)
	ts_expect_eq "hot_remove $id after the race" "$r" OK
	[ ! -e "$d" ] || ts_fail "$d still exists after hot_remove"
	n=$((n + 1))
done
ts_expect_ge "devices left after the race (tierswap0 at least)" "$n" 1
rmmod tierswap || ts_fail "rmmod after the race failed"
[ ! -e /sys/block/tierswap0 ] || ts_fail "a device survived rmmod"
c=$(kernel_complaints)
[ -z "$c" ] || ts_fail "kernel complained during the race: $c"
echo "ok: no oops or WARN in the kernel log"
