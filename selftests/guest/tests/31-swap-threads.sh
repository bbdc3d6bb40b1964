#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Claim: 4 threads swapping their own slices, then pairs of threads faulting the same swapped pages concurrently, all read back byte-exact.
# timeout: 300
set -eu
# shellcheck source=selftests/guest/lib.sh disable=SC2119
. "$(dirname "$0")/../lib.sh"
ts_need_bin swaptest

ts_swap_begin 128M
ts_io_begin
ts_swaptest_in_cg swap-threads 32M --size 64 --threads 4 --expect-swap
ts_io_check
ts_show_stats tierswap0 "after swaptest:"
ts_wait_freed 15
ts_swap_end
