#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# usage: bench/guest.sh     (in the guest, started by scripts/bench.sh)
#
# Runs the same workloads on tierswap, zram and brd, one device at a time,
# BENCH_REPS times (device order rotated each repetition), and prints one
# "BENCH-JSON {...}" line per measurement:
#   fio on the raw device (bench/device.fio), then its mm_stat (fio's data),
#   swapbench (seq, rand, stride) and stress-ng --vm with the device as the
#   only swap, in a cgroup with memory.max below the working set.
# zswap must be off (written N and checked at the start: it would take the
# pages meant for the device).  Every measurement has cpu_s: the non-idle,
# non-iowait time of all CPUs (/proc/stat user nice system irq softirq
# steal) over the run.  mm_stat is read only once tierswap's offload_stat
# pending is 0 (at most DRAIN_S).
# Each part (fio, swap) of each device ends with a "health" line: the
# device's io_stat failed_reads and failed_writes, and the part's errors
# (fio or swapbench or stress-ng exiting non-zero, swapbench reading back
# wrong data, staging that never drained, a swap run that did not swap:
# pswpout below half of (SWAP_MB - SWAP_MAX_MB) MiB or pswpin 0).  A run
# that errored is kept, with "errored": "<why>"; the report marks it.
# Knobs (env): BENCH_REPS BENCH_DEVICES BENCH_ALGO BENCH_DEV_MB BENCH_FIO_RUNTIME
#   BENCH_FIO_JOBS BENCH_NUMJOBS BENCH_SWAP_MB BENCH_SWAP_MAX_MB BENCH_PATTERNS
#   BENCH_PASSES BENCH_VM_OPS BENCH_PARTS (fio swap)
#   BENCH_OFFLOAD BENCH_STAGING (tierswap's offload and staging_size; default: its defaults)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=selftests/guest/lib.sh disable=SC2119
. selftests/guest/lib.sh

REPS=${BENCH_REPS:-3}
read -r -a DEVICES <<<"${BENCH_DEVICES:-tierswap zram brd}"
ALGO=${BENCH_ALGO:-lz4}
DEV_MB=${BENCH_DEV_MB:-256}
FIO_RUNTIME=${BENCH_FIO_RUNTIME:-3}
FIO_JOBS=${BENCH_FIO_JOBS:-randread-4k seqread-64k randwrite-4k seqwrite-64k}
NUMJOBS=${BENCH_NUMJOBS:-1 2}
SWAP_MB=${BENCH_SWAP_MB:-64}
SWAP_MAX_MB=${BENCH_SWAP_MAX_MB:-$((SWAP_MB / 2))}
PATTERNS=${BENCH_PATTERNS:-seq rand stride}
PASSES=${BENCH_PASSES:-1}
VM_OPS=${BENCH_VM_OPS:-2}
PARTS=${BENCH_PARTS:-fio swap}
DRAIN_S=30
MARK=BENCH-JSON
OUT=/tmp/bench
KERNEL=${TIERSWAP_SERIES:-host}
SWAPBENCH=$PWD/bench/bin/swapbench
ZSWAP_ENABLED=/sys/module/zswap/parameters/enabled
mkdir -p "$OUT"

[ -x "$SWAPBENCH" ] || ts_fail "$SWAPBENCH missing: run 'make -C bench' on the host"
trap 'ts_cg_cleanup; dev_down || true' EXIT

# emit JSON-FIELDS: one result line, with the current device's identity.
emit() {
	echo "$MARK {\"kernel\": \"$KERNEL\", \"rep\": $REP, \"device\": \"$DEVNAME\"," \
		"\"algo\": \"$DEV_ALGO\", \"table_bytes\": $TABLE, \"staging_bytes\": $STAGING," \
		"\"fixed_bytes\": $FIXED, \"offload\": $OFFLOAD, \"part\": \"$PART\", $1}"
}

# part_error WHY: note an error of the current part (reported in its health line).
part_error() {
	echo "bench: ERROR: rep $REP $DEVNAME $PART: $1" >&2
	PART_ERRORS+=("$1")
}

# errored WHY: a part error, and ERR: the JSON field that marks the run
# errored (its reasons so far, joined by "; "; reset ERR and ERR_WHY per run).
errored() {
	part_error "$1"
	ERR_WHY=${ERR_WHY:+$ERR_WHY; }$1
	ERR=", \"errored\": \"$ERR_WHY\""
}

