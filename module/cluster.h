/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cluster.h - the slot table of a tierswap device.
 *
 * The device is an array of 4 KiB slots (slot N = sectors 8N..8N+7; for a
 * swap device, swap offset N).  Slots are grouped in clusters of
 * TS_CLUSTER_SLOTS (512, one 2 MiB swap cluster).  Each cluster has its own
 * spinlock that protects its slot entries and counters, and sits on exactly
 * one of the table's free/partial/full lists according to how many of its
 * slots hold data.  The table does not interpret what a slot stores: it
 * keeps a store handle and size, or the fill word of a same-filled page, and
 * hands old contents back to the owner's release callback.
 *
 * Frees announced in atomic context (swap_slot_free_notify) must not spin:
 * ts_table_free_notify() only trylocks, and on contention records the slot
 * in the cluster's pending bitmap.  Pending frees are applied by whoever
 * takes the cluster lock next (ts_cluster_lock()), or by ts_table_reap().
 *
 * Lock order: cluster lock, then the table's lists_lock.
 *
 * This file and cluster.c contain no kernel-only calls beyond what
 * selftests/native/ts_shim.h provides, so they build in user space for the
 * native unit tests.
 */
#ifndef TS_CLUSTER_H
#define TS_CLUSTER_H

#ifdef __KERNEL__
#include <linux/atomic.h>
#include <linux/bits.h>
#include <linux/list.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#else
#include "ts_shim.h"
#endif

#define TS_CLUSTER_SHIFT	9
#define TS_CLUSTER_SLOTS	BIT(TS_CLUSTER_SHIFT)

/* ts_slot.flags */
#define TS_SLOT_USED		BIT(0)	/* holds data (stored or same-filled) */
#define TS_SLOT_SAME		BIT(1)	/* same-filled: handle is the fill word */

/**
 * struct ts_slot - what one 4 KiB slot holds (16 bytes).
 * @handle: store handle, or the repeated word of a same-filled page
 * @size: bytes the store used for this page (0 if same-filled)
 * @flags: TS_SLOT_* bits
 */
struct ts_slot {
	unsigned long handle;
	u32 size;
	u32 flags;
};

enum ts_cluster_list {
	TS_LIST_FREE,
	TS_LIST_PARTIAL,
	TS_LIST_FULL,
	TS_NR_LISTS,
};

struct ts_cluster {
	spinlock_t lock;		/* slots[], used, stamp, list membership */
	struct list_head node;		/* on table->lists[list] */
	u16 used;			/* slots with TS_SLOT_USED */
	u16 capacity;			/* slots in this cluster (last may be short) */
	u8 list;			/* enum ts_cluster_list */
	atomic_t nr_pending;		/* bits set in pending_free */
	unsigned long stamp;		/* time of the last write (ts_now()) */
	unsigned long pending_free[TS_CLUSTER_SLOTS / BITS_PER_LONG];
	struct ts_slot slots[TS_CLUSTER_SLOTS];
};

typedef void (*ts_release_fn)(void *arg, const struct ts_slot *old);

struct ts_table {
	struct ts_cluster *clusters;
	unsigned long nr_slots;
	unsigned long nr_clusters;
	ts_release_fn release;		/* frees a slot's storage; atomic-safe */
	void *release_arg;

	spinlock_t lists_lock;		/* lists[], nr_on_list[], ts_cluster.node */
	struct list_head lists[TS_NR_LISTS];
	unsigned long nr_on_list[TS_NR_LISTS];

	atomic_long_t used_slots;	/* slots with data, incl. same-filled */
	atomic_long_t same_slots;	/* same-filled slots */
	atomic_long_t stored_bytes;	/* sum of ts_slot.size */
	atomic_long_t deferred_frees;	/* frees that found the cluster busy */
	atomic_long_t pending_frees;	/* deferred frees not applied yet */
};

struct ts_cluster_stat {
	unsigned long total;
	unsigned long on_list[TS_NR_LISTS];
};

/* Bytes of slot table ts_table_init() allocates for @nr_slots. */
static inline size_t ts_table_bytes(unsigned long nr_slots)
{
	return ((nr_slots + TS_CLUSTER_SLOTS - 1) >> TS_CLUSTER_SHIFT) *
	       sizeof(struct ts_cluster);
}

int ts_table_init(struct ts_table *t, unsigned long nr_slots,
		  ts_release_fn release, void *release_arg);
void ts_table_destroy(struct ts_table *t);
size_t ts_table_meta_bytes(const struct ts_table *t);

struct ts_cluster *ts_cluster_lock(struct ts_table *t, unsigned long slot);
void ts_cluster_unlock(struct ts_cluster *c);

/* Under the cluster lock: */
const struct ts_slot *ts_slot_peek(struct ts_cluster *c, unsigned long slot);
void ts_slot_set(struct ts_table *t, struct ts_cluster *c, unsigned long slot,
		 const struct ts_slot *new);
bool ts_slot_replace(struct ts_table *t, struct ts_cluster *c,
		     unsigned long slot, unsigned long old_handle,
		     const struct ts_slot *new);
bool ts_slot_clear(struct ts_table *t, struct ts_cluster *c,
		   unsigned long slot);

bool ts_table_free_notify(struct ts_table *t, unsigned long slot);
unsigned long ts_table_reap(struct ts_table *t);
void ts_table_cluster_stat(struct ts_table *t, struct ts_cluster_stat *st);

#endif /* TS_CLUSTER_H */
