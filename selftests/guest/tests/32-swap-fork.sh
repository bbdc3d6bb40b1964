#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Claim: after fork, parent and child modify different pages of shared swapped-out memory, swap again, and each sees exactly its own view.
# timeout: 300
set -eu
# shellcheck source=selftests/guest/lib.sh disable=SC2119
. "$(dirname "$0")/../lib.sh"
ts_need_bin swaptest

ts_swap_begin 128M
ts_io_begin
ts_swaptest_in_cg swap-fork 16M --size 48 --fork --expect-swap
ts_io_check
ts_show_stats tierswap0 "after swaptest:"
ts_wait_freed 15
ts_swap_end
