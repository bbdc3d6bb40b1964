// SPDX-License-Identifier: GPL-2.0
/*
 * What module/cluster.c costs per 4K I/O, in instructions: run under
 * callgrind (`make -C bench/native callgrind`), the inclusive cost of
 * reads(), writes() and frees() divided by N is what a read (lock, apply
 * pending frees, peek, unlock), an overwrite (lock, release the old
 * contents, install, relist, unlock) and a swap_slot_free_notify cost the
 * device in the slot table, beside compression and the block layer.
 * Built against the native shim (selftests/native/ts_shim.h) with
 * TS_SHIM_COST: its locks and atomics are C11 atomics, as cheap as the
 * kernel's uncontended ones, and lockdep_assert_held() is compiled out as
 * in a kernel without lockdep.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cluster.h"

unsigned long ts_shim_clock;
int ts_shim_jitter;

#define SLOTS	65536UL		/* a 256 MiB device */
#define N	200000UL

static unsigned long released;

static void release(void *arg, const struct ts_slot *old)
{
	(void)arg;
	(void)old;
	released++;
}

/* xorshift: the slots fio's randread/randwrite would pick. */
static unsigned long next_slot(unsigned long *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x % SLOTS;
}

static __attribute__((noinline)) unsigned long reads(struct ts_table *t)
{
	unsigned long x = 88172645463325252UL, i, sum = 0;

	for (i = 0; i < N; i++) {
		unsigned long slot = next_slot(&x);
		struct ts_cluster *c = ts_cluster_lock(t, slot);

		sum += ts_slot_peek(c, slot)->size;
		ts_cluster_unlock(c);
	}
	return sum;
}

static __attribute__((noinline)) void writes(struct ts_table *t)
{
	unsigned long x = 2463534242UL, i;

	for (i = 0; i < N; i++) {
		unsigned long slot = next_slot(&x);
		struct ts_slot s = { .handle = i << 1, .size = 1800,
				     .flags = TS_SLOT_USED };
		struct ts_cluster *c = ts_cluster_lock(t, slot);

		ts_slot_set(t, c, slot, &s);
		ts_cluster_unlock(c);
	}
}

static __attribute__((noinline)) void frees(struct ts_table *t)
{
	unsigned long x = 1234567UL, i;

	for (i = 0; i < N; i++)
		ts_table_free_notify(t, next_slot(&x));
}

int main(void)
{
	struct ts_table t;
	unsigned long slot, sum;

	if (ts_table_init(&t, SLOTS, release, NULL))
		return 1;
	/* Fill every slot first, as the prefill does: writes() overwrite. */
	for (slot = 0; slot < SLOTS; slot++) {
		struct ts_cluster *c = ts_cluster_lock(&t, slot);
		struct ts_slot s = { .handle = slot << 1, .size = 1800,
				     .flags = TS_SLOT_USED };

		ts_slot_set(&t, c, slot, &s);
		ts_cluster_unlock(c);
	}
	sum = reads(&t);
	writes(&t);
	frees(&t);
	ts_table_destroy(&t);
	printf("cluster-cost: %lu reads, %lu writes, %lu frees (N each), %lu released, sum %lu\n",
	       N, N, N, released, sum);
	return 0;
}
