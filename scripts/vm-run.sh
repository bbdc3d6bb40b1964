#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# usage: scripts/vm-run.sh S -- CMD [ARGS...]     (S = 6.1 | 6.12 | 7.2)
#
# Boots kernel S (see fetch-kernel.sh) under QEMU TCG and runs CMD in the
# guest, chrooted into the host's root (shared read-only over virtio-9p, so
# guest paths are host paths). cwd is the repo root; writable tmpfs on /tmp,
# /run, /var/tmp and /root; `modprobe` (a wrapper first on PATH) loads
# kernel S's modules: nothing is mounted over a host directory.
# The guest kernel runs with zswap.enabled=0 (swap goes to the swap devices only).
# Guest env: TIERSWAP_KO, TIERSWAP_SERIES, KVER, REPO.
# CMD's output streams to stdout; exits with CMD's exit code, or 125 if the
# guest hangs (VM_TIMEOUT seconds, default 1200) or panics. VM_MEM: the
# guest's memory (2G); VM_SMP: its vCPUs (2; 3 on a debug kernel, so that
# the offload has two workers for the fault tests).
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

[ "${1:-}" != -h ] || { usage; exit 0; }
if [ $# -lt 3 ] || [ "$2" != -- ]; then usage; exit 2; fi
S=$1
shift 2
VM_TIMEOUT=${VM_TIMEOUT:-1200}
VM_MEM=${VM_MEM:-2G}
case $S in *-debug) VM_SMP=${VM_SMP:-3} ;; *) VM_SMP=${VM_SMP:-2} ;; esac
# Resolved once and pinned: a debug kernel rebuilt meanwhile neither changes
# under us nor is removed.
KDIR=$(kernel_dir "$S")
kernel_pin "$KDIR" || die "kernel $KDIR is gone (removed by a rebuild)"
KVER=$(cat "$KDIR/kver")
# The real path: $CACHE/kernels may be a symlink into a directory the
# guest's tmpfs mounts would hide (e.g. below /root).
MODROOT=$(readlink -f "$KDIR/modroot")
# Host directories the guest must see even below its tmpfs mounts, by
# their real paths (a symlink in them would resolve against the initramfs).
KEEP=("$(readlink -f "$CACHE")" "$(readlink -f "$REPO")")
[ "${MODROOT#"${KEEP[0]}"/}" != "$MODROOT" ] || KEEP+=("$MODROOT")
MODPROBE=$(PATH=/usr/sbin:/sbin:$PATH command -v modprobe) || die "no modprobe (kmod) on the host"
MARK="==vm-run-$$=="

WORK=$(mktemp -d /tmp/vm-run.XXXXXX)
LOG=$WORK/console.log
# The console log of the last run of S is kept in $CACHE/logs.
mkdir -p "$CACHE/logs"
trap 'cp "$LOG" "$CACHE/logs/vm-run-$S.log" 2>/dev/null; rm -rf "$WORK"' EXIT

# Modules needed to mount the host root over 9p, in load order.
modules_for_9p() {
	local m
	for m in virtio_pci 9pnet_virtio 9p; do
		modprobe -d "$MODROOT" -S "$KVER" --show-depends "$m"
	done | awk '$1 == "insmod" && !seen[$2]++ { print $2 }'
}

# The command, run by bash inside the chroot.
write_cmd() {
	local ko=$CACHE/build/$S/tierswap.ko
	echo '#!/bin/bash'
	echo "export PATH=/run/vm-run/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	echo "export HOME=/root LANG=C.UTF-8 TERM=dumb"
	echo "export TIERSWAP_KO=$(printf %q "$ko") TIERSWAP_SERIES=$S KVER=$KVER REPO=$(printf %q "$REPO")"
	echo "cd $(printf %q "$REPO")"
	printf 'exec'
	printf ' %q' "$@"
	echo ' </dev/null'
}

