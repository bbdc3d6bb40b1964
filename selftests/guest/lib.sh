# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034,SC2013,SC2119,SC2120
# (variables here are used by the scripts that source this file)
# Helpers for the tierswap guest tests (sourced by run.sh, demo.sh and tests/*.sh).
# Conventions: plain output lines are diagnostics (run.sh prefixes them with "# "),
# ts_fail exits 1, ts_skip prints "SKIP: reason", records the reason in
# $TS_SKIP_FILE (set by run.sh for each test) and exits 4. run.sh reports a skip
# only when both hold: any other exit 4 (util-linux swapoff, for one, exits 4
# when swapoff(2) fails) is a failure.

# A failing dd in "dd | md5sum" must fail the step, not hash a short read.
set -o pipefail

TS_REPO=${REPO:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
TS_BIN=$TS_REPO/selftests/bin
TS_SERIES=${TIERSWAP_SERIES:-unknown}
TS_CGROOT=/sys/fs/cgroup
TS_CGPREFIX=tierswap-test-
TS_CONTROL=/sys/class/tierswap-control
TS_KPROBE_GROUP=tierswap_test
TS_RESTORE=/tmp/tierswap-restore	# "FILE VALUE" lines: sysfs knobs a test changed
export PATH="$PATH:/usr/sbin:/sbin"

# Column names of the one-line stat files (module ABI, see CONTRACT.md).
TS_COLS_io_stat="reads writes failed_reads failed_writes invalid_io notify_free discarded"
TS_COLS_mm_stat="orig_data_size compr_data_size mem_used_total mem_limit mem_used_max same_pages pages_compacted huge_pages huge_pages_since"
TS_COLS_cluster_stat="cluster_size clusters_total clusters_free clusters_partial clusters_full"
TS_COLS_debug_stat="deferred_frees pending_frees alloc_failures unwritten_reads limit_refusals"
TS_COLS_offload_stat="staged inline drained dropped pending staging_pages retries staged_reads"

ts_log()  { echo "$*"; }
# stderr, so that they also work inside $(...); run.sh merges both streams.
ts_fail() { echo "FAIL: $*" >&2; exit 1; }
ts_skip() {	# ts_skip REASON: a skip without a reason is a failure
	[[ "$*" =~ [^[:space:]] ]] || ts_fail "ts_skip without a reason"
	echo "SKIP: $*" >&2
	[ -z "${TS_SKIP_FILE:-}" ] || echo "$*" > "$TS_SKIP_FILE"
	exit 4
}

# ts_assert DESCRIPTION CMD... : run CMD, fail the test with DESCRIPTION if it fails.
ts_assert() {
	local what=$1
	shift
	if "$@"; then
		echo "ok: $what"
	else
		ts_fail "$what"
	fi
}

# ts_expect_eq WHAT GOT WANT / ts_expect_le WHAT A B / ts_expect_ge WHAT A B
ts_expect_eq() { [ "$2" = "$3" ] || ts_fail "$1: got '$2', want '$3'"; echo "ok: $1 = $2"; }
ts_expect_le() { [ "$2" -le "$3" ] || ts_fail "$1: $2 > $3"; echo "ok: $1: $2 <= $3"; }
ts_expect_ge() { [ "$2" -ge "$3" ] || ts_fail "$1: $2 < $3"; echo "ok: $1: $2 >= $3"; }

ts_need_bin() {
	local b
	for b in "$@"; do
		[ -x "$TS_BIN/$b" ] || ts_fail "$TS_BIN/$b missing: run 'make -C selftests' on the host"
	done
}

# ts_suite_tests SERIES: the suite's test files, in order: tests/NN-*.sh, and
# on a debug kernel (SERIES ends in -debug) then the fault-injection tests
# fault/NN-*.sh (the stock kernels have no fault injection).
ts_suite_tests() {
	local d=$TS_REPO/selftests/guest t
	for t in "$d"/tests/[0-9][0-9]-*.sh; do echo "$t"; done
	case $1 in
	*-debug) for t in "$d"/fault/[0-9][0-9]-*.sh; do echo "$t"; done ;;
	esac
}