# swapped WHAT PSWPIN PSWPOUT: mark the run errored unless it swapped: at
# least half of the (SWAP_MB - SWAP_MAX_MB) MiB that do not fit in
# memory.max must have gone out (4 KiB pages) and something must have come
# back in.  A run that did not swap measured nothing.
swapped() {
	local want=$(((SWAP_MB - SWAP_MAX_MB) * 256 / 2))
	if [ "${3:-0}" -lt "$want" ] || [ "${2:-0}" -eq 0 ]; then
		errored "$1 did not swap: pswpin ${2:-none} pswpout ${3:-none} (want > 0 and >= $want)"
	fi
}

# json_num KEY JSON: the number after "KEY": in JSON, nothing if absent.
json_num() { sed -n "s/.*\"$1\": \([0-9][0-9]*\).*/\1/p" <<<"$2"; }

# cpu_ticks: busy jiffies of all CPUs (user nice system irq softirq steal).
cpu_ticks() { awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat; }
cpu_s() { awk -v t="$(getconf CLK_TCK)" -v d=$(($2 - $1)) 'BEGIN { printf "%.3f", d / t }'; }

# drain: wait until tierswap's staging is empty (nothing but tierswap has one).
drain() {
	[ -e "$SYSDIR/offload_stat" ] || return 0
	ts_wait_stat_le "${SYSDIR##*/}" offload_stat pending 0 "$DRAIN_S" >&2
}

# health: the part's closing line: io_stat failed_reads/failed_writes
# (tierswap: columns 3 and 4; zram: 1 and 2; brd has none) and its errors.
health() {
	local fr=null fw=null errs=""
	case $DEVNAME in
	tierswap)
		fr=$(ts_stat tierswap0 io_stat failed_reads)
		fw=$(ts_stat tierswap0 io_stat failed_writes)
		;;
	zram) read -r fr fw _ <"$SYSDIR/io_stat" ;;
	esac
	[ "$fr" = null ] || [ "$fr" -eq 0 ] || part_error "io_stat failed_reads $fr"
	[ "$fw" = null ] || [ "$fw" -eq 0 ] || part_error "io_stat failed_writes $fw"
	if [ ${#PART_ERRORS[@]} -gt 0 ]; then
		errs=$(printf '"%s", ' "${PART_ERRORS[@]}")
		errs=${errs%, }
	fi
	emit "\"workload\": \"health\", \"failed_reads\": $fr, \"failed_writes\": $fw, \"errors\": [$errs]"
}

# dev_up NAME: create the device (DEV_MB, algorithm ALGO), set DEVNAME DEVPATH
# SYSDIR DEV_ALGO, TABLE (tierswap's mem_used_total with nothing stored),
# STAGING (bytes of tierswap's staging memory), OFFLOAD (0/1) and FIXED:
# the growth of VmallocUsed over disksize, i.e. what initialising the device
# allocated before storing anything (slot table or zram's table, staging,
# per-CPU compression workspaces, worker stacks), measured the same way on
# both devices.
dev_up() {
	DEVNAME=$1 TABLE=0 DEV_ALGO=none SYSDIR='' STAGING=0 OFFLOAD=0 FIXED=0
	local v0
	sync
	echo 3 >/proc/sys/vm/drop_caches
	case $DEVNAME in
	tierswap)
		ts_load
		SYSDIR=/sys/block/tierswap0 DEVPATH=/dev/tierswap0 DEV_ALGO=uncompressed
		if [ -e $SYSDIR/comp_algorithm ]; then
			echo "$ALGO" >$SYSDIR/comp_algorithm
			DEV_ALGO=$ALGO
		fi
		[ -z "${BENCH_OFFLOAD:-}" ] || echo "$BENCH_OFFLOAD" >$SYSDIR/offload
		[ -z "${BENCH_STAGING:-}" ] || echo "$BENCH_STAGING" >$SYSDIR/staging_size
		v0=$(ts_meminfo_kb VmallocUsed)
		echo "${DEV_MB}M" >$SYSDIR/disksize
		FIXED=$((($(ts_meminfo_kb VmallocUsed) - v0) * 1024))
		TABLE=$(awk '{ print $3 }' $SYSDIR/mm_stat)
		if [ -e $SYSDIR/offload ]; then
			OFFLOAD=$(cat $SYSDIR/offload)
			STAGING=$(($(ts_stat tierswap0 offload_stat staging_pages) * 4096))
		fi
		;;
	zram)
		modprobe zram num_devices=1
		SYSDIR=/sys/block/zram0 DEVPATH=/dev/zram0
		modprobe -q "$ALGO" 2>/dev/null || true	# 6.1: crypto API module
		echo "$ALGO" >$SYSDIR/comp_algorithm
		grep -q "\[$ALGO\]" $SYSDIR/comp_algorithm || ts_fail "zram: $ALGO not selected"
		DEV_ALGO=$ALGO
		v0=$(ts_meminfo_kb VmallocUsed)
		echo "${DEV_MB}M" >$SYSDIR/disksize
		FIXED=$((($(ts_meminfo_kb VmallocUsed) - v0) * 1024))
		;;
	brd)
		modprobe brd rd_nr=1 rd_size=$((DEV_MB * 1024))
		DEVPATH=/dev/ram0
		;;
	esac
	ts_wait_path "$DEVPATH" 10 || ts_fail "$DEVPATH did not appear"
}

