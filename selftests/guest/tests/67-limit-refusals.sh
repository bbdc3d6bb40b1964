#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Claim: writes refused at mem_limit are counted in debug_stat limit_refusals, not in
# alloc_failures (which counts only writes that found no memory).
# timeout: 120
set -eu
# shellcheck source=selftests/guest/lib.sh disable=SC2119
. "$(dirname "$0")/../lib.sh"
D=/sys/block/tierswap0

ts_load
ts_disksize tierswap0 64M
echo 1M > $D/mem_limit || ts_fail "mem_limit 1M refused"
if head -c 16M /dev/urandom | dd of=/dev/tierswap0 bs=64k iflag=fullblock oflag=direct status=none 2> /dev/null; then
	ts_fail "16 MiB of random data fit under a 1 MiB mem_limit"
fi
echo "ok: writing past mem_limit failed"
ts_show_stats tierswap0 "at the limit:"
ts_expect_ge "io_stat failed_writes" "$(ts_stat tierswap0 io_stat failed_writes)" 1
refusals=$(ts_stat tierswap0 debug_stat limit_refusals)
[ -n "$refusals" ] || ts_fail "debug_stat has no limit_refusals column"
ts_expect_ge "debug_stat limit_refusals" "$refusals" 1
ts_expect_eq "debug_stat alloc_failures (no allocation failed)" "$(ts_stat tierswap0 debug_stat alloc_failures)" 0
ts_expect_eq "debug_stat columns" "$(sed -n 2p $D/debug_stat | wc -w)" 5
echo 0 > $D/mem_limit || ts_fail "clearing mem_limit refused"
head -c 4M /dev/urandom | dd of=/dev/tierswap0 bs=64k iflag=fullblock oflag=direct status=none ||
	ts_fail "writing after the limit was lifted failed"
echo "ok: writes succeed again without the limit"
