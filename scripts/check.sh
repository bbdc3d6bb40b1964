#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# usage: scripts/check.sh [S...]     (default: $KERNELS or "6.1 6.12 7.2")
#
# The whole test suite (`make check`): host deps, fetch every kernel S (its
# exact version is printed first: `# [6.1] kernel 6.1.0-57-amd64`), native
# unit tests, then per kernel S: build the module with W=1, boot S and run
# the guest suite selftests/guest/run.sh. Prints every TAP result, renumbered
# and prefixed with its kernel, e.g. `ok 7 - [6.12] swap-integrity-fork`,
# a per-kernel summary (version, wall time, counts), and ends with exactly
# one line `N passed, N failed, N skipped`.
#
# A suite that ran nothing cannot pass: each TAP stream (native, and every
# kernel's guest) must print its plan `1..N` and then exactly results 1..N;
# a missing plan, a missing result, a guest that never started the suite,
# the wrong kernel, or a nonzero exit with no failing test is a failure.
# Skips are failures unless listed in ALLOWED_SKIPS below.
# Exits 0 iff nothing failed and at least one test passed.
#
# CHECK_TESTS="load sync" (development only): passed to run.sh, which runs
# only the tests whose file names contain one of the substrings. A run with
# CHECK_TESTS says so in its output; it is not the suite.
# NATIVE_TIMEOUT (300 s) bounds the native tests; VM_TIMEOUT (3600 s) a boot.
# A guest suite killed by an emulator fault (a spurious int3 under
# multi-threaded TCG, see scripts/vm-run.sh) before any of its tests failed
# is run again from the start, EMU_RETRIES (1) times, and the summary says
# so; any other crash, or a failure before the fault, fails.
# Full logs: $CACHE/logs/check-*.log
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

[ "${1:-}" != -h ] || { usage; exit 0; }
KERNELS=${*:-${KERNELS:-$ALL_KERNELS}}
LOGS=$CACHE/logs
# The guest suite bounds each test itself; under TCG on a busy host a full
# suite can take 20 minutes, so the whole-VM timeout is only a last resort.
export VM_TIMEOUT=${VM_TIMEOUT:-3600}
NATIVE_TIMEOUT=${NATIVE_TIMEOUT:-300}
EMU_RETRIES=${EMU_RETRIES:-1}
read -r -a TESTS <<<"${CHECK_TESTS:-}"
mkdir -p "$LOGS"
cd "$REPO"

# The only skips that do not fail the suite: "KERNEL TEST|reason".
ALLOWED_SKIPS=(
	"6.1 swap-mthp|no mTHP swap on 6.1"
)

N=0 PASSED=0 FAILED=0 SKIPPED=0
SKIPS=()

# tap ok|"not ok" NAME: print and count one TAP result.
tap() {
	N=$((N + 1))
	if [ "$1" = ok ]; then
		echo "ok $N - $2"
		PASSED=$((PASSED + 1))
	else
		echo "not ok $N - $2"
		FAILED=$((FAILED + 1))
	fi
}

# skip KERNEL TEST REASON: an allowed skip counts as skipped, any other
# as failed.
skip() {
	local a
	for a in "${ALLOWED_SKIPS[@]}"; do
		if [ "${a%%|*}" = "$1 $2" ]; then
			N=$((N + 1))
			echo "ok $N - [$1] $2 # SKIP $3"
			SKIPPED=$((SKIPPED + 1))
			SKIPS+=("[$1] $2: $3 (allowed: ${a#*|})")
			return
		fi
	done
	echo "# [$1] $2: unlisted skip ($3): only ALLOWED_SKIPS in scripts/check.sh may skip"
	tap "not ok" "[$1] $2 (unlisted skip: $3)"
}