# /init of the initramfs (busybox sh): mount the host root, set up the
# chroot, run the command, report its exit code, power off.
write_init() {
	cat <<-EOF
		#!/bin/busybox sh
		/bin/busybox --install -s /bin
		export PATH=/bin
		mount -t proc proc /proc
		mount -t sysfs sysfs /sys
		mount -t devtmpfs devtmpfs /dev
		# The initramfs has no /dev/console node (creating one needs
		# CAP_MKNOD on the host): take the console from devtmpfs.
		exec 0</dev/console 1>/dev/console 2>&1
		mkdir -p /dev/pts /dev/shm
		mount -t cgroup2 cgroup2 /sys/fs/cgroup
		mount -t tracefs tracefs /sys/kernel/tracing
		mount -t debugfs debugfs /sys/kernel/debug
		for m in /modules/*.ko; do insmod \$m || echo "vm-run: insmod \$m failed"; done
		mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=524288,cache=loose hostroot /host
		for d in proc sys dev; do mount --rbind /\$d /host/\$d; done
		mount -t devpts -o newinstance,ptmxmode=0666 devpts /host/dev/pts
		mount -t tmpfs tmpfs /host/dev/shm
		# Keep the cache, the repo and the modules visible if a tmpfs below
		# would hide them.
		$(for i in "${!KEEP[@]}"; do printf 'mkdir -p /keep/%s; mount --bind %q /keep/%s\n\t\t' "$i" "/host${KEEP[i]}" "$i"; done)
		mount -t tmpfs -o mode=1777 tmpfs /host/tmp
		mount -t tmpfs -o mode=1777 tmpfs /host/var/tmp
		mount -t tmpfs -o mode=755 tmpfs /host/run
		mount -t tmpfs -o mode=700 tmpfs /host/root
		$(for i in "${!KEEP[@]}"; do printf '[ -d %q ] || { mkdir -p %q && mount --bind /keep/%s %q; }\n\t\t' "/host${KEEP[i]}" "/host${KEEP[i]}" "$i" "/host${KEEP[i]}"; done)
		mkdir -p /host/run/vm-run/bin
		cp /cmd.sh /host/run/vm-run/cmd.sh
		cp /modprobe /host/run/vm-run/bin/modprobe
		echo "$MARK start \$(cut -d' ' -f1 /proc/uptime)"
		chroot /host /bin/bash /run/vm-run/cmd.sh
		echo "$MARK exit \$?"
		poweroff -f
		echo o >/proc/sysrq-trigger
	EOF
}

# Print the console lines between the start and exit markers; the exit
# marker may follow the command's last output on the same line.
show_cmd_output() {
	sed -u -n "0,/$MARK start/d
		/$MARK exit/ { s/$MARK exit.*//; /./p; :rest; n; b rest; }
		p"
}

# The uncompressed initramfs: busybox, the 9p modules, /init and the command.
stage=$WORK/initramfs
mkdir -p "$stage"/{bin,dev,proc,sys,host,modules,keep}
cp /bin/busybox "$stage/bin/"
i=10
for ko in $(modules_for_9p); do
	cp "$ko" "$stage/modules/$i-$(basename "$ko")"
	i=$((i + 1))
done
write_init >"$stage/init"
write_cmd "$@" >"$stage/cmd.sh"
# modprobe in the guest: the host's, reading kernel S's modules.
printf '#!/bin/sh\nexec %q -d %q "$@"\n' "$MODPROBE" "$MODROOT" >"$stage/modprobe"
chmod 755 "$stage/init" "$stage/cmd.sh" "$stage/modprobe"
(cd "$stage" && find . | cpio -o -H newc --quiet) >"$WORK/initrd.cpio"

