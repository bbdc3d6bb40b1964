// SPDX-License-Identifier: GPL-2.0
/*
 * cluster.c - slot clusters: per-cluster locking, occupancy lists and
 * deferred frees.  See cluster.h for the model and the lock order.
 *
 * Callers: blk.c (I/O paths, free notify) and main.c (init, reset).
 */
#ifdef __KERNEL__
#include <linux/bitops.h>
#include <linux/jiffies.h>
#include <linux/minmax.h>
#include <linux/overflow.h>
#include <linux/sched.h>
#include <linux/vmalloc.h>
#define ts_now()	jiffies
#endif

#include "cluster.h"

static inline struct ts_cluster *ts_cluster_of(struct ts_table *t,
					       unsigned long slot)
{
	return &t->clusters[slot >> TS_CLUSTER_SHIFT];
}

static inline unsigned int ts_index_in(unsigned long slot)
{
	return slot & (TS_CLUSTER_SLOTS - 1);
}

static enum ts_cluster_list ts_list_for(const struct ts_cluster *c)
{
	if (!c->used)
		return TS_LIST_FREE;
	if (c->used == c->capacity)
		return TS_LIST_FULL;
	return TS_LIST_PARTIAL;
}

/* Called with c->lock held after c->used changed. */
static void ts_cluster_relist(struct ts_table *t, struct ts_cluster *c)
{
	enum ts_cluster_list want;

	lockdep_assert_held(&c->lock);
	want = ts_list_for(c);
	if (want == c->list)
		return;
	spin_lock(&t->lists_lock);
	t->nr_on_list[c->list]--;
	t->nr_on_list[want]++;
	list_move_tail(&c->node, &t->lists[want]);
	c->list = want;
	spin_unlock(&t->lists_lock);
}

/**
 * ts_table_init() - allocate and initialise the slot table.
 * @t: table to set up
 * @nr_slots: number of 4 KiB slots (device size / 4096), at least 1
 * @release: frees the storage of a slot that is overwritten or freed; runs
 *	under a cluster spinlock, possibly with interrupts disabled
 * @release_arg: passed to @release
 *
 * Return: 0, -EINVAL for a zero size, or -ENOMEM.
 */
int ts_table_init(struct ts_table *t, unsigned long nr_slots,
		  ts_release_fn release, void *release_arg)
{
	unsigned long i;

	if (!nr_slots)
		return -EINVAL;
	t->nr_slots = nr_slots;
	t->nr_clusters = (nr_slots + TS_CLUSTER_SLOTS - 1) >> TS_CLUSTER_SHIFT;
	/*
	 * ~8 KiB per 2 MiB of disk: 4 GiB of table for 1 TiB, more than
	 * kvcalloc() allows (INT_MAX), so vmalloc directly.  __GFP_NORETRY
	 * keeps the page allocations from retrying hard; vmalloc's own page
	 * tables are still allocated with GFP_KERNEL on 6.1, so it is the
	 * caller's pre-check against the available memory that keeps a size
	 * that does not fit from draining RAM (disksize returns -ENOMEM).
	 */
	t->clusters = __vmalloc(array_size(t->nr_clusters, sizeof(*t->clusters)),
				GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN |
				__GFP_ZERO);
	if (!t->clusters)
		return -ENOMEM;
	t->release = release;
	t->release_arg = release_arg;

	spin_lock_init(&t->lists_lock);
	for (i = 0; i < TS_NR_LISTS; i++) {
		INIT_LIST_HEAD(&t->lists[i]);
		t->nr_on_list[i] = 0;
	}
	for (i = 0; i < t->nr_clusters; i++) {
		struct ts_cluster *c = &t->clusters[i];

		spin_lock_init(&c->lock);
		c->capacity = min_t(unsigned long, TS_CLUSTER_SLOTS,
				    nr_slots - (i << TS_CLUSTER_SHIFT));
		c->list = TS_LIST_FREE;
		list_add_tail(&c->node, &t->lists[TS_LIST_FREE]);
	}
	t->nr_on_list[TS_LIST_FREE] = t->nr_clusters;
	atomic_long_set(&t->used_slots, 0);
	atomic_long_set(&t->same_slots, 0);
	atomic_long_set(&t->stored_bytes, 0);
	atomic_long_set(&t->deferred_frees, 0);
	atomic_long_set(&t->pending_frees, 0);
	return 0;
}

