#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Claim: pages rewritten and swapped out again (3 rounds, slots overwritten/reused) always read back their latest content.
# timeout: 300
set -eu
# shellcheck source=selftests/guest/lib.sh disable=SC2119
. "$(dirname "$0")/../lib.sh"
ts_need_bin swaptest

ts_swap_begin 128M
ts_io_begin
ts_swaptest_in_cg swap-rounds 16M --size 48 --rounds 3 --expect-swap
ts_io_check
ts_show_stats tierswap0 "after swaptest:"
ts_wait_freed 15
ts_swap_end
