#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Main-job demo (run in the guest by scripts/demo.sh): tierswap0 as the only swap, a
# program larger than its memcg swaps through it and verifies every page, stats printed.
# usage: demo.sh [DATA_MiB [MEMORY_MAX_MiB]]   (default 192 in 96)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=selftests/guest/lib.sh disable=SC2119
. "$here/lib.sh"

DATA_MB=${1:-192}
MAX_MB=${2:-96}

step() { printf '\n== %s\n' "$*"; }

show_all() {
	local in out
	step "/proc/swaps"
	cat /proc/swaps
	step "tierswap0 stats (/sys/block/tierswap0/...)"
	print_stat_table
	in=$(ts_vmstat pswpin)
	out=$(ts_vmstat pswpout)
	step "vmstat: pswpin $in (+$((in - IN0))), pswpout $out (+$((out - OUT0)))"
}

# One block per stat file: "column   value", values from the file in column order.
print_stat_table() {
	local f cols vals name i
	for f in io_stat mm_stat cluster_stat debug_stat; do
		cols=TS_COLS_$f
		if [ "$f" = debug_stat ]; then
			read -r -a vals <<< "$(sed -n 2p /sys/block/tierswap0/$f)"
		else
			read -r -a vals < /sys/block/tierswap0/$f
		fi
		echo "  $f:"
		i=0
		for name in ${!cols}; do
			printf '    %-18s %s\n' "$name" "${vals[i]:-?}"
			i=$((i + 1))
		done
	done
}

trap 'ts_cleanup > /dev/null 2>&1 || true' EXIT
ts_need_bin swaptest

step "kernel $(uname -r) ($TS_SERIES), module $TIERSWAP_KO"
ts_swapoff_all
ts_load
ts_disksize tierswap0 256M
mkswap /dev/tierswap0
swapon /dev/tierswap0
IN0=$(ts_vmstat pswpin)
OUT0=$(ts_vmstat pswpout)
show_all

step "swaptest: ${DATA_MB} MiB in a cgroup with memory.max=${MAX_MB}M; stats while it is swapped out"
cg=$(ts_cg_create demo "${MAX_MB}M")
fifo=/tmp/tierswap-demo.fifo
log=/tmp/tierswap-demo.log
mkfifo "$fifo"
start=$SECONDS
ts_cg_run "$cg" "$TS_BIN/swaptest" --size "$DATA_MB" --rounds 1 --expect-swap -v \
	--pause-after-swapout < "$fifo" > "$log" 2>&1 &
pid=$!
exec 5> "$fifo"
while ! grep -q '^swapped$' "$log" && kill -0 "$pid" 2>/dev/null; do
	sleep 0.5
done
cat "$log"
grep -E '^(anon|swapcached) ' "$cg/memory.stat" || true
show_all

step "swaptest: reading every page back and verifying it"
echo go >&5
exec 5>&-
rc=0
wait "$pid" || rc=$?
sed -n '/^swapped$/,$p' "$log" | tail -n +2
echo "swaptest exit $rc after $((SECONDS - start)) s"
show_all

step "swapoff"
swapoff /dev/tierswap0
ts_show_stats tierswap0 "after swapoff:"
rmdir "$cg"
ts_unload
echo
if [ "$rc" -eq 0 ]; then echo "DEMO PASSED"; else echo "DEMO FAILED"; fi
exit "$rc"