# relay KERNEL: re-print the TAP results and diagnostics read from stdin
# and check the stream against its plan. Sets R_PLAN (sum of the plans, -1
# if none), R_GOT (results matching a plan), R_BAD (results out of order or
# beyond the plan), R_NOTOK (failed results), R_UNAME and R_DMESG (guest
# markers), R_LEAKS (the guest's kmemleak verdict). Runs in this shell (lastpipe) so that the counters survive.
shopt -s lastpipe
relay() {
	local k=$1 line res num name plan=-1 got=0
	R_PLAN=-1 R_PLANS=0 R_GOT=0 R_BAD=0 R_NOTOK=0 R_UNAME='' R_DMESG='' R_LEAKS='' R_NAMES=()
	while IFS= read -r line; do
		if [[ $line =~ ^1\.\.([0-9]+)$ ]]; then
			[ "$plan" -lt 0 ] || end_stream "$k" "$plan" "$got"
			plan=${BASH_REMATCH[1]} got=0
			R_PLANS=$((R_PLANS + 1))
			R_PLAN=$((R_PLAN < 0 ? plan : R_PLAN + plan))
		elif [[ $line =~ ^(not\ ok|ok)\ ([0-9]+)\ *-?\ *(.*)$ ]]; then
			res=${BASH_REMATCH[1]} num=${BASH_REMATCH[2]} name=${BASH_REMATCH[3]}
			if [ "$plan" -lt 0 ] || [ "$num" != $((got + 1)) ] || [ "$num" -gt "$plan" ]; then
				echo "# [$k] result '$line' is not result $((got + 1)) of plan 1..$plan"
				R_BAD=$((R_BAD + 1))
			else
				got=$num R_GOT=$((R_GOT + 1))
			fi
			[ "$res" = ok ] || R_NOTOK=$((R_NOTOK + 1))
			if [[ $name =~ ^(.*[^\ ])\ *#\ *[Ss][Kk][Ii][Pp]\ *(.*)$ ]]; then
				R_NAMES+=("${BASH_REMATCH[1]}")
				if [ "$res" = ok ]; then
					skip "$k" "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]:-no reason given}"
				else
					tap "not ok" "[$k] ${BASH_REMATCH[1]} (failed; marked SKIP ${BASH_REMATCH[2]})"
				fi
			else
				R_NAMES+=("$name")
				tap "$res" "[$k] $name"
			fi
		elif [[ $line =~ ^ts-uname:\ (.*)$ ]]; then
			R_UNAME=${BASH_REMATCH[1]}
		elif [[ $line =~ ^ts-dmesg:\ (.*)$ ]]; then
			R_DMESG=${BASH_REMATCH[1]}
		elif [[ $line =~ ^ts-kmemleak:\ (.*)$ ]]; then
			R_LEAKS=${BASH_REMATCH[1]}
		elif [[ $line == \#* ]]; then
			echo "$line"
		fi
	done
	[ "$plan" -lt 0 ] || end_stream "$k" "$plan" "$got"
}
end_stream() {
	[ "$3" = "$2" ] || echo "# [$1] plan 1..$2 but only $3 results: $(($2 - $3)) missing"
}

# plan_check KERNEL WHAT [EXPECTED-NAME...]: one result for the stream relay
# just read, which must hold PLANS (1) plans. With EXPECTED-NAMEs, the results must name exactly those, in
# that order (a deleted or renamed test cannot shrink the suite unseen).
plan_check() {
	local k=$1 what=$2
	shift 2
	if [ "$R_PLAN" -lt 0 ]; then
		tap "not ok" "[$k] $what: no TAP plan received"
	elif [ "$R_PLANS" != "${PLANS:-1}" ]; then
		tap "not ok" "[$k] $what: $R_PLANS plans in one stream, not ${PLANS:-1}"
	elif [ $# -gt 0 ] && [ "${R_NAMES[*]}" != "$*" ]; then
		tap "not ok" "[$k] $what: results are not the suite's $# tests"
		echo "# [$k] expected: $*"
		echo "# [$k] received: ${R_NAMES[*]}"
	elif [ "$R_PLAN" = 0 ]; then
		tap "not ok" "[$k] $what: empty plan 1..0"
	elif [ "$R_GOT" != "$R_PLAN" ] || [ "$R_BAD" != 0 ]; then
		tap "not ok" "[$k] $what: plan of $R_PLAN, $R_GOT results received ($((R_PLAN - R_GOT)) missing, $R_BAD out of plan)"
	else
		tap ok "[$k] $what: all $R_PLAN planned results received"
	fi
}

# exit_check KERNEL WHAT RC: a nonzero exit needs a failing test to explain
# it; a timeout (124, 137) or a hang/panic (vm-run's 125) is always a failure.
exit_check() {
	case $3 in
	0) [ "$R_NOTOK" = 0 ] || tap "not ok" "[$1] $2 exit 0 despite $R_NOTOK failed results" ;;
	124 | 137) tap "not ok" "[$1] $2 timed out (exit $3)" ;;
	125) tap "not ok" "[$1] $2 hang/panic (exit 125)" ;;
	*) [ "$R_NOTOK" -gt 0 ] || tap "not ok" "[$1] $2 exit $3 with no failed result" ;;
	esac
}

# log_tail FILE [N]: show the end of a log as TAP diagnostics.
log_tail() { tail -n "${2:-30}" "$1" | sed 's/^/# /'; }

# Run in the guest: the markers first (which kernel runs, that the command
# started), then the suite; a kernel WARN/BUG/oops left after it is a failure
# too (not a bare "Call Trace:": the OOM killer prints one when a test asks
# for it). Arguments: run.sh's test selection.
# shellcheck disable=SC2016 # expanded in the guest
GUEST_SUITE='echo "ts-uname: $(uname -r)"
leaks=/sys/kernel/debug/kmemleak
# kmemleak (debug kernels): objects left unreferenced before the suite do not
# count. An object is reported only by its second scan, 5 s after its birth:
# scan, wait, scan, then clear what was reported.
if [ -w $leaks ]; then echo scan > $leaks; sleep 6; echo scan > $leaks; echo clear > $leaks; fi
bash selftests/guest/run.sh "$@"; rc=$?
if [ -w $leaks ]; then
	# An object is reported once it has been unreferenced for 5 s. A scan
	# fails once kmemleak has turned itself off.
	if ! { echo scan > $leaks && sleep 6 && echo scan > $leaks; }; then
		echo "ts-kmemleak: not ok (scan failed: kmemleak is off)"
	elif grep -q unreferenced $leaks; then
		echo "ts-kmemleak: not ok"
		head -n 60 $leaks | sed "s/^/# /"
	else
		echo "ts-kmemleak: ok"
	fi
fi
# Only what no test may allow (the log_bad of run.sh also has messages that a
# test may allow, such as swap write errors): this scans the whole log.
bad="WARNING:|BUG:|Oops:|general protection fault|KASAN:|UBSAN:|possible circular locking|blocked for more than|rcu: INFO|unreferenced object|soft lockup|trying to register non-static key"
if dmesg | grep -qE "$bad"; then
	echo "ts-dmesg: not ok"
	dmesg | grep -E -A12 "$bad" | head -n 60 | sed "s/^/# /"
else
	echo "ts-dmesg: ok"
fi
exit $rc'

echo "TAP version 13"
[ ${#TESTS[@]} = 0 ] || echo "# CHECK_TESTS=${TESTS[*]}: development run of selected guest tests only, not the suite"
"$REPO/scripts/deps.sh"

# guest_tests S: the guest tests the full suite must report on kernel S, in
# order (selftests/guest/lib.sh's ts_suite_tests: tests/, and fault/ on a
# debug kernel); none for a CHECK_TESTS subset.
guest_tests() {
	local t
	[ ${#TESTS[@]} = 0 ] || return 0
	# shellcheck source=selftests/guest/lib.sh
	(. selftests/guest/lib.sh && ts_suite_tests "$1") | while read -r t; do
		t=${t##*/}
		t=${t%.sh}
		echo "${t#[0-9][0-9]-}"
	done
}

declare -A KDIRS KVER UNAME WALL COUNTS RETRIED
FETCHED=()
for S in $KERNELS; do
	log=$LOGS/check-$S-fetch.log
	# Resolved and pinned once: the module is built for the kernel booted,
	# and a rebuild of S-debug meanwhile removes neither.
	if "$REPO/scripts/fetch-kernel.sh" "$S" >"$log" 2>&1 &&
		KDIRS[$S]=$(kernel_dir "$S" 2>>"$log") && kernel_pin "${KDIRS[$S]}" 2>>"$log"; then
		KVER[$S]=$(cat "${KDIRS[$S]}/kver")
		echo "# [$S] kernel ${KVER[$S]}"
		FETCHED+=("$S")
	else
		tap "not ok" "[$S] fetch kernel"
		log_tail "$log"
		KVER[$S]="(not fetched)"
	fi
done

if make -C selftests >"$LOGS/check-selftests.log" 2>&1; then
	tap ok "[host] build selftests"
else
	tap "not ok" "[host] build selftests"
	log_tail "$LOGS/check-selftests.log"
fi

set +e
timeout -k 10 "$NATIVE_TIMEOUT" make -s -C selftests/native check 2>&1 |
	tee "$LOGS/check-native.log" | relay native
rc=${PIPESTATUS[0]}
set -e
# One plan per native test program.
PLANS=$(make -s -C selftests/native list | wc -w) plan_check native "native tests"
exit_check native "make -C selftests/native check" "$rc"

for S in "${FETCHED[@]}"; do
	start=$(date +%s)
	c0="$PASSED $FAILED $SKIPPED"
	log=$LOGS/check-$S.log
	if ! TIERSWAP_KERNEL_DIR=${KDIRS[$S]} "$REPO/scripts/build-module.sh" "$S" W=1 >"$log" 2>&1; then
		tap "not ok" "[$S] build"
		log_tail "$log"
	else
		tap ok "[$S] build"
		if grep -qi 'warning:' "$log"; then
			tap "not ok" "[$S] build W=1 no warnings"
			grep -i -A3 'warning:' "$log" | sed 's/^/# /'
		else
			tap ok "[$S] build W=1 no warnings"
		fi

		# Only the guest's output (stdout) is TAP: vm-run's stderr repeats
		# console lines when a boot fails, and must not be counted again.
		# The results are counted once the guest is done, so that a run
		# killed by an emulator fault (vm-run.sh's spurious_int3: the guest
		# trapped on code that no longer holds an int3) can be run again
		# from the start, EMU_RETRIES (1) times; the retry is reported.
		log=$LOGS/check-$S-guest.log
		try=0
		while :; do
			set +e
			TIERSWAP_KERNEL_DIR=${KDIRS[$S]} \
				"$REPO/scripts/vm-run.sh" "$S" -- bash -c "$GUEST_SUITE" check-suite "${TESTS[@]}" \
				>"$log" 2>"$log.vm-run"
			rc=$?
			set -e
			# Only a run in which nothing had failed yet is run again: a
			# failure before the fault stands.
			fault=''
			if [ "$rc" = 125 ] && [ "$try" -lt "$EMU_RETRIES" ] &&
				! grep -q '^not ok' "$log"; then
				fault=$(sed -n 's/.*\(emulator fault: .*\); last 60 console lines:$/\1/p' "$log.vm-run")
			fi
			[ -n "$fault" ] || break
			try=$((try + 1))
			cp "$log" "$log.fault$try"
			cp "$log.vm-run" "$log.vm-run.fault$try"
			echo "# [$S] guest suite died of an $fault; running it again (log: $log.fault$try)"
			RETRIED[$S]="reran once after an $fault"
		done
		relay "$S" <"$log"
		grep '\[vm-run.sh\]' "$log.vm-run" | tail -n 3 | sed 's/^/# /' || true
		echo "# [$S] guest uname -r: ${R_UNAME:-(none: the guest command never started)}"
		if [ -z "$R_UNAME" ]; then
			tap "not ok" "[$S] boot: guest command never started (vm-run exit $rc)"
			log_tail "$log.vm-run" 60
		elif [ "$R_UNAME" != "${KVER[$S]}" ]; then
			tap "not ok" "[$S] boot: guest runs $R_UNAME, not ${KVER[$S]}"
		else
			tap ok "[$S] boot ${KVER[$S]}"
		fi
		UNAME[$S]=${R_UNAME:-none}
		mapfile -t GUEST_TESTS < <(guest_tests "$S")
		plan_check "$S" "guest suite" "${GUEST_TESTS[@]}"
		exit_check "$S" "guest suite" "$rc"
		[ "$rc" != 125 ] || [ -z "$R_UNAME" ] || log_tail "$log.vm-run" 60
		case $R_DMESG in
		ok) tap ok "[$S] kernel log has no warnings after the suite" ;;
		*) tap "not ok" "[$S] kernel log has no warnings after the suite (${R_DMESG:-not checked})" ;;
		esac
		# A debug kernel has kmemleak: the suite must leave nothing behind.
		case $S:$R_LEAKS in
		*:ok) tap ok "[$S] kmemleak: nothing leaked after the suite" ;;
		*-debug:* | *:not\ ok*) tap "not ok" "[$S] kmemleak: nothing leaked after the suite (${R_LEAKS:-not checked})" ;;
		esac
	fi
	WALL[$S]=$(elapsed "$start")
	read -r p f s <<<"$c0"
	COUNTS[$S]="$((PASSED - p)) passed, $((FAILED - f)) failed, $((SKIPPED - s)) skipped"
	echo "# [$S] wall time: ${WALL[$S]} s"
done

echo "# summary:"
for S in $KERNELS; do
	echo "#   [$S] ${KVER[$S]} (guest uname -r: ${UNAME[$S]:-none}): ${COUNTS[$S]:-not run}, wall ${WALL[$S]:-0} s${RETRIED[$S]:+ (${RETRIED[$S]})}"
done
for s in "${SKIPS[@]}"; do
	echo "# allowed skip: $s"
done
echo "1..$N"
echo "$PASSED passed, $FAILED failed, $SKIPPED skipped"
[ "$FAILED" = 0 ] && [ "$PASSED" -gt 0 ]