# ---- module and devices -------------------------------------------------

# insmod does not resolve dependencies: load what modinfo says the module
# needs (zsmalloc and compressors that are modules on this kernel).
ts_load_deps() {
	local deps
	deps=$(modinfo -F depends "$TIERSWAP_KO" | tr ',' ' ')
	# shellcheck disable=SC2086 # one word per module
	[ -z "$deps" ] || modprobe -a $deps || ts_fail "modprobe $deps failed"
}

ts_load() {	# ts_load [module params...]
	[ -n "${TIERSWAP_KO:-}" ] || ts_fail "TIERSWAP_KO is not set"
	[ -f "$TIERSWAP_KO" ] || ts_fail "TIERSWAP_KO=$TIERSWAP_KO does not exist"
	ts_load_deps
	insmod "$TIERSWAP_KO" "$@" || ts_fail "insmod $TIERSWAP_KO $* failed"
	ts_wait_path /dev/tierswap0 10 || ts_fail "/dev/tierswap0 did not appear after insmod"
}

# Swap off every tierswap device, then unload the module. Returns non-zero
# if the module is still loaded afterwards.
ts_unload() {
	local dev
	for dev in $(awk '$1 ~ /^\/dev\/tierswap/ {print $1}' /proc/swaps); do
		swapoff "$dev" || echo "cleanup: swapoff $dev failed"
	done
	if grep -q '^tierswap ' /proc/modules; then
		rmmod tierswap || { echo "cleanup: rmmod tierswap failed"; return 1; }
	fi
	return 0
}

