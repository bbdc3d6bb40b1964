#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Run the tierswap guest tests (tests/NN-*.sh, in order; on a debug kernel
# then fault/NN-*.sh) and print TAP 13.
# usage: run.sh [SUBSTRING...]   only run tests whose file name contains one of them
# A test passes with exit 0, skips only through ts_skip (exit 4 and the reason
# recorded in $TS_SKIP_FILE; any other exit 4 fails), fails otherwise or when
# it exceeds its time bound ("# timeout: SECONDS" line in the test, default
# TS_TEST_TIMEOUT=240). After every test the runner removes what it may have
# left (cgroups, probes, swap, the module); a test after which the module cannot
# be unloaded is reported as failed. So is a test during which (or during whose
# cleanup) the kernel logged a warning, a BUG, a stall, a swap I/O error... (see
# log_bad below); a test that provokes one of these on purpose names it in a
# "# allow-log: TEXT" line. So is a test after which the kernel carries a taint
# bit it did not carry before, other than O and E (loading tierswap sets them),
# and one that printed a line starting with "FAIL:" (a ts_fail in $(...) ends
# only that subshell). zswap must be off: it would take the pages meant for
# the device under test.
set -u
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=selftests/guest/lib.sh
. "$here/lib.sh"

# The suite: tests/, and on a debug kernel (series S-debug, which has
# allocation-failure injection) then fault/ (see ts_suite_tests in lib.sh).
select_tests() {
	local t pat all
	mapfile -t all <<< "$(ts_suite_tests "$TS_SERIES")"
	for t in "${all[@]}"; do
		[ $# -eq 0 ] && { echo "$t"; continue; }
		for pat in "$@"; do
			case $(basename "$t") in *"$pat"*) echo "$t"; break ;; esac
		done
	done
}

# A debug kernel (KASAN, lockdep: series S-debug) runs everything several
# times slower: its tests get TS_TIMEOUT_SCALE (4) times their bound.
case $TS_SERIES in
*-debug) TS_TIMEOUT_SCALE=${TS_TIMEOUT_SCALE:-4} ;;
*) TS_TIMEOUT_SCALE=${TS_TIMEOUT_SCALE:-1} ;;
esac
test_timeout() {
	local t
	t=$(sed -n '/^# timeout: *[0-9]/ { s/^# timeout: *\([0-9][0-9]*\).*/\1/p; q; }' "$1")
	echo $((${t:-${TS_TEST_TIMEOUT:-240}} * TS_TIMEOUT_SCALE))
}

# Kernel log lines that fail the test during which they appear.
log_bad=(
	"WARNING:" "BUG:" "kernel BUG at" "Oops:" "general protection fault" "Kernel panic"
	"blocked for more than" "self-detected stall" "rcu: INFO" "detected stalls on CPUs"
	"Read-error on swap-device" "Write-error on swap-device" "page allocation failure"
	"UBSAN:" "KASAN:" "possible circular locking" "inconsistent lock state" "DEADLOCK"
	"possible recursive locking" "unreferenced object" "invoked oom-killer"
	"list_add corruption" "list_del corruption" "suspected memory leak"
	"Bad swap offset entry" "Unused swap offset entry" "Bad swap file entry"
	"Unused swap file entry" "hard LOCKUP" "soft lockup"
	"Kernel memory leak detector disabled" "kmemleak: Memory pool empty"
	"trying to register non-static key" "ODEBUG: Out of memory"
	"fullness group"
)
# The same, as extended regular expressions: SLUB debug reports have no colon
# after BUG ("BUG kmalloc-128 (Not tainted): Object already free").
log_bad_re=('BUG [^ ]+ \((Not tainted|Tainted)')