/**
 * ts_table_destroy() - release every stored slot and free the table.
 * @t: table; no I/O, free notify or reap may run concurrently
 */
void ts_table_destroy(struct ts_table *t)
{
	unsigned long i, slot;

	if (!t->clusters)
		return;
	for (i = 0; i < t->nr_clusters; i++) {
		struct ts_cluster *c = ts_cluster_lock(t, i << TS_CLUSTER_SHIFT);

		for (slot = 0; slot < c->capacity; slot++)
			ts_slot_clear(t, c, (i << TS_CLUSTER_SHIFT) + slot);
		ts_cluster_unlock(c);
		cond_resched();		/* up to 2^19 clusters (1 TiB) */
	}
	vfree(t->clusters);
	t->clusters = NULL;
}

/* Bytes of metadata the table holds (reported in mm_stat). */
size_t ts_table_meta_bytes(const struct ts_table *t)
{
	return t->nr_clusters * sizeof(*t->clusters);
}

/* Release a slot's contents; c->lock held. */
static void ts_slot_release(struct ts_table *t, struct ts_cluster *c,
			    struct ts_slot *s)
{
	lockdep_assert_held(&c->lock);
	if (!(s->flags & TS_SLOT_USED))
		return;
	if (s->flags & TS_SLOT_SAME)
		atomic_long_dec(&t->same_slots);
	else
		t->release(t->release_arg, s);
	atomic_long_sub(s->size, &t->stored_bytes);
	atomic_long_dec(&t->used_slots);
	c->used--;
	s->handle = 0;
	s->size = 0;
	s->flags = 0;
}

/* Apply the frees that ts_table_free_notify() deferred; c->lock held. */
static void ts_cluster_apply_pending(struct ts_table *t, struct ts_cluster *c)
{
	unsigned int i;

	lockdep_assert_held(&c->lock);
	if (!atomic_read(&c->nr_pending))
		return;
	for (i = 0; i < c->capacity; i++) {
		if (!test_bit(i, c->pending_free) ||
		    !test_and_clear_bit(i, c->pending_free))
			continue;
		atomic_dec(&c->nr_pending);
		atomic_long_dec(&t->pending_frees);
		ts_slot_release(t, c, &c->slots[i]);
	}
	ts_cluster_relist(t, c);
}

/**
 * ts_cluster_lock() - lock the cluster holding @slot.
 * @t: table
 * @slot: slot number, < t->nr_slots
 *
 * Deferred frees of the cluster are applied first, so the caller never
 * sees a slot the swap core has already freed.
 *
 * Return: the locked cluster.
 */
struct ts_cluster *ts_cluster_lock(struct ts_table *t, unsigned long slot)
{
	struct ts_cluster *c = ts_cluster_of(t, slot);

	spin_lock(&c->lock);
	ts_cluster_apply_pending(t, c);
	return c;
}

void ts_cluster_unlock(struct ts_cluster *c)
{
	spin_unlock(&c->lock);
}

/* The entry of @slot; valid until the cluster is unlocked. */
const struct ts_slot *ts_slot_peek(struct ts_cluster *c, unsigned long slot)
{
	lockdep_assert_held(&c->lock);
	return &c->slots[ts_index_in(slot)];
}

/**
 * ts_slot_set() - install new contents in @slot, releasing the old ones.
 * @t: table
 * @c: cluster of @slot, locked
 * @slot: slot number
 * @new: entry to install; flags must include TS_SLOT_USED
 */
void ts_slot_set(struct ts_table *t, struct ts_cluster *c, unsigned long slot,
		 const struct ts_slot *new)
{
	struct ts_slot *s = &c->slots[ts_index_in(slot)];

	lockdep_assert_held(&c->lock);
	ts_slot_release(t, c, s);
	*s = *new;
	c->used++;
	c->stamp = ts_now();
	atomic_long_inc(&t->used_slots);
	atomic_long_add(new->size, &t->stored_bytes);
	if (new->flags & TS_SLOT_SAME)
		atomic_long_inc(&t->same_slots);
	ts_cluster_relist(t, c);
}

