#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Run the tierswap guest tests (tests/NN-*.sh, in order) and print TAP 13.
# usage: run.sh [SUBSTRING...]   only run tests whose file name contains one of them
# A test passes with exit 0, skips with exit 4 (reason: its last "SKIP:" line),
# fails otherwise or when it exceeds its time bound ("# timeout: SECONDS" line in
# the test, default TS_TEST_TIMEOUT=240). After every test the runner removes
# what it may have left (cgroups, probes, swap, the module); a test after which
# the module cannot be unloaded is reported as failed.
set -u
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=selftests/guest/lib.sh
. "$here/lib.sh"

select_tests() {
	local t pat
	for t in "$here"/tests/[0-9][0-9]-*.sh; do
		[ $# -eq 0 ] && { echo "$t"; continue; }
		for pat in "$@"; do
			case $(basename "$t") in *"$pat"*) echo "$t"; break ;; esac
		done
	done
}

test_timeout() {
	local t
	t=$(sed -n 's/^# timeout: *\([0-9][0-9]*\).*/\1/p' "$1" | head -n1)
	echo "${t:-${TS_TEST_TIMEOUT:-240}}"
}

# (no process substitution: the guest may have no /dev/fd)
mapfile -t tests <<< "$(select_tests "$@")"
[ -n "${tests[0]}" ] || { echo "run.sh: no tests selected by: $*" >&2; exit 1; }
echo "TAP version 13"
echo "1..${#tests[@]}"
echo "# kernel $(uname -r) series $TS_SERIES, module ${TIERSWAP_KO:-unset}"
out=$(mktemp /tmp/tsrun.XXXXXX.log)	# not /tmp/tierswap-*: ts_cleanup removes those
trap 'rm -f "$out"' EXIT
ts_cleanup > /dev/null 2>&1

n=0 failed=0
for t in "${tests[@]}"; do
	n=$((n + 1))
	name=$(basename "$t" .sh)
	name=${name#[0-9][0-9]-}
	limit=$(test_timeout "$t")
	start=$SECONDS
	timeout -k 10 "$limit" bash "$t" 2>&1 < /dev/null | tee "$out" | sed -u 's/^/# /'
	rc=${PIPESTATUS[0]}
	secs=$((SECONDS - start))
	if ! ts_cleanup > "$out.cleanup" 2>&1; then
		sed 's/^/# /' "$out.cleanup"
		echo "# module could not be unloaded after the test"
		[ "$rc" -eq 0 ] || [ "$rc" -eq 4 ] && rc=1
	fi
	echo "# $name: exit $rc after ${secs}s"
	case $rc in
	0)	echo "ok $n - $name" ;;
	4)	reason=$(sed -n 's/^SKIP: *//p' "$out" | tail -n1)
		echo "ok $n - $name # SKIP ${reason:-no reason given}" ;;
	124|137) echo "# timed out after ${limit}s"
		echo "not ok $n - $name"; failed=$((failed + 1)) ;;
	*)	echo "not ok $n - $name"; failed=$((failed + 1)) ;;
	esac
	rm -f "$out.cleanup"
done
[ "$failed" -eq 0 ]
