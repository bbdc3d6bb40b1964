#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Claim: rmmod removes every device when there are many, spread over several idr nodes and
# with holes (ids removed in between): nothing is left in /sys/block, no WARN or oops.
# On a stock kernel a use-after-free in the unload walk is mostly silent; a KASAN kernel
# reports it (its "BUG: KASAN" line fails this test).
# timeout: 300
set -eu
# shellcheck source=selftests/guest/lib.sh disable=SC2119
. "$(dirname "$0")/../lib.sh"
ts_need_bin wr
MARK="tierswap-test: unload-many start $$"
N=150

kernel_complaints() {
	dmesg | sed -n "/$MARK/,\$p" |
		grep -E 'WARNING:|BUG:|Oops|general protection|Call Trace|refcount_t|list_(add|del) corruption' || true
}
count() { find /sys/block -maxdepth 1 -name 'tierswap*' | wc -l; }

echo "$MARK" > /dev/kmsg || ts_fail "cannot write /dev/kmsg"
for round in 1 2; do
	ts_load num_devices=$N
	ts_expect_eq "devices with num_devices=$N" "$(count)" $N
	# Holes: every third id below 64, all of 64..127 but 70 and 127 (a nearly empty
	# idr leaf), and the high ids but the last.
	removed=0
	for ((id = 1; id < N - 1; id++)); do
		if { [ $id -lt 64 ] && [ $((id % 3)) = 0 ]; } ||
		   { [ $id -ge 64 ] && [ $id -lt 128 ] && [ $id != 70 ] && [ $id != 127 ]; } ||
		   { [ $id -ge 130 ] && [ "$round" = 2 ]; }; then
			r=$("$TS_BIN/wr" "$TS_CONTROL/hot_remove" "$id" || true)
			[ "$r" = OK ] || ts_fail "hot_remove $id: $r"
			removed=$((removed + 1))
		fi
	done
	ts_expect_eq "devices after $removed hot_removes (round $round)" "$(count)" $((N - removed))
	# Some devices initialised and holding data, so unload frees storage too.
	for id in 0 70 127 $((N - 1)); do
		ts_disksize "tierswap$id" 8M
		head -c 1M /dev/urandom | dd of="/dev/tierswap$id" bs=64k iflag=fullblock oflag=direct status=none ||
			ts_fail "write to tierswap$id failed"
	done
	rmmod tierswap || ts_fail "rmmod with $((N - removed)) devices failed (round $round)"
	ts_expect_eq "devices left after rmmod (round $round)" "$(count)" 0
	[ ! -e "$TS_CONTROL" ] || ts_fail "$TS_CONTROL still exists after rmmod"
done
c=$(kernel_complaints)
[ -z "$c" ] || ts_fail "kernel complained: $c"
echo "ok: no oops or WARN in the kernel log"
