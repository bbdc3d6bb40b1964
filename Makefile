# SPDX-License-Identifier: GPL-2.0
# tierswap: `make` builds tierswap.ko for the running kernel (or KDIR=...);
# `make check` runs the whole test suite (native, then in QEMU on each of
# KERNELS="6.1 6.12 7.2"); `make check-debug` runs the guest suite on a
# debug kernel; `make demo` runs the main job in a VM;
# `make bench` compares tierswap with zram and brd in the same VM boots;
# `make profile` shows where their 4K reads and writes spend CPU (perf).
KDIR ?= /lib/modules/$(shell uname -r)/build
KERNELS ?= 6.1 6.12 7.2
DEBUG_KERNELS ?= 7.2-debug

all: modules

modules:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	$(MAKE) -C selftests/native clean
	-$(MAKE) -C selftests clean
	-$(MAKE) -C bench clean

check:
	KERNELS="$(KERNELS)" scripts/check.sh

# The guest suite on the debug kernel (KASAN, lockdep, kmemleak...), built
# from source on first use (scripts/build-debug-kernel.sh, ~20 min on 2 idle
# CPUs); vm-run.sh boots it with 3 vCPUs.
check-debug:
	VM_MEM=3G VM_TIMEOUT=$${VM_TIMEOUT:-14400} scripts/check.sh $(DEBUG_KERNELS)

demo:
	scripts/demo.sh

bench:
	KERNELS="$(KERNELS)" scripts/bench.sh

profile:
	KERNELS="$(KERNELS)" scripts/profile.sh

.PHONY: all modules clean check check-debug demo bench profile