ts_wait_path() {	# ts_wait_path PATH SECONDS
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		[ -e "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

ts_disksize() {	# ts_disksize DEV SIZE
	echo "$2" > "/sys/block/$1/disksize" || ts_fail "setting $1 disksize to $2 failed"
}

ts_mkswap_on() {	# ts_mkswap_on DEV [swapon options...]
	local dev=$1
	shift
	mkswap "/dev/$dev" > /dev/null || ts_fail "mkswap /dev/$dev failed"
	swapon "$@" "/dev/$dev" || ts_fail "swapon $* /dev/$dev failed"
	grep -q "^/dev/$dev " /proc/swaps || ts_fail "/dev/$dev not in /proc/swaps after swapon"
}

# Make sure no swap other than tierswap is active (tests count on pswpin/out).
ts_swapoff_all() {
	swapoff -a || true
	local n
	n=$(awk 'NR > 1' /proc/swaps | wc -l)
	[ "$n" -eq 0 ] || ts_fail "swap still active after swapoff -a: $(cat /proc/swaps)"
}

# ---- stats --------------------------------------------------------------

# ts_stat DEV FILE COLUMN: one column of a tierswap stat file, by name. Fails
# (ts_fail) unless the file has that column and it is a non-negative integer.
# Inside $(...) ts_fail only ends the subshell, but its "FAIL:" line fails the
# test in run.sh.
ts_stat() {
	local cols line i=0 c v
	cols=TS_COLS_$2
	if [ "$2" = debug_stat ]; then
		line=$(sed -n 2p "/sys/block/$1/debug_stat") || line=
	else
		line=$(cat "/sys/block/$1/$2") || line=
	fi
	for c in ${!cols}; do
		i=$((i + 1))
		[ "$c" = "$3" ] || continue
		v=$(awk -v i="$i" '{ print $i }' <<< "$line")
		[[ "$v" =~ ^[0-9]+$ ]] ||
			ts_fail "ts_stat: $1/$2 column $i ($3) is '$v', not a count (line: '$line')"
		echo "$v"
		return 0
	done
	ts_fail "ts_stat: no column $3 in $2"
}

# ts_show_stats DEV [LABEL]: print every stat file with column names.
ts_show_stats() {
	local f cols line names vals i out
	for f in io_stat mm_stat cluster_stat debug_stat offload_stat; do
		[ -r "/sys/block/$1/$f" ] || continue
		cols=TS_COLS_$f
		if [ "$f" = debug_stat ]; then
			line=$(sed -n 2p "/sys/block/$1/$f")
		else
			line=$(cat "/sys/block/$1/$f")
		fi
		read -r -a names <<< "${!cols}"
		read -r -a vals <<< "$line"
		out=
		for ((i = 0; i < ${#names[@]} || i < ${#vals[@]}; i++)); do
			out+=" ${names[i]:-?}=${vals[i]:-?}"
		done
		echo "${2:+$2 }$1/$f:$out"
	done
}

# The kernel's nr_cpu_ids: one more than the highest possible CPU.
ts_nr_cpu_ids() { echo $(($(sed 's/.*[-,]//' /sys/devices/system/cpu/possible) + 1)); }

ts_vmstat() { awk -v k="$1" '$1 == k { print $2 }' /proc/vmstat; }
ts_meminfo_kb() { awk -v k="$1:" '$1 == k { print $2 }' /proc/meminfo; }

# ts_wait_stat_le DEV FILE COL LIMIT SECONDS: poll until COL <= LIMIT.
ts_wait_stat_le() {
	local i v
	for ((i = 0; i < $5 * 5; i++)); do
		v=$(ts_stat "$1" "$2" "$3")
		[ "$v" -le "$4" ] && return 0
		sleep 0.2
	done
	echo "$1/$2 $3 still $v after $5 s (want <= $4)"
	return 1
}

# ---- memory cgroups -----------------------------------------------------

# ts_cg_create NAME MEMORY_MAX: a child cgroup with memory.max, unlimited swap.
# Prints its path.
ts_cg_create() {
	local cg=$TS_CGROOT/$TS_CGPREFIX$1
	grep -qw memory "$TS_CGROOT/cgroup.controllers" || ts_fail "no memory controller in cgroup2"
	grep -qw memory "$TS_CGROOT/cgroup.subtree_control" ||
		echo +memory > "$TS_CGROOT/cgroup.subtree_control" || ts_fail "cannot enable memory controller"
	mkdir -p "$cg" || ts_fail "mkdir $cg"
	echo "$2" > "$cg/memory.max" || ts_fail "memory.max=$2"
	if [ -e "$cg/memory.swap.max" ]; then
		echo max > "$cg/memory.swap.max"
	fi
	echo "$cg"
}

# ts_cg_run CGROUP CMD...: run CMD inside CGROUP (foreground).
ts_cg_run() {
	local cg=$1
	shift
	bash -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$cg" "$@"
}

# Kill what is left in the test cgroups and remove them.
ts_cg_cleanup() {
	local cg i
	for cg in "$TS_CGROOT/$TS_CGPREFIX"*; do
		[ -d "$cg" ] || continue
		echo max > "$cg/memory.max" 2>/dev/null || true
		if [ -e "$cg/cgroup.kill" ]; then
			echo 1 > "$cg/cgroup.kill" 2>/dev/null || true
		else
			xargs -r kill -9 < "$cg/cgroup.procs" 2>/dev/null || true
		fi
		for ((i = 0; i < 50; i++)); do
			rmdir "$cg" 2>/dev/null && break
			sleep 0.1
		done
		[ -d "$cg" ] && echo "cleanup: cannot remove $cg"
	done
	return 0
}

# ---- tracefs kprobes ----------------------------------------------------

TS_TRACEFS=/sys/kernel/tracing

# ts_have_symbol NAME: print the kallsyms name to probe for function NAME: NAME
# itself, else a compiler clone (NAME.isra.0, NAME.constprop.0, ...) but never a
# split-off part (NAME.cold, NAME.part.0). Fails if absent (inlined).
ts_have_symbol() {
	awk -v n="$1" '
		$3 == n { exact = n }
		index($3, n ".") == 1 && $3 !~ /\.(cold|part)/ && !clone { clone = $3 }
		END { if (exact != "") print exact; else if (clone != "") print clone; else exit 1 }
	' /proc/kallsyms
}

ts_kprobe_add() {	# ts_kprobe_add EVENT 'p|r' SYMBOL [FETCHARGS]
	echo "$2:$TS_KPROBE_GROUP/$1 $3${4:+ $4}" >> "$TS_TRACEFS/kprobe_events" ||
		ts_fail "cannot add kprobe $1 on $3"
	echo 1 > "$TS_TRACEFS/events/$TS_KPROBE_GROUP/$1/enable"
}

ts_kprobe_hits() {	# ts_kprobe_hits EVENT: hit count since it was added
	awk -v e="$1" '$1 == e { print $2 }' "$TS_TRACEFS/kprobe_profile"
}

# ts_kprobe_missed: "EVENT N missed" for each of the test's probes that
# missed hits (a kretprobe out of instances, or a recursion), joined by ", ".
ts_kprobe_missed() {
	local e
	for e in "$TS_TRACEFS/events/$TS_KPROBE_GROUP"/*/; do
		e=${e%/} e=${e##*/}
		[ "$e" != '*' ] || continue
		awk -v e="$e" '$1 == e && $3 != 0 { print e, $3, "missed" }' "$TS_TRACEFS/kprobe_profile"
	done | paste -sd, - | sed 's/,/, /g'
}

ts_kprobe_cleanup() {
	[ -e "$TS_TRACEFS/kprobe_events" ] || return 0
	local trig t
	if [ -d "$TS_TRACEFS/events/$TS_KPROBE_GROUP" ]; then
		echo 0 > "$TS_TRACEFS/events/$TS_KPROBE_GROUP/enable" 2>/dev/null || true
		# An event with a trigger (hist) cannot be removed.
		for trig in "$TS_TRACEFS/events/$TS_KPROBE_GROUP"/*/trigger; do
			[ -e "$trig" ] || continue
			grep -v '^#' "$trig" | while read -r t _; do
				echo "!$t" >> "$trig" || true
			done || true
		done
	fi
	{ grep -E "^[pr][0-9]*:$TS_KPROBE_GROUP/" "$TS_TRACEFS/kprobe_events" 2>/dev/null || true; } |
		while read -r def _; do
			echo "-:${def#*:}" >> "$TS_TRACEFS/kprobe_events" || true
		done
	return 0
}

# ---- allocation-failure injection (debug kernels) ------------------------

TS_FAULT_DIR=/sys/kernel/debug
TS_FAULT_TIMES=1000000000	# "times" counts down once per injected failure

# ts_fault_need: this kernel must have failslab, fail_page_alloc with the
# stack-trace filter, and fail-nth (a debug kernel's fault tests fail, not
# skip, without them).
ts_fault_need() {
	local f
	for f in failslab/require-start fail_page_alloc/require-start; do
		[ -e "$TS_FAULT_DIR/$f" ] || ts_fail "no $TS_FAULT_DIR/$f: no fault injection with a stack filter"
	done
	[ -e /proc/thread-self/fail-nth ] || ts_fail "no /proc/thread-self/fail-nth"
}

# ts_fault_knob FILE VALUE: set a fault-injection knob; ts_cleanup puts back
# the value it had before the test first set it.
ts_fault_knob() {
	grep -q "^$1 " "$TS_RESTORE" 2>/dev/null || echo "$1 $(cat "$1")" >> "$TS_RESTORE"
	echo "$2" > "$1" || ts_fail "cannot set $1 to $2"
}

# ts_fault_set KNOB VALUE: set failslab/KNOB and fail_page_alloc/KNOB.
ts_fault_set() {
	ts_fault_knob "$TS_FAULT_DIR/failslab/$1" "$2"
	ts_fault_knob "$TS_FAULT_DIR/fail_page_alloc/$1" "$2"
}

# ts_fault_module_range: "START END" (decimal) of tierswap's code: the
# lowest text symbol, and one page past the end of the page holding the
# highest, whose function may run on into it (module text is its own
# page-aligned vmalloc area, followed by more of it or a guard page).
ts_fault_module_range() {
	awk '$4 == "[tierswap]" && $2 ~ /^[tT]$/ { print $1 }' /proc/kallsyms |
		python3 -c 'import sys; a = [int(x, 16) for x in sys.stdin.read().split()]
if not a or min(a) == 0: sys.exit(1)
print(min(a), (max(a) | 4095) + 1 + 4096)' || ts_fail "no tierswap text symbols in /proc/kallsyms"
}

# ts_fault_arm PROBABILITY TASKS GFP: from now on failslab and fail_page_alloc
# fail PROBABILITY % of the allocations made with tierswap's code on the
# stack (any order, highmem too); TASKS "task": only in tasks whose
# make-it-fail is 1, "all": in every task (workers too); GFP "all": sleeping
# allocations (GFP_NOIO, GFP_KERNEL) too, "nowait": only those that cannot
# sleep. Silent (verbose 0); ts_fault_injected counts the failures.
ts_fault_arm() {
	local range
	ts_fault_need
	range=$(ts_fault_module_range) || exit 1
	ts_fault_set probability 0
	ts_fault_set verbose 0
	ts_fault_set space 0
	ts_fault_set interval 1
	ts_fault_set stacktrace-depth 32
	ts_fault_set require-start "${range% *}"
	ts_fault_set require-end "${range#* }"
	ts_fault_set task-filter "$([ "$2" = task ] && echo Y || echo N)"
	ts_fault_set ignore-gfp-wait "$([ "$3" = all ] && echo N || echo Y)"
	ts_fault_knob "$TS_FAULT_DIR/fail_page_alloc/ignore-gfp-highmem" N
	ts_fault_knob "$TS_FAULT_DIR/fail_page_alloc/min-order" 0
	ts_fault_set times "$TS_FAULT_TIMES"
	ts_fault_set probability "$1"
	echo "fault injection: $1% of tierswap's allocations (code ${range% *}..${range#* }), tasks $2, gfp $3"
}

# ts_fault_disarm: no more failures (the knobs stay for ts_fault_injected).
ts_fault_disarm() {
	echo 0 > "$TS_FAULT_DIR/failslab/probability"
	echo 0 > "$TS_FAULT_DIR/fail_page_alloc/probability"
}

# ts_fault_injected: failures injected since ts_fault_arm (slab + page).
ts_fault_injected() {
	echo $((2 * TS_FAULT_TIMES - $(cat "$TS_FAULT_DIR/failslab/times") -
		$(cat "$TS_FAULT_DIR/fail_page_alloc/times")))
}

# ---- everything ---------------------------------------------------------

# Undo whatever a test may have left: processes, cgroups, probes, loop
# devices over /tmp/tierswap-*, swap, the module.
ts_cleanup() {
	local rc=0 loopdev file value
	if [ -f "$TS_RESTORE" ]; then
		while read -r file value; do
			echo "$value" > "$file" || echo "cleanup: cannot restore $file to $value"
		done < "$TS_RESTORE"
	fi
	ts_cg_cleanup
	ts_kprobe_cleanup
	for loopdev in $(awk '$1 ~ /^\/dev\/loop/ {print $1}' /proc/swaps); do
		swapoff "$loopdev" || true
	done
	losetup -a 2>/dev/null | awk -F: '/\/tmp\/tierswap-/ {print $1}' | xargs -r -n1 losetup -d 2>/dev/null || true
	ts_unload || rc=1
	rm -rf /tmp/tierswap-* 2>/dev/null || true
	return $rc
}

# ---- swap scenario scaffolding ------------------------------------------

# ts_swap_begin DISKSIZE [swapon options...]: tierswap0 as the only swap,
# compressing with $TS_COMP (and $TS_COMP_PARAMS) if set, the default if not,
# with offload $TS_OFFLOAD (0 or 1) and staging $TS_STAGING if set.
# Records TS_BASE_ORIG / TS_BASE_USED / TS_BASE_CLFREE (the state with only
# mkswap's header page written) for ts_swap_end.
ts_swap_begin() {
	local size=$1
	shift
	ts_swapoff_all
	grep -q '^tierswap ' /proc/modules || ts_load
	if [ -n "${TS_COMP:-}" ]; then
		echo "$TS_COMP" > /sys/block/tierswap0/comp_algorithm ||
			ts_fail "comp_algorithm $TS_COMP refused"
	fi
	if [ -n "${TS_COMP_PARAMS:-}" ]; then
		echo "$TS_COMP_PARAMS" > /sys/block/tierswap0/algorithm_params ||
			ts_fail "algorithm_params $TS_COMP_PARAMS refused"
	fi
	if [ -n "${TS_OFFLOAD:-}" ]; then
		echo "$TS_OFFLOAD" > /sys/block/tierswap0/offload || ts_fail "offload $TS_OFFLOAD refused"
	fi
	if [ -n "${TS_STAGING:-}" ]; then
		echo "$TS_STAGING" > /sys/block/tierswap0/staging_size ||
			ts_fail "staging_size $TS_STAGING refused"
	fi
	ts_disksize tierswap0 "$size"
	ts_mkswap_on tierswap0 "$@"
	ts_expect_eq "active swap devices" "$(awk 'NR > 1' /proc/swaps | wc -l)" 1
	TS_BASE_ORIG=$(ts_stat tierswap0 mm_stat orig_data_size)
	TS_BASE_USED=$(ts_stat tierswap0 mm_stat mem_used_total)
	TS_BASE_CLFREE=$(ts_stat tierswap0 cluster_stat clusters_free)
	# mkswap writes one 4 KiB header page (slot 0); nothing else is stored.
	ts_expect_le "stored bytes after mkswap+swapon" "$TS_BASE_ORIG" 4096
	ts_show_stats tierswap0 "after swapon:"
}

# ts_io_begin / ts_io_check: device I/O counted by io_stat must match the
# kernel's pswpin/pswpout (tierswap is the only swap and nothing else does I/O
# on it). Both count 4 KiB pages. Slack: 5% + 64 pages, for I/O the kernel
# counts at submission (6.1 bio fallback) and per-CPU counter fuzz.
ts_io_begin() {
	TS_IO_IN=$(ts_vmstat pswpin)
	TS_IO_OUT=$(ts_vmstat pswpout)
	TS_IO_RD=$(ts_stat tierswap0 io_stat reads)
	TS_IO_WR=$(ts_stat tierswap0 io_stat writes)
	TS_IO_THP=$(ts_vmstat thp_swpout)
	TS_IO_THPF=$(ts_vmstat thp_swpout_fallback)
}
ts_io_check() {
	local din dout drd dwr
	din=$(($(ts_vmstat pswpin) - TS_IO_IN))
	dout=$(($(ts_vmstat pswpout) - TS_IO_OUT))
	drd=$(($(ts_stat tierswap0 io_stat reads) - TS_IO_RD))
	dwr=$(($(ts_stat tierswap0 io_stat writes) - TS_IO_WR))
	echo "pswpin +$din pswpout +$dout; io_stat reads +$drd writes +$dwr;" \
		"thp_swpout +$(($(ts_vmstat thp_swpout) - TS_IO_THP))" \
		"thp_swpout_fallback +$(($(ts_vmstat thp_swpout_fallback) - TS_IO_THPF))"
	ts_expect_ge "pswpout delta" "$dout" 1
	ts_expect_ge "pswpin delta" "$din" 1
	ts_approx "io_stat writes vs pswpout" "$dwr" "$dout"
	ts_approx "io_stat reads vs pswpin" "$drd" "$din"
}
ts_approx() {	# ts_approx WHAT GOT WANT: |GOT-WANT| <= WANT/20 + 64
	local d=$(($2 - $3))
	[ "$d" -lt 0 ] && d=$((-d))
	[ "$d" -le $(($3 / 20 + 64)) ] || ts_fail "$1: $2 vs $3 (differ by $d)"
	echo "ok: $1: $2 ~ $3"
}

# ts_wait_freed SECONDS: after the swapping processes exited, stored data drops
# to (nearly) the header. Slack 2 MiB: 6.1/6.12 hand freed slots to the device in
# per-CPU batches of 64, and swap-cache pages the exit could not lock keep their
# slot until reclaim.
ts_wait_freed() {
	ts_wait_stat_le tierswap0 mm_stat orig_data_size $((TS_BASE_ORIG + (2 << 20))) "$1" ||
		ts_fail "stored data not freed after the processes exited"
	echo "ok: stored data back to $(ts_stat tierswap0 mm_stat orig_data_size) bytes"
}

# ts_swap_end: swapoff reads everything back and frees every slot, so what is
# stored is again exactly mkswap's header page and no cluster is left in use.
ts_swap_end() {
	swapoff /dev/tierswap0 || ts_fail "swapoff /dev/tierswap0 failed"
	ts_show_stats tierswap0 "after swapoff:"
	ts_expect_eq "stored bytes after swapoff (header only)" \
		"$(ts_stat tierswap0 mm_stat orig_data_size)" "$TS_BASE_ORIG"
	ts_expect_eq "clusters_free after swapoff" \
		"$(ts_stat tierswap0 cluster_stat clusters_free)" "$TS_BASE_CLFREE"
	ts_expect_le "mem_used_total after swapoff (bytes)" \
		"$(ts_stat tierswap0 mm_stat mem_used_total)" $((TS_BASE_USED + (1 << 20)))
	ts_offload_settled tierswap0
}

# ts_offload_settled DEV: once workers are done, every staged page was either
# compressed (drained) or freed before it was (dropped); nothing is pending.
ts_offload_settled() {
	local staged drained dropped
	ts_wait_stat_le "$1" offload_stat pending 0 30 || ts_fail "staged pages never drained"
	staged=$(ts_stat "$1" offload_stat staged)
	drained=$(ts_stat "$1" offload_stat drained)
	dropped=$(ts_stat "$1" offload_stat dropped)
	ts_expect_eq "$1 staged = drained + dropped" "$staged" $((drained + dropped))
}

# ts_seed: a fresh pattern seed for swaptest, so that no run can pass by reading
# back what an earlier run with the same seed left behind.
ts_seed() { echo $(((RANDOM << 15 | RANDOM) + 2)); }

# ts_only_tierswap0: tierswap0 is the only active swap device.
ts_only_tierswap0() {
	grep -q '^/dev/tierswap0 ' /proc/swaps && [ "$(awk 'NR > 1' /proc/swaps | wc -l)" -eq 1 ]
}

# ts_swaptest_in_cg NAME MEMORY_MAX SWAPTEST_ARGS...: run swaptest in a fresh
# cgroup, with a fresh --seed unless one is given. When tierswap0 is the only
# swap, its io_stat writes must have grown by at least the number of
# (page, generation)s swaptest verified after finding them on swap
# (swapped_verified): the verified data went through tierswap0.
ts_swaptest_in_cg() {
	local cg name=$1 max=$2 rc=0 log seed=() wr0='' sv dwr
	shift 2
	[[ " $* " == *" --seed "* ]] || seed=(--seed "$(ts_seed)")
	log=/tmp/tierswap-swaptest-$name.log
	cg=$(ts_cg_create "$name" "$max")
	! ts_only_tierswap0 || wr0=$(ts_stat tierswap0 io_stat writes)
	ts_cg_run "$cg" "$TS_BIN/swaptest" "${seed[@]}" "$@" 2>&1 | tee "$log" || rc=$?
	echo "$name: memory.events: $(tr '\n' ' ' < "$cg/memory.events")"
	rmdir "$cg" 2>/dev/null || true
	[ "$rc" -eq 0 ] || ts_fail "swaptest ${seed[*]} $* in memory.max=$max exited $rc"
	echo "ok: swaptest ${seed[*]} $* in memory.max=$max"
	[ -n "$wr0" ] || return 0
	sv=$(sed -n 's/^\(.*: \)\{0,1\}swapped_verified=//p' "$log" | sort -n | tail -n1)
	[ -n "$sv" ] || ts_fail "swaptest printed no swapped_verified count"
	dwr=$(($(ts_stat tierswap0 io_stat writes) - wr0))
	ts_expect_ge "tierswap0 io_stat writes delta vs pages verified from swap" "$dwr" "$sv"
}

# ts_swaptest_corrupt NAME MEMORY_MAX ROUND SWAPTEST_ARGS...: the checker must
# catch a flipped byte: swaptest --corrupt IDX (random IDX, fresh seed) exits 1
# and its MISMATCH report names the page it announced and the generation that
# page has. ROUND 0 flips before the first verification (page IDX; with --fork
# in the child, whose view of IDX is generation 2 if IDX % 3 == 2, else 0);
# ROUND R >= 1 passes --corrupt-round R (SWAPTEST_ARGS need --rounds >= R): a
# page round R rewrote, at generation 3 + R (swaptest's GEN_ROUND0 + R).
# swaptest's output is expected to say FAIL: it is shown prefixed "swaptest: ".
ts_swaptest_corrupt() {
	local cg name=$1 max=$2 round=$3 rc=0 log seed idx=$((RANDOM % 1000)) what
	local ann page g want_g fork=0 rargs=()
	shift 3
	seed=$(ts_seed)
	[ "$round" -eq 0 ] || rargs=(--corrupt-round "$round")
	[[ " $* " != *" --fork "* ]] || fork=1
	what="swaptest --seed $seed --corrupt $idx${rargs[*]:+ ${rargs[*]}} $*"
	log=/tmp/tierswap-swaptest-$name.log
	cg=$(ts_cg_create "$name" "$max")
	ts_cg_run "$cg" "$TS_BIN/swaptest" --seed "$seed" --corrupt "$idx" "${rargs[@]}" "$@" \
		> "$log" 2>&1 || rc=$?
	sed 's/^/swaptest: /' "$log"
	rmdir "$cg" 2>/dev/null || true
	ts_expect_eq "exit code of $what" "$rc" 1
	ann=$(sed -n 's/^\(child: \)\{0,1\}corrupt: page \([0-9]*\) gen \([0-9]*\) round '"$round"'$/\2 \3/p' "$log")
	[[ -n "$ann" && "$ann" != *$'\n'* ]] ||
		ts_fail "$what: no single 'corrupt: page P gen G round $round' line"
	read -r page g <<< "$ann"
	if [ "$round" -eq 0 ]; then
		want_g=0
		[ "$fork" -eq 0 ] || [ $((idx % 3)) -ne 2 ] || want_g=2
		ts_expect_eq "page corrupted by $what" "$page" "$idx"
	else
		want_g=$((3 + round))	# only round R's rewrite sets it
	fi
	ts_expect_eq "generation of the page corrupted by $what" "$g" "$want_g"
	grep -q "^\(child: \)\{0,1\}MISMATCH page $page (gen $g," "$log" ||
		ts_fail "$what did not report page $page gen $g as mismatching"
	echo "ok: swaptest caught the byte flipped in page $page at generation $g (round $round)"
}
