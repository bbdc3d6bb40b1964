#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Claim: swapoff while a process has most of its memory on tierswap pulls every page back intact.
# timeout: 300
set -eu
# shellcheck source=selftests/guest/lib.sh disable=SC2119
. "$(dirname "$0")/../lib.sh"
ts_need_bin swaptest

SIZE_MB=64
MAX_MB=24

ts_swap_begin 128M
cg=$(ts_cg_create swapoff-live ${MAX_MB}M)
fifo=/tmp/tierswap-go.fifo
log=/tmp/tierswap-swaptest.log
mkfifo "$fifo"

# swaptest blocks opening the fifo until we open its write end below.
ts_cg_run "$cg" "$TS_BIN/swaptest" --seed "$(ts_seed)" --size $SIZE_MB --pause-after-swapout --expect-swap \
	< "$fifo" > "$log" 2>&1 &
pid=$!
exec 5> "$fifo"

for ((i = 0; i < 1200; i++)); do
	grep -q '^swapped$' "$log" && break
	kill -0 "$pid" 2>/dev/null || { cat "$log"; ts_fail "swaptest died before swapping out"; }
	sleep 0.1
done
grep -q '^swapped$' "$log" || { cat "$log"; ts_fail "swaptest did not reach 'swapped' in 120 s"; }
ts_show_stats tierswap0 "swapped out:"
grep -E '^(anon|swap) ' "$cg/memory.stat" || true

# At least half of what exceeds memory.max must be stored on the device now
# (zero pages may bypass it on 6.12+), including same-filled pages.
stored=$(ts_stat tierswap0 mm_stat orig_data_size)
ts_expect_ge "stored bytes while swapped out" "$stored" $(((SIZE_MB - MAX_MB) << 19))
same=$(ts_stat tierswap0 mm_stat same_pages)
ts_expect_ge "same_pages while swapped out" "$same" 1
reads0=$(ts_stat tierswap0 io_stat reads)

# swapoff must bring everything back into the memcg: lift its limit first.
echo max > "$cg/memory.max"
swapoff /dev/tierswap0 || ts_fail "swapoff with a swapped-out process failed"
ts_expect_eq "active swap devices after swapoff" "$(awk 'NR > 1' /proc/swaps | wc -l)" 0
reads=$(($(ts_stat tierswap0 io_stat reads) - reads0))
echo "swapoff read $reads pages back"
# Every stored non-same page (and, on 6.1, the same ones too) is read by swapoff.
ts_expect_ge "pages read by swapoff x4096 vs stored-and-not-same bytes" $((reads * 4096)) \
	$((stored - TS_BASE_ORIG - same * 4096))
ts_show_stats tierswap0 "after swapoff:"
ts_expect_eq "stored bytes after swapoff (header only)" \
	"$(ts_stat tierswap0 mm_stat orig_data_size)" "$TS_BASE_ORIG"
ts_expect_eq "clusters_free after swapoff" \
	"$(ts_stat tierswap0 cluster_stat clusters_free)" "$TS_BASE_CLFREE"

echo go >&5
exec 5>&-
rc=0
wait "$pid" || rc=$?
cat "$log"
ts_expect_eq "swaptest exit code after swapoff" "$rc" 0
