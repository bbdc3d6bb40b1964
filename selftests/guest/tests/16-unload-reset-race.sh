#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Claim: rmmod while a reset of a device holding data is running waits for the reset:
# no oops or WARN, no device left behind, and the module loads again at once.  At least
# one round must show the overlap: a reset that succeeded and ended after rmmod started.
# timeout: 300
set -eu
# shellcheck source=selftests/guest/lib.sh disable=SC2119
. "$(dirname "$0")/../lib.sh"
RACE_SECS=${TS_RACE_SECS:-25}
MARK="tierswap-test: unload-reset-race start $$"
D=/sys/block/tierswap0

kernel_complaints() {
	dmesg | sed -n "/$MARK/,\$p" |
		grep -E 'WARNING:|BUG:|Oops|general protection|Call Trace|refcount_t|list_(add|del) corruption' || true
}

echo "$MARK" > /dev/kmsg || ts_fail "cannot write /dev/kmsg"
# A reset walks every slot of the table, so on a 128 GiB device (32M slots, a
# 544 MiB table) holding 64 MiB of data it runs long enough for rmmod, a fork and
# exec away, to come in the middle.
head -c 64M /dev/urandom > /tmp/tierswap-data || ts_fail "cannot make 64 MiB of test data"
fill() {
	ts_disksize tierswap0 128G
	dd if=/tmp/tierswap-data of=/dev/tierswap0 bs=1M oflag=direct status=none ||
		ts_fail "writing 64 MiB to /dev/tierswap0 failed"
	ts_expect_eq "stored before reset" "$(ts_stat tierswap0 mm_stat orig_data_size)" $((64 << 20))
}
ts_load
fill
t0=$(date +%s%N)
echo 1 > $D/reset || ts_fail "reset failed"
echo "a reset alone takes $((($(date +%s%N) - t0) / 1000000)) ms"
rmmod tierswap || ts_fail "rmmod failed"
end=$((SECONDS + RACE_SECS))
n=0
overlaps=0
delays=(0 0.05 0.1 0.2)
# Microseconds from bash itself: no fork between the event and its time stamp.
usecs() { local t=$EPOCHREALTIME; echo "${t//[.,]/}"; }
while [ $SECONDS -lt $end ] || [ $n -lt 4 ]; do
	ts_load
	fill
	rm -f /tmp/tierswap-reset-end
	# The reset may find the attribute gone (rc != 0): fine, but no overlap.
	( (echo 1 > $D/reset) 2>/dev/null; echo "$? $(usecs)" > /tmp/tierswap-reset-end ) &
	rpid=$!
	sleep "${delays[n % ${#delays[@]}]}"
	t0=$(usecs)
	rmmod tierswap || ts_fail "rmmod during reset failed (round $n)"
	t1=$(usecs)
	wait "$rpid" || ts_fail "the reset's subshell failed (round $n)"
	read -r rrc rend < /tmp/tierswap-reset-end || ts_fail "no reset end time (round $n)"
	ov=no
	if [ "$rrc" -eq 0 ] && [ "$rend" -gt "$t0" ]; then
		ov=yes
		overlaps=$((overlaps + 1))
	fi
	echo "round $n: rmmod took $(((t1 - t0) / 1000)) ms; reset rc $rrc, ended $(((rend - t0) / 1000)) ms after rmmod started; overlap $ov"
	grep -q '^tierswap ' /proc/modules && ts_fail "module still loaded after rmmod (round $n)"
	[ ! -e $D ] || ts_fail "$D survived rmmod during a reset (round $n)"
	c=$(kernel_complaints)
	[ -z "$c" ] || ts_fail "kernel complained (round $n): $c"
	n=$((n + 1))
done
[ "$overlaps" -ge 1 ] || ts_fail "no round had rmmod start during a successful reset ($n rounds)"
echo "ok: $n rounds of reset against rmmod with 64 MiB stored, $overlaps overlapping"
ts_load
ts_disksize tierswap0 4M
ts_expect_eq "initstate after the last reload" "$(cat $D/initstate)" 1
rmmod tierswap || ts_fail "final rmmod failed"
c=$(kernel_complaints)
[ -z "$c" ] || ts_fail "kernel complained: $c"
echo "ok: no oops or WARN in the kernel log"