/**
 * ts_slot_replace() - swap a slot's stored contents for another copy.
 * @t: table
 * @c: cluster of @slot, locked
 * @slot: slot number
 * @old_handle: the store handle the caller expects in @slot
 * @new: entry to install; flags must include TS_SLOT_USED
 *
 * Used when the store moves a page (a staged page compressed in the
 * background): if @slot still holds @old_handle, the old contents are
 * released and @new installed, keeping the cluster's write time.
 *
 * Return: true if @slot held @old_handle and now holds @new.
 */
bool ts_slot_replace(struct ts_table *t, struct ts_cluster *c,
		     unsigned long slot, unsigned long old_handle,
		     const struct ts_slot *new)
{
	const struct ts_slot *s = &c->slots[ts_index_in(slot)];
	unsigned long stamp = c->stamp;

	lockdep_assert_held(&c->lock);
	if ((s->flags & (TS_SLOT_USED | TS_SLOT_SAME)) != TS_SLOT_USED ||
	    s->handle != old_handle)
		return false;
	ts_slot_set(t, c, slot, new);
	c->stamp = stamp;
	return true;
}

/*
 * Free @slot (discard, write-zeroes, reset); @c locked.
 * Return: whether it held data.
 */
bool ts_slot_clear(struct ts_table *t, struct ts_cluster *c,
		   unsigned long slot)
{
	struct ts_slot *s = &c->slots[ts_index_in(slot)];

	lockdep_assert_held(&c->lock);
	if (!(s->flags & TS_SLOT_USED))
		return false;
	ts_slot_release(t, c, s);
	ts_cluster_relist(t, c);
	return true;
}

/**
 * ts_table_free_notify() - free @slot without ever spinning.
 * @t: table
 * @slot: slot number, < t->nr_slots
 *
 * Safe in atomic context with interrupts disabled.  If the cluster lock is
 * busy the free is recorded in the cluster's pending bitmap and applied by
 * the next ts_cluster_lock() or ts_table_reap().
 *
 * Return: true if freed now, false if deferred.
 */
bool ts_table_free_notify(struct ts_table *t, unsigned long slot)
{
	struct ts_cluster *c = ts_cluster_of(t, slot);

	if (spin_trylock(&c->lock)) {
		ts_cluster_apply_pending(t, c);
		ts_slot_clear(t, c, slot);
		spin_unlock(&c->lock);
		return true;
	}
	/*
	 * Count first: ts_cluster_apply_pending() uncounts a free only after
	 * it saw the bit, so the counters never dip below zero (debug_stat).
	 * test_and_set_bit() is fully ordered.
	 */
	atomic_inc(&c->nr_pending);
	atomic_long_inc(&t->pending_frees);
	if (test_and_set_bit(ts_index_in(slot), c->pending_free)) {
		atomic_dec(&c->nr_pending);
		atomic_long_dec(&t->pending_frees);
	}
	atomic_long_inc(&t->deferred_frees);
	return false;
}

/**
 * ts_table_reap() - apply every deferred free.
 * @t: table
 *
 * Return: the number of clusters that had deferred frees.
 */
unsigned long ts_table_reap(struct ts_table *t)
{
	unsigned long i, n = 0;

	for (i = 0; i < t->nr_clusters; i++) {
		struct ts_cluster *c = &t->clusters[i];

		if (!atomic_read(&c->nr_pending))
			continue;
		ts_cluster_unlock(ts_cluster_lock(t, i << TS_CLUSTER_SHIFT));
		n++;
		cond_resched();
	}
	return n;
}

/* Snapshot of the list sizes for cluster_stat. */
void ts_table_cluster_stat(struct ts_table *t, struct ts_cluster_stat *st)
{
	unsigned int i;

	spin_lock(&t->lists_lock);
	st->total = t->nr_clusters;
	for (i = 0; i < TS_NR_LISTS; i++)
		st->on_list[i] = t->nr_on_list[i];
	spin_unlock(&t->lists_lock);
}
