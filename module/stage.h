/* SPDX-License-Identifier: GPL-2.0 */
/*
 * stage.h - compression offload: a bounded, preallocated staging area of
 * whole pages per CPU, and workers that hand staged pages to a drain
 * callback (the store compresses them) on every CPU.
 *
 * A write that finds a free entry in its CPU's pool copies the page there
 * and completes; the caller gets a staged handle (odd: bit 0 set, the
 * entry's index and generation above it), installs it in its slot table,
 * then calls ts_stage_queue().  A worker later calls drain() with the
 * page; drain replaces the staged handle in the slot table if the slot
 * still holds it.  Every replacement, overwrite or free of a staged slot
 * ends in ts_stage_release(), which only sets a flag: it never sleeps or
 * spins, so it is safe from swap_slot_free_notify.  Entries go back to
 * their pool only from a worker, once released and no longer in use, so
 * a staged handle stays valid for as long as a slot holds it.  The
 * generation in the handle catches a stale handle (WARN, no access).
 *
 * Context: ts_stage_put(), ts_stage_queue() in the I/O path (no sleeping,
 * no allocation); ts_stage_read() and ts_stage_release() under the
 * owner's spinlock; drain() in an unbound WQ_MEM_RECLAIM worker with
 * memalloc_noio set.
 */
#ifndef TS_STAGE_H
#define TS_STAGE_H

#ifdef __KERNEL__
#include <linux/minmax.h>
#include <linux/types.h>
#else
#include "ts_shim.h"
#endif

struct ts_stage;

/*
 * drain() must store @page (PAGE_SIZE bytes) and swap @handle for the
 * stored copy wherever it is installed.  Return 0 when done (stored, or
 * the handle was no longer installed), -ENOMEM to be called again later.
 */
typedef int (*ts_stage_drain_fn)(void *arg, const void *page,
				 unsigned long key, unsigned long handle);

/* What offload_stat reports. */
struct ts_stage_stats {
	u64 staged;		/* pages copied into staging, ever */
	u64 drained;		/* staged pages handed to drain(), ever */
	u64 dropped;		/* staged pages released before drain, ever */
	u64 retries;		/* drain() calls that asked to be retried */
	u64 reads;		/* reads served from staging, ever */
	u64 pending;		/* pages in staging now */
	u64 capacity;		/* pages of staging, all CPUs */
};

/**
 * ts_stage_pending() - pages in staging now, from counters that move.
 * @staged: pages ever staged, read after @done
 * @done: pages ever drained or dropped
 * @capacity: pages of staging, all CPUs
 *
 * A page is counted staged before a worker can see it, so @staged read
 * after @done is at least @done; pages staged and drained between the two
 * reads can still make the difference exceed what staging holds.
 * Return: @staged - @done, clamped to 0..@capacity (never a wrapped u64).
 */
static inline u64 ts_stage_pending(u64 staged, u64 done, u64 capacity)
{
	return staged > done ? min(staged - done, capacity) : 0;
}

/* A staged handle; store handles (zsmalloc's) are even. */
static inline bool ts_stage_handle(unsigned long handle)
{
	return handle & 1;
}

struct ts_stage *ts_stage_create(const char *name, unsigned int per_cpu,
				 ts_stage_drain_fn drain, void *arg);
void ts_stage_flush(struct ts_stage *sg);
void ts_stage_destroy(struct ts_stage *sg);

bool ts_stage_put(struct ts_stage *sg, const void *src, unsigned long key,
		  unsigned long *handle);
void ts_stage_queue(struct ts_stage *sg, unsigned long handle);
int ts_stage_read(struct ts_stage *sg, unsigned long handle, void *dst);
void ts_stage_release(struct ts_stage *sg, unsigned long handle);
void ts_stage_stats(struct ts_stage *sg, struct ts_stage_stats *stats);

#endif /* TS_STAGE_H */