dev_down() {
	[ -n "${DEVNAME:-}" ] || return 0
	if grep -q "^$DEVPATH " /proc/swaps; then swapoff "$DEVPATH"; fi
	case $DEVNAME in
	tierswap) ts_unload ;;
	zram) echo 1 >$SYSDIR/reset && rmmod zram ;;
	brd) rmmod brd ;;
	esac
	DEVNAME=
}

mm_stat() { if [ -n "$SYSDIR" ]; then xargs <"$SYSDIR/mm_stat"; fi; }
# offload_stat: ', "offload_stat": "..."' for tierswap (counters since disksize), nothing otherwise.
offload_stat() {
	if [ -e "$SYSDIR/offload_stat" ]; then echo ", \"offload_stat\": \"$(xargs <"$SYSDIR/offload_stat")\""; fi
}

# run_fio OUTPUT CPULOG SECTION...: sections of bench/device.fio on DEVPATH,
# one fio run, in $OUT (fio writes <job>.prerun.txt there); bench/cpustamp
# appends each job's /proc/stat cpu lines to CPULOG.
run_fio() {
	local out=$1 cpulog=$2 repo=$PWD
	shift 2
	rm -f "$cpulog"
	(cd "$OUT" && DEV=$DEVPATH SIZE=${DEV_MB}M RUNTIME=$FIO_RUNTIME CPUSTAMP=$repo/bench/cpustamp \
		CPULOG=$cpulog fio "${@/#/--section=}" --output-format=json --output="$out" \
		"$repo/bench/device.fio" >/dev/null)
}

# fio_session: prefill, the FIO_JOBS x NUMJOBS jobs, in one fio run (its
# start costs ~4 s under TCG); then, once drained, mm_stat with the device
# full of fio data.
fio_session() {
	local job nj rc=0 sections=(prefill)
	for job in $FIO_JOBS; do
		for nj in $NUMJOBS; do sections+=("$job-j$nj"); done
	done
	run_fio "$OUT/fio.json" "$OUT/fio-cpu.log" "${sections[@]}" || rc=$?
	[ "$rc" -eq 0 ] || part_error "fio exit $rc"
	if ! bench/fio-summary.py "$MARK" "$KERNEL" "$REP" "$DEVNAME" "$DEV_ALGO" "$OUT/fio.json" \
		"$OUT/fio-cpu.log" | sed "s/^$MARK {/$MARK {\"part\": \"$PART\", /"; then
		part_error "no fio results"
	fi
	[ -n "$SYSDIR" ] || return 0
	ERR="" ERR_WHY=""
	drain || errored "staging not drained in $DRAIN_S s"
	emit "\"workload\": \"fio-data\", \"mm_stat\": \"$(mm_stat)\"$(offload_stat)$ERR"
}

since() { awk -v a="$1" -v b="${2:-$(date +%s.%N)}" 'BEGIN { printf "%.3f", b - a }'; }
vmstat_pair() { echo "$(ts_vmstat pswpin) $(ts_vmstat pswpout)"; }

