#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# usage: scripts/demo.sh     (kernel: $DEMO_KERNEL, default 6.1)
#
# The main job, end to end: install the host packages, fetch the kernel,
# build tierswap.ko for it, build the test programs, then boot the kernel
# and run selftests/guest/demo.sh (swap on tierswap under memory pressure).
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

[ "${1:-}" != -h ] || { usage; exit 0; }
[ $# -eq 0 ] || { usage; exit 2; }
S=${DEMO_KERNEL:-6.1}
cd "$REPO"

log "1/5 host packages"
scripts/deps.sh
log "2/5 kernel $S"
scripts/fetch-kernel.sh "$S"
log "3/5 module"
scripts/build-module.sh "$S"
log "4/5 test programs"
if [ -f selftests/Makefile ]; then make -s -C selftests; fi
log "5/5 boot $S and run selftests/guest/demo.sh"
exec scripts/vm-run.sh "$S" -- bash selftests/guest/demo.sh
