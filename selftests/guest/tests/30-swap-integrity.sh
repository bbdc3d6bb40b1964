#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Claim: 64 MiB swapped through tierswap from a 24 MiB memcg reads back byte-exact, device I/O matches pswpin/pswpout, and every slot is freed again.
# timeout: 300
set -eu
# shellcheck source=selftests/guest/lib.sh disable=SC2119
. "$(dirname "$0")/../lib.sh"
ts_need_bin swaptest

ts_swap_begin 128M
ts_io_begin
ts_swaptest_in_cg swap-integrity 24M --size 64 --expect-swap
ts_io_check
ts_show_stats tierswap0 "after swaptest:"
# >= 40 MiB had to leave the 24 MiB memcg; zero pages may bypass the device
# (6.12+ zeromap) and same-filled ones cost nothing, so ask for a fifth of that.
ts_expect_ge "mm_stat mem_used_max (bytes)" "$(ts_stat tierswap0 mm_stat mem_used_max)" $((8 << 20))
# The checker can fail: a byte flipped in a page is caught, each run with a
# fresh seed and page: before the first verification (generation 0, or the
# child's generation 2 with --fork) and after a later round's rewrite and
# pageout (generation 3 + round), alone and in the forked child.
ts_swaptest_corrupt swap-integrity-corrupt 8M 0 --size 16 --rounds 2 --expect-swap
ts_swaptest_corrupt swap-integrity-corrupt-r2 8M 2 --size 16 --rounds 2 --expect-swap
ts_swaptest_corrupt swap-integrity-corrupt-fork 8M 0 --size 16 --fork --expect-swap
ts_swaptest_corrupt swap-integrity-corrupt-fork-r1 8M 1 --size 16 --fork --rounds 2 --expect-swap
ts_wait_freed 15
ts_swap_end