# swap_session: the device as the only swap; swapbench per pattern, then
# stress-ng --vm, each in a fresh cgroup with memory.max=SWAP_MAX_MB.
# swapbench verifies every page it reads back and exits 1 on a mismatch (or
# when staging does not drain); it reads mm_stat itself after the drain,
# while its pages are still swapped out.
swap_session() {
	local cg pat res rc in0 out0 in1 out1 t0 t1 c0 c1 i=0 drainopt=()
	[ ! -e "$SYSDIR/offload_stat" ] ||
		drainopt=(--drain-stat "$SYSDIR/offload_stat" --drain-timeout "$DRAIN_S")
	mkswap "$DEVPATH" >/dev/null
	swapon "$DEVPATH"
	for pat in $PATTERNS; do
		cg=$(ts_cg_create "bench$i" "${SWAP_MAX_MB}M")
		i=$((i + 1))
		rc=0 ERR="" ERR_WHY=""
		res=$(ts_cg_run "$cg" "$SWAPBENCH" --size "$SWAP_MB" --pattern "$pat" \
			--passes "$PASSES" --seed "$REP" ${SYSDIR:+--mm-stat $SYSDIR/mm_stat} "${drainopt[@]}") || rc=$?
		rmdir "$cg"
		[ "$rc" -eq 0 ] || errored "swapbench --pattern $pat exit $rc"
		case $res in
		\{*\})
			swapped "swapbench --pattern $pat" "$(json_num pswpin "$res")" "$(json_num pswpout "$res")"
			res=${res#\{} res="${res%\}}$ERR"
			;;
		*)
			[ -n "$ERR" ] || errored "swapbench --pattern $pat printed no result"
			res="\"pattern\": \"$pat\"$ERR"
			;;
		esac
		emit "\"workload\": \"swap-$pat\", \"memory_max_mb\": $SWAP_MAX_MB, $res$(offload_stat)"
	done
	cg=$(ts_cg_create "bench$i" "${SWAP_MAX_MB}M")
	rc=0 ERR="" ERR_WHY=""
	read -r in0 out0 <<<"$(vmstat_pair)"
	c0=$(cpu_ticks)
	t0=$(date +%s.%N)
	ts_cg_run "$cg" stress-ng --temp-path /tmp --vm 1 --vm-bytes "${SWAP_MB}M" --vm-keep --vm-ops "$VM_OPS" \
		--verify --quiet >/dev/null || rc=$?
	t1=$(date +%s.%N)
	c1=$(cpu_ticks)
	read -r in1 out1 <<<"$(vmstat_pair)"
	rmdir "$cg"
	[ "$rc" -eq 0 ] || errored "stress-ng exit $rc"
	swapped stress-ng $((in1 - in0)) $((out1 - out0))
	emit "\"workload\": \"stress-ng-vm\", \"memory_max_mb\": $SWAP_MAX_MB, \"size_mb\": $SWAP_MB, \"vm_ops\": $VM_OPS, \"wall_s\": $(since "$t0" "$t1"), \"pswpin\": $((in1 - in0)), \"pswpout\": $((out1 - out0)), \"cpu_s\": $(cpu_s "$c0" "$c1")$(offload_stat)$ERR"
	swapoff "$DEVPATH"
}

# zswap_off: zswap would take the pages meant for the device under test
# (vm-run boots with zswap.enabled=0): turn it off, fail if it stays on.
zswap_off() {
	local now
	[ -e "$ZSWAP_ENABLED" ] || return 0
	echo N >"$ZSWAP_ENABLED" 2>/dev/null || true
	now=$(cat "$ZSWAP_ENABLED")
	[ "$now" = N ] || ts_fail "zswap is on: $ZSWAP_ENABLED reads '$now' after writing N"
}

zswap_off
ts_swapoff_all
echo "bench: kernel $(uname -r) ($KERNEL), reps $REPS, devices ${DEVICES[*]}, algo $ALGO," \
	"device ${DEV_MB} MiB, fio ${FIO_RUNTIME} s x {$FIO_JOBS} x numjobs {$NUMJOBS}," \
	"swap ${SWAP_MB} MiB in memory.max ${SWAP_MAX_MB}M {$PATTERNS} x $PASSES pass, vm-ops $VM_OPS"
for ((REP = 1; REP <= REPS; REP++)); do
	for ((d = 0; d < ${#DEVICES[@]}; d++)); do
		name=${DEVICES[(d + REP - 1) % ${#DEVICES[@]}]}
		for PART in $PARTS; do
			t0=$SECONDS
			PART_ERRORS=()
			dev_up "$name"
			"${PART}_session"
			health
			dev_down
			echo "bench: rep $REP $name $PART: $((SECONDS - t0)) s${PART_ERRORS[*]:+, ERRORS: ${PART_ERRORS[*]}}"
		done
	done
done
