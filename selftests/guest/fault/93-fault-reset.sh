#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Claim: reset and rmmod while the offload workers retry after ENOMEM (10 % of
# tierswap's allocations fail in every task, zstd level 22 keeps the workers
# busy) never start a worker after the flush, use no freed memory (KASAN) and
# leak nothing (kmemleak after the test). The device works again afterwards.
# Rounds alternate reset and rmmod for TS_RACE_SECS.
#
# The race (c2e45fd): while ts_stage_flush() waits for one worker, another's
# drain fails and arms the retry, which would start a worker already
# flushed. That needs two workers (one per online CPU but one), so 3 CPUs
# (make check-debug boots 3). faultio burst resets or unloads right after
# its writes, so that the flush meets a full queue. Kprobes show, per round,
# that the flush ran and returned with no event lost, that no worker ran
# after it, and whether a drain failed inside it at least the retry delay
# (HZ/50) before it returned: then a retry armed there would have run
# inside the flush, i.e. the race was on. At least one round must be so.
# The trace is read once reset or rmmod has returned: a reset has then
# destroyed the workqueue, and a module's probes go with it at rmmod, so
# after an rmmod's flush only KASAN (a late worker on freed memory) sees.
# timeout: 1200
set -eu
# shellcheck source=selftests/guest/lib.sh
. "$(dirname "$0")/../lib.sh"
ts_need_bin faultio
ts_fault_need
D=/sys/block/tierswap0
dev=/dev/tierswap0
secs=${TS_RACE_SECS:-60}
cpus=$(getconf _NPROCESSORS_ONLN)
[ "$cpus" -ge 3 ] || ts_fail "$cpus CPUs: the race needs two offload workers, i.e. 3 CPUs (VM_SMP=3)"

setup() {
	echo zstd > $D/comp_algorithm
	echo level=22 > $D/algorithm_params
	echo 1 > $D/offload
	# Room for a full queue in the writer's own CPU pool (1/nr_cpu_ids each).
	echo 4M > $D/staging_size
	ts_disksize tierswap0 64M
}

# Once: module probes (tierswap:SYM) are armed again by each insmod.
probes() {
	ts_kprobe_add ts_flush_in p tierswap:ts_stage_flush
	ts_kprobe_add ts_flush_out r tierswap:ts_stage_flush
	# shellcheck disable=SC2016 # a kprobe fetch-arg, not a shell variable
	ts_kprobe_add ts_drain r tierswap:ts_store_drain 'ret=$retval:s32'
	ts_kprobe_add ts_work p tierswap:ts_stage_work
	ts_kprobe_add ts_work_out r tierswap:ts_stage_work
	ts_kprobe_add ts_later p tierswap:ts_stage_later
}

# "FLUSHES RETURNED FAILED OPEN LATER WORKER_EVENTS_AFTER LOST" of the first
# flush (ts_dev_free_storage's, before the slot table goes; the second,
# ts_stage_destroy's on an idle staging area, may be inlined): whether it
# returned; drains that failed in it; 1 if the first failed 0.02 s or more
# before it returned; retries run in it; worker entries and returns after
# it, and retries (ts_later) run after it; events overwritten in the buffer.
traced() {
	awk '/^# entries-in-buffer\/entries-written:/ { split($3, n, "/"); lost = n[2] - n[1] }
	     /^#/ { next }
	     { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+\.[0-9]+:$/) { t = $i + 0; break } }
	     / ts_flush_in:/ && !flushes++ { in_flush = 1 }
	     / ts_flush_out:/ && in_flush { in_flush = 0; after = 1; open = fail_t && t - fail_t >= 0.02 }
	     / ts_drain:/ && in_flush && !/ret=0$/ { failed++; if (!fail_t) fail_t = t }
	     / ts_later:/ && in_flush { later++ }
	     / ts_(work(_out)?|later):/ && after { work++ }
	     END { print flushes + 0, after + 0, failed + 0, open + 0, later + 0, work + 0, lost + 0 }' \
		"$TS_TRACEFS/trace"
}

# Events of several CPUs are compared in time: one clock for all of them.
clock=$(sed 's/.*\[\(.*\)\].*/\1/' "$TS_TRACEFS/trace_clock")
echo "$TS_TRACEFS/trace_clock $clock" >> "$TS_RESTORE"
echo global > "$TS_TRACEFS/trace_clock" || ts_fail "cannot set trace_clock to global"

ts_load
probes
end=$((SECONDS + secs)) round=0 queued=0 raced=0
while [ $SECONDS -lt $end ] || [ $round -lt 6 ]; do
	round=$((round + 1))
	what=reset
	[ $((round % 2)) = 1 ] || what=rmmod
	setup
	echo > "$TS_TRACEFS/trace"
	ts_fault_arm 10 all all > /dev/null
	# The queue holds 64 pages per worker (stage.c max_queued): twice that,
	# the rest compressed inline, keeps it full until the writes end.
	out=$("$TS_BIN/faultio" burst $dev $((128 * (cpus - 1))) "$(ts_seed)" $what) ||
		ts_fail "round $round: $out"
	ts_fault_disarm
	read -r flushes returned failed open later work lost <<< "$(traced)"
	echo "round $round: $out, $(ts_fault_injected) failures injected;" \
		"in the flush: $failed failed drains (window open: $open), $later retries run;" \
		"$work worker starts, ends or retries after it"
	missed=$(ts_kprobe_missed)
	p=${out#*pending=} p=${p%% *}
	[[ $p =~ ^[0-9]+$ ]] || ts_fail "round $round: no pending count in '$out'"
	[ "$flushes" -ge 1 ] || ts_fail "round $round: no flush traced"
	[ "$returned" = 1 ] || ts_fail "round $round: the flush's return was not traced"
	[ "$lost" = 0 ] || ts_fail "round $round: $lost trace events lost"
	[ -z "$missed" ] || ts_fail "round $round: probes missed hits: $missed"
	[ "$work" = 0 ] || ts_fail "round $round: a worker ran after the flush returned ($work starts, ends or retries)"
	[ "$p" -eq 0 ] || queued=$((queued + 1))
	[ "$open" = 0 ] || raced=$((raced + 1))
	[ $what = reset ] || ts_load
done
ts_expect_ge "rounds whose reset or rmmod met staged pages (of $round)" "$queued" $(((round + 1) / 2))
ts_expect_ge "rounds in which a drain failed 0.02 s or more before the flush returned (of $round)" "$raced" 1
ts_kprobe_cleanup
setup
seed=$(ts_seed)
"$TS_BIN/faultio" write $dev 0 256 "$seed" /tmp/tierswap-map > /dev/null || ts_fail "writes failed after the rounds"
"$TS_BIN/faultio" verify $dev 0 256 "$seed" /tmp/tierswap-map || ts_fail "data read back wrong after the rounds"