# One boot of the guest; sets qemu_rc. zswap is off (it would take the
# pages meant for the device under test); the 8 MiB kernel log keeps the
# whole of a test's messages (run.sh checks them after each test, from a
# mark it logs at the start: hot_add races log thousands of lines).
# tsc=reliable: TCG's TSC is one virtual clock for all vCPUs, but 6.1's
# boot-time sync check calls it unsynchronized and falls back to the
# emulated HPET, whose every read (each fio clock_gettime, each ktime) is
# an MMIO exit: bench/profile.sh found read_hpet at 16-28% of all CPU time
# of a 6.1 guest running fio, more than either device under test took.
boot_vm() {
	local append="console=ttyS0 quiet panic=-1 oops=panic zswap.enabled=0 log_buf_len=8M tsc=reliable"
	# A debug kernel's KASAN reports every bad access, not just the first.
	case $S in *-debug) append+=" kasan_multi_shot" ;; esac
	set +e
	timeout "$VM_TIMEOUT" qemu-system-x86_64 -accel tcg,thread=multi -cpu max -m "$VM_MEM" -smp "$VM_SMP" \
		-kernel "$KDIR/vmlinux" -initrd "$WORK/initrd.cpio" \
		-append "$append" \
		-nographic -no-reboot -nodefaults -serial stdio -display none \
		-fsdev local,id=hostroot,path=/,security_model=none,readonly=on,multidevs=remap \
		-device virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot </dev/null |
		sed -u 's/\r//g; s/\x1bc//; s/\x1b\[[0-9;?]*[a-zA-Z]//g' | tee "$LOG" | show_cmd_output
	qemu_rc=${PIPESTATUS[0]}
	set -e
}

# spurious_int3 LOG: succeeds, printing what it saw, if the guest's first
# oops is a breakpoint trap at an address whose code no longer holds a
# breakpoint. Multi-threaded TCG can run a stale translation of code that
# another vCPU has just patched (text_poke_bp puts an int3 in while it
# rewrites a static branch, tracepoint or kprobe site, and takes it out
# again): the guest then traps on an int3 that is no longer in memory, and
# oopses because no patch is in flight there. The oops shows it: the byte
# before the marked RIP in its Code: line (where the int3 was) is not cc.
# Seen in early boot, at kprobe removal and mid-suite on 6.12 and 7.2.
spurious_int3() {
	local oops rip prev
	oops=$(grep -m1 -A14 'Oops:' "$1") || return 1
	[[ $oops == *'Oops: int3'* ]] || return 1
	rip=$(sed -n 's/.*RIP: 0010:\([^ ]*\).*/\1/p' <<<"$oops" | head -n1)
	prev=$(sed -n 's/.*Code: .*\([0-9a-f][0-9a-f]\) <[0-9a-f][0-9a-f]>.*/\1/p' <<<"$oops" | head -n1)
	[ -n "$prev" ] && [ "$prev" != cc ] || return 1
	echo "spurious int3 at ${rip:-?} (the code there is $prev, not an int3: a stale TCG translation)"
}

# Multi-threaded TCG occasionally oopses while the kernel patches its own
# code (see spurious_int3). A guest that dies before the command starts is
# booted again (VM_BOOT_TRIES times in all); a crash while the command runs
# is never retried here: callers see exit 125 and an "emulator fault:" line
# on stderr when it was a spurious int3, and decide (check.sh reruns once).
start=$(date +%s)
for try in $(seq "${VM_BOOT_TRIES:-3}"); do
	boot_vm
	if [ "$qemu_rc" = 124 ] || grep -q "$MARK start" "$LOG"; then break; fi
	cp "$LOG" "$CACHE/logs/vm-run-$S-bootfail.log"
	log "$S: boot $try died before the command started:" \
		"$(grep -m1 -E 'Oops|BUG|panic' "$LOG" || echo 'no oops message')" \
		"(log: $CACHE/logs/vm-run-$S-bootfail.log)"
done

boot=$(sed -n "s/.*$MARK start //p" "$LOG")
rc=$(sed -n "s/.*$MARK exit //p" "$LOG")
if [ "$qemu_rc" = 124 ]; then
	why="timed out after $VM_TIMEOUT s"
elif grep -q 'Kernel panic' "$LOG"; then
	why="kernel panic"
	if fault=$(spurious_int3 "$LOG"); then
		why="kernel panic; emulator fault: $fault"
	fi
elif [ -z "$rc" ]; then
	why="no exit code from the guest (qemu exit $qemu_rc)"
else
	log "$S: command started ${boot:-?} s after boot; exit $rc; wall $(elapsed "$start") s"
	exit "$rc"
fi
log "$S: FAILED: $why; last 60 console lines:"
tail -n 60 "$LOG" | sed "/$MARK/d" >&2
exit 125
