#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# usage: scripts/check.sh [S...]     (default: $KERNELS or "6.1 6.12 7.2")
#
# The whole test suite (`make check`): host deps, native unit tests, then per
# kernel S: fetch, build the module with W=1, boot S and run the guest suite
# selftests/guest/run.sh. Prints every TAP result, renumbered and prefixed
# with its kernel, e.g. `ok 7 - [6.12] swap-integrity-fork`, and ends with
# exactly one line `N passed, N failed, N skipped`.
# Exits 0 iff nothing failed and at least one test passed.
# Full logs: $CACHE/logs/check-*.log
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ "${1:-}" != -h ] || { usage; exit 0; }
KERNELS=${*:-${KERNELS:-$ALL_KERNELS}}
LOGS=$CACHE/logs
# The guest suite bounds each test itself; under TCG on a busy host a full
# suite can take 20 minutes, so the whole-VM timeout is only a last resort.
export VM_TIMEOUT=${VM_TIMEOUT:-3600}
mkdir -p "$LOGS"
cd "$REPO"

N=0 PASSED=0 FAILED=0 SKIPPED=0
SKIPS=()

# tap ok|"not ok" NAME [SKIP-REASON]: print and count one TAP result.
tap() {
	N=$((N + 1))
	if [ $# -ge 3 ]; then
		echo "$1 $N - $2 # SKIP $3"
		SKIPPED=$((SKIPPED + 1))
		SKIPS+=("$2: $3")
	elif [ "$1" = ok ]; then
		echo "ok $N - $2"
		PASSED=$((PASSED + 1))
	else
		echo "not ok $N - $2"
		FAILED=$((FAILED + 1))
	fi
}

# relay PREFIX: re-print the TAP results and diagnostics read from stdin.
# Returns 1 if there were no results. Runs in this shell (lastpipe) so that
# tap() keeps counting.
shopt -s lastpipe
relay() {
	local line res name found=1
	while IFS= read -r line; do
		if [[ $line =~ ^(not\ ok|ok)\ [0-9]+\ *-?\ *(.*)$ ]]; then
			res=${BASH_REMATCH[1]}
			name=${BASH_REMATCH[2]}
			if [[ $name =~ ^(.*[^\ ])\ *#\ *[Ss][Kk][Ii][Pp]\ *(.*)$ ]]; then
				tap "$res" "$1 ${BASH_REMATCH[1]}" "${BASH_REMATCH[2]:-no reason given}"
			else
				tap "$res" "$1 $name"
			fi
			found=0
		elif [[ $line == \#* ]]; then
			echo "$line"
		fi
	done
	return $found
}

# log_tail FILE: show the end of a log as TAP diagnostics.
log_tail() { tail -n "${2:-30}" "$1" | sed 's/^/# /'; }

# Run in the guest after the suite: a kernel WARN/BUG/oops is a failure too
# (not a bare "Call Trace:": the OOM killer prints one when a test asks for it).
# shellcheck disable=SC2016 # expanded in the guest
GUEST_SUITE='bash selftests/guest/run.sh; rc=$?
bad="WARNING:|BUG:|Oops:|general protection fault"
if dmesg | grep -qE "$bad"; then
	echo "not ok 1 - kernel log has no warnings"
	dmesg | grep -E -A12 "$bad" | head -n 60 | sed "s/^/# /"
else
	echo "ok 1 - kernel log has no warnings"
fi
exit $rc'

echo "TAP version 13"
"$REPO/scripts/deps.sh"

if [ -f selftests/Makefile ]; then
	if make -C selftests >"$LOGS/check-selftests.log" 2>&1; then
		tap ok "[host] build selftests"
	else
		tap "not ok" "[host] build selftests"
		log_tail "$LOGS/check-selftests.log"
	fi
fi

if [ -f selftests/native/Makefile ]; then
	set +e
	make -s -C selftests/native check 2>&1 | tee "$LOGS/check-native.log" | relay "[native]"
	found=${PIPESTATUS[2]}
	set -e
	if [ "$found" != 0 ]; then
		tap "not ok" "[native] make check produced no TAP results"
		log_tail "$LOGS/check-native.log"
	fi
fi

for S in $KERNELS; do
	start=$(date +%s)
	log=$LOGS/check-$S.log
	if ! "$REPO/scripts/fetch-kernel.sh" "$S" >"$log" 2>&1; then
		tap "not ok" "[$S] fetch kernel"
		log_tail "$log"
		continue
	fi
	if ! "$REPO/scripts/build-module.sh" "$S" W=1 >"$log" 2>&1; then
		tap "not ok" "[$S] build"
		log_tail "$log"
		continue
	fi
	tap ok "[$S] build"
	if grep -qi 'warning:' "$log"; then
		tap "not ok" "[$S] build W=1 no warnings"
		grep -i -A3 'warning:' "$log" | sed 's/^/# /'
	else
		tap ok "[$S] build W=1 no warnings"
	fi

	log=$LOGS/check-$S-guest.log
	[ -f selftests/guest/run.sh ] || tap "not ok" "[$S] selftests/guest/run.sh exists"
	set +e
	"$REPO/scripts/vm-run.sh" "$S" -- bash -c "$GUEST_SUITE" 2>&1 | tee "$log" | relay "[$S]"
	rc=${PIPESTATUS[0]}
	set -e
	if [ "$rc" = 125 ]; then
		tap "not ok" "[$S] guest suite (hang/panic)"
		log_tail "$log" 60
	else
		tap ok "[$S] boot"
	fi
	echo "# [$S] wall time: $(elapsed "$start") s"
done

for s in "${SKIPS[@]}"; do
	echo "# skipped: $s"
done
echo "1..$N"
echo "$PASSED passed, $FAILED failed, $SKIPPED skipped"
[ "$FAILED" = 0 ] && [ "$PASSED" -gt 0 ]
