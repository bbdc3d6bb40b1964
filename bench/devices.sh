# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Sourced by bench/profile.sh and bench/steady.sh, after selftests/guest/lib.sh:
# one tierswap or zram device at a time, and fio on it.
#   dev_up NAME: create it with algorithm $ALGO, $DEV_MB MiB (tierswap: offload
#     $OFFLOAD if set); sets SYSDIR and DEVPATH.
#   dev_down NAME: remove it.
#   fio_job SECTION JSON [fio options...]: that section of bench/device.fio on
#     DEVPATH, RUNTIME seconds per job, run in $OUT; JSON: fio's report.

dev_up() {
	case $1 in
	tierswap)
		ts_load
		SYSDIR=/sys/block/tierswap0 DEVPATH=/dev/tierswap0
		[ -z "${OFFLOAD:-}" ] || echo "$OFFLOAD" >"$SYSDIR/offload"
		;;
	zram)
		modprobe zram num_devices=1
		modprobe -q "$ALGO" 2>/dev/null || true	# 6.1: crypto API module
		SYSDIR=/sys/block/zram0 DEVPATH=/dev/zram0
		;;
	*) ts_fail "dev_up: unknown device $1" ;;
	esac
	echo "$ALGO" >"$SYSDIR/comp_algorithm"
	echo "${DEV_MB}M" >"$SYSDIR/disksize"
}

dev_down() {
	case $1 in
	tierswap) ts_unload ;;
	zram) echo 1 >"$SYSDIR/reset" && rmmod zram ;;
	esac
}

fio_job() {
	local s=$1 json=$2
	shift 2
	(cd "$OUT" && DEV=$DEVPATH SIZE=${DEV_MB}M RUNTIME=$RUNTIME CPUSTAMP=true \
		fio --section="$s" "$@" --output-format=json --output="$json" \
		"$REPO_DIR/bench/device.fio" >/dev/null)
}