# check_log MARK TEST: print the kernel log lines after MARK that match
# log_bad and are not allowed by TEST's "# allow-log:" lines; fail if any
# (or if MARK is no longer in the log).
check_log() {
	local mark=$1 t=$2 since bad p args=() re=() allow=()
	since=$(dmesg | awk -v m="$mark" 'found { print } index($0, m) { found = 1 }
		END { exit !found }') || { echo "kernel log: start mark '$mark' lost"; return 1; }
	for p in "${log_bad[@]}"; do args+=(-e "$p"); done
	for p in "${log_bad_re[@]}"; do re+=(-e "$p"); done
	mapfile -t allow <<< "$(sed -n 's/^# allow-log: *//p' "$t")"
	bad=$({ grep -F "${args[@]}" <<< "$since"; grep -E "${re[@]}" <<< "$since"; } |
		awk '!seen[$0]++')
	for p in "${allow[@]}"; do
		[ -n "$p" ] && bad=$(grep -v -F -e "$p" <<< "$bad" || true)
	done
	[ -z "$bad" ] && return 0
	echo "kernel log during the test:"
	# shellcheck disable=SC2001 # many lines
	sed 's/^/  /' <<< "$bad"
	return 1
}

# kmemleak reports a leak only when it scans, and only an object at least
# 5 s old whose contents did not change since the previous scan (a new
# object's first scan never reports it): after every test (after the
# cleanup unloaded the module) wait 5 s and scan twice, so that check_log
# sees the report of this test's leak.  A scan that fails (kmemleak
# disabled itself) fails the test.
kmemleak_scan() {
	local k=/sys/kernel/debug/kmemleak t0=$SECONDS
	[ -e "$k" ] || return 0
	sleep 5
	if { echo scan > "$k" && echo scan > "$k"; } 2> /dev/null; then
		echo "# kmemleak: scanned twice in $((SECONDS - t0 - 5))s"
		return 0
	fi
	echo "# kmemleak: scan failed (kmemleak is off: $(dmesg | grep -m1 'kmemleak:.*disabled' || echo 'no reason logged'))"
	return 1
}

# A lockdep report, or a lock used before its init, turns lockdep off for
# the rest of the boot: on a kernel with lockdep, fail the test after which
# debug_locks is no longer 1 (every later test would run unchecked).
debug_locks_on() {
	local s=/proc/lockdep_stats v
	[ -e "$s" ] || return 0
	v=$(awk '$1 == "debug_locks:" { print $2 }' "$s")
	[ "$v" = 1 ] && return 0
	echo "# lockdep is off (debug_locks: ${v:-missing}): a lock report or a lock used uninitialised turned it off"
	return 1
}

# Taint bits a test may add: O (12, out-of-tree module) and E (13, unsigned
# module), both set by loading tierswap. Any other new bit fails the test.
TAINT_OK=$(((1 << 12) | (1 << 13)))
TAINT_FLAGS=PFSRMBUDAWCIOELKXTNJ	# bit N is letter N (kernel/panic.c)
# check_taint BEFORE: print the taint bits set since BEFORE; fail if any
# beyond TAINT_OK.
check_taint() {
	local now new b out=
	read -r now < /proc/sys/kernel/tainted || { echo "cannot read /proc/sys/kernel/tainted"; return 1; }
	new=$((now & ~$1 & ~TAINT_OK))
	[ "$new" -eq 0 ] && return 0
	for ((b = 0; b < 63; b++)); do
		[ $((new >> b & 1)) -eq 0 ] || out+=" bit $b (${TAINT_FLAGS:b:1}, $((1 << b)))"
	done
	echo "kernel tainted during the test:$out (tainted $1 -> $now)"
	return 1
}

# zswap caches pages before they reach any swap device: off, and seen off.
zswap_off() {
	local z=/sys/module/zswap/parameters/enabled v
	[ -e "$z" ] || { echo "# zswap: not in this kernel"; return 0; }
	read -r v < "$z"
	[ "$v" = N ] || echo N > "$z" || return 1
	read -r v < "$z"
	echo "# zswap enabled: $v"
	[ "$v" = N ]
}

# (no process substitution: the guest may have no /dev/fd)
mapfile -t tests <<< "$(select_tests "$@")"
[ -n "${tests[0]}" ] || { echo "run.sh: no tests selected by: $*" >&2; exit 1; }
kernel=$(uname -r)
echo "TAP version 13"
echo "1..${#tests[@]}"
echo "# kernel $kernel series $TS_SERIES, module ${TIERSWAP_KO:-unset}"
zswap_off || { echo "Bail out! zswap cannot be turned off on $kernel"; exit 1; }
out=$(mktemp /tmp/tsrun.XXXXXX.log)	# not /tmp/tierswap-*: ts_cleanup removes those
export TS_SKIP_FILE=$out.skip
trap 'rm -f "$out" "$TS_SKIP_FILE"' EXIT
ts_cleanup > /dev/null 2>&1
pre=$(dmesg | grep -F -e WARNING: -e BUG: -e Oops: || true)
echo "# kernel tainted before the first test: $(cat /proc/sys/kernel/tainted)"
# shellcheck disable=SC2001 # many lines
[ -z "$pre" ] || { echo "# kernel log before the first test:"; sed 's/^/#   /' <<< "$pre"; }
debug_locks_on || { echo "Bail out! lockdep is off before the first test"; exit 1; }

n=0 failed=0 skipped=0
for t in "${tests[@]}"; do
	n=$((n + 1))
	name=$(basename "$t" .sh)
	name=${name#[0-9][0-9]-}
	limit=$(test_timeout "$t")
	start=$SECONDS
	rm -f "$TS_SKIP_FILE"
	read -r taint0 < /proc/sys/kernel/tainted
	mark="tierswap-run.sh[$$]: test $n $name start $(date +%s.%N)"
	echo "$mark" > /dev/kmsg
	timeout -k 10 "$limit" bash "$t" 2>&1 < /dev/null | tee "$out" | sed -u 's/^/# /'
	rc=${PIPESTATUS[0]}
	secs=$((SECONDS - start))
	verdict=fail
	case $rc in
	0)	verdict=ok ;;
	4)	if [ -e "$TS_SKIP_FILE" ] && grep -q '[^[:space:]]' "$TS_SKIP_FILE"; then
			verdict=skip
		else
			echo "# exit 4 without ts_skip and a reason (a failing swapoff exits 4): a failure"
		fi ;;
	124|137) echo "# timed out after ${limit}s" ;;
	esac
	if [ "$rc" != 4 ] && [ -e "$TS_SKIP_FILE" ]; then
		echo "# ts_skip was called but the test exited $rc: a failure"
		verdict=fail
	fi
	# ts_fail inside $(...) only ends that subshell; its message still
	# reaches the output (programs whose FAIL: is expected are shown
	# prefixed, see ts_swaptest_corrupt).
	if grep -q '^FAIL:' "$out"; then
		echo "# the test printed a line starting with FAIL:: a failure"
		verdict=fail
	fi
	if ! ts_cleanup > "$out.cleanup" 2>&1; then
		sed 's/^/# /' "$out.cleanup"
		echo "# module could not be unloaded after the test"
		verdict=fail
	fi
	kmemleak_scan || verdict=fail
	debug_locks_on || verdict=fail
	if ! check_log "$mark" "$t" > "$out.log" 2>&1; then
		sed 's/^/# /' "$out.log"
		verdict=fail
	fi
	if ! check_taint "$taint0" > "$out.taint" 2>&1; then
		sed 's/^/# /' "$out.taint"
		verdict=fail
	fi
	echo "# $name: exit $rc after ${secs}s"
	case $verdict in
	ok)	echo "ok $n - $name" ;;
	skip)	echo "ok $n - $name # SKIP $(head -n1 "$TS_SKIP_FILE")"
		skipped=$((skipped + 1)) ;;
	*)	echo "not ok $n - $name"; failed=$((failed + 1)) ;;
	esac
	rm -f "$out.cleanup" "$out.log" "$out.taint"
done
echo "# kernel $kernel: ${#tests[@]} tests, $((n - failed - skipped)) passed, $skipped skipped, $failed failed"
[ "$failed" -eq 0 ]
