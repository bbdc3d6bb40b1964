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
MARK=BENCH-JSON
OUT=/tmp/bench
KERNEL=${TIERSWAP_SERIES:-host}
SWAPBENCH=$PWD/bench/bin/swapbench
mkdir -p "$OUT"

[ -x "$SWAPBENCH" ] || ts_fail "$SWAPBENCH missing: run 'make -C bench' on the host"
trap 'ts_cg_cleanup; dev_down || true' EXIT

# emit JSON-FIELDS: one result line, with the current device's identity.
emit() {
	echo "$MARK {\"kernel\": \"$KERNEL\", \"rep\": $REP, \"device\": \"$DEVNAME\"," \
		"\"algo\": \"$DEV_ALGO\", \"table_bytes\": $TABLE, \"staging_bytes\": $STAGING," \
		"\"fixed_bytes\": $FIXED, \"offload\": $OFFLOAD, $1}"
}

# dev_up NAME: create the device (DEV_MB, algorithm ALGO), set DEVNAME DEVPATH
# SYSDIR DEV_ALGO, TABLE (tierswap's mem_used_total with nothing stored),
# STAGING (bytes of tierswap's staging memory), OFFLOAD (0/1) and FIXED:
# the growth of VmallocUsed over disksize, i.e. what initialising the device
# allocated before storing anything (slot table or zram's table, staging,
# per-CPU compression workspaces, worker stacks), measured the same way on
# both devices.
dev_up() {
	DEVNAME=$1 TABLE=0 DEV_ALGO=none SYSDIR= STAGING=0 OFFLOAD=0 FIXED=0
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
# offload_stat: ', "offload_stat": "..."' for tierswap, nothing otherwise.
offload_stat() {
	if [ -e "$SYSDIR/offload_stat" ]; then echo ", \"offload_stat\": \"$(xargs <"$SYSDIR/offload_stat")\""; fi
}

# run_fio OUTPUT SECTION...: sections of bench/device.fio on DEVPATH, one fio run.
run_fio() {
	local out=$1
	shift
	DEV=$DEVPATH SIZE=${DEV_MB}M RUNTIME=$FIO_RUNTIME fio "${@/#/--section=}" \
		--output-format=json --output="$out" bench/device.fio >/dev/null
}

# fio_session: prefill, the FIO_JOBS x NUMJOBS jobs, in one fio run (its
# start costs ~4 s under TCG); then mm_stat with the device full of fio data.
fio_session() {
	local job nj sections=(prefill)
	for job in $FIO_JOBS; do
		for nj in $NUMJOBS; do sections+=("$job-j$nj"); done
	done
	run_fio "$OUT/fio.json" "${sections[@]}"
	bench/fio-summary.py "$MARK" "$KERNEL" "$REP" "$DEVNAME" "$DEV_ALGO" "$OUT/fio.json"
	[ -z "$SYSDIR" ] || emit "\"workload\": \"fio-data\", \"mm_stat\": \"$(mm_stat)\"$(offload_stat)"
}

since() { awk -v a="$1" -v b="${2:-$(date +%s.%N)}" 'BEGIN { printf "%.3f", b - a }'; }
vmstat_pair() { echo "$(ts_vmstat pswpin) $(ts_vmstat pswpout)"; }

# swap_session: the device as the only swap; swapbench per pattern, then
# stress-ng --vm, each in a fresh cgroup with memory.max=SWAP_MAX_MB.
swap_session() {
	local cg pat res in0 out0 in1 out1 t0 t1 i=0
	mkswap "$DEVPATH" >/dev/null
	swapon "$DEVPATH"
	for pat in $PATTERNS; do
		cg=$(ts_cg_create "bench$i" "${SWAP_MAX_MB}M")
		i=$((i + 1))
		res=$(ts_cg_run "$cg" "$SWAPBENCH" --size "$SWAP_MB" --pattern "$pat" \
			--passes "$PASSES" --seed "$REP" ${SYSDIR:+--mm-stat $SYSDIR/mm_stat})
		rmdir "$cg"
		res=${res#\{}
		emit "\"workload\": \"swap-$pat\", \"memory_max_mb\": $SWAP_MAX_MB, ${res%\}}"
	done
	cg=$(ts_cg_create "bench$i" "${SWAP_MAX_MB}M")
	read -r in0 out0 <<<"$(vmstat_pair)"
	t0=$(date +%s.%N)
	ts_cg_run "$cg" stress-ng --temp-path /tmp --vm 1 --vm-bytes "${SWAP_MB}M" --vm-keep --vm-ops "$VM_OPS" \
		--quiet >/dev/null
	t1=$(date +%s.%N)
	read -r in1 out1 <<<"$(vmstat_pair)"
	rmdir "$cg"
	emit "\"workload\": \"stress-ng-vm\", \"memory_max_mb\": $SWAP_MAX_MB, \"size_mb\": $SWAP_MB, \"vm_ops\": $VM_OPS, \"wall_s\": $(since "$t0" "$t1"), \"pswpin\": $((in1 - in0)), \"pswpout\": $((out1 - out0))"
	swapoff "$DEVPATH"
}

ts_swapoff_all
echo "bench: kernel $(uname -r) ($KERNEL), reps $REPS, devices ${DEVICES[*]}, algo $ALGO," \
	"device ${DEV_MB} MiB, fio ${FIO_RUNTIME} s x {$FIO_JOBS} x numjobs {$NUMJOBS}," \
	"swap ${SWAP_MB} MiB in memory.max ${SWAP_MAX_MB}M {$PATTERNS} x $PASSES pass, vm-ops $VM_OPS"
for ((REP = 1; REP <= REPS; REP++)); do
	for ((d = 0; d < ${#DEVICES[@]}; d++)); do
		name=${DEVICES[(d + REP - 1) % ${#DEVICES[@]}]}
		for part in $PARTS; do
			t0=$SECONDS
			dev_up "$name"
			"${part}_session"
			dev_down
			echo "bench: rep $REP $name $part: $((SECONDS - t0)) s"
		done
	done
done
