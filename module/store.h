/* SPDX-License-Identifier: GPL-2.0 */
/*
 * store.h - where page contents live.  The block layer (blk.c) hands whole
 * 4 KiB pages to the store and keeps the returned handle and size in the
 * slot table; nothing else about the store is visible outside store.c.
 * Compression, zsmalloc, the memory limit and the compression offload
 * (stage.c) are the store's business; the owner only provides @commit so
 * that a page compressed in the background can replace its staged copy.
 */
#ifndef TS_STORE_H
#define TS_STORE_H

#include <linux/types.h>

#include "comp.h"
#include "stage.h"

struct ts_store;

/*
 * Replace @old by @handle/@size in the owner's entry @key if that entry
 * still holds @old; return whether it did.  Releasing @old is the owner's
 * job, through ts_store_free(), as for any replaced page.
 */
typedef bool (*ts_store_commit_fn)(void *owner, unsigned long key,
				   unsigned long old, unsigned long handle,
				   u32 size);

/**
 * struct ts_store_config - how a store is set up.
 * @ops: compression algorithm
 * @params: its parameters
 * @stage_per_cpu: pages of staging per possible CPU; 0 for none
 * @offload: stage writes from the start (ts_store_set_offload())
 * @commit: see ts_store_commit_fn
 * @owner: passed to @commit
 */
struct ts_store_config {
	const struct ts_comp_ops *ops;
	struct ts_comp_params params;
	unsigned int stage_per_cpu;
	bool offload;
	ts_store_commit_fn commit;
	void *owner;
};

/* What mm_stat reports about the store. */
struct ts_store_stats {
	u64 pages;		/* pages of RAM the pool holds */
	u64 huge_pages;		/* objects stored uncompressed */
	u64 pages_compacted;	/* pages freed by compaction, ever */
	u64 huge_pages_since;	/* objects stored uncompressed, ever */
	u64 inline_pages;	/* pages compressed by the writer, ever */
	struct ts_stage_stats stage;	/* zeros without staging */
};

struct ts_store *ts_store_create(const char *name,
				 const struct ts_store_config *cfg);
void ts_store_flush(struct ts_store *st);
void ts_store_destroy(struct ts_store *st);

int ts_store_put(struct ts_store *st, const void *src, unsigned long key,
		 unsigned long *handle, u32 *size);
void ts_store_queue(struct ts_store *st, unsigned long handle);
int ts_store_get(struct ts_store *st, unsigned long handle, u32 size,
		 void *dst);
void ts_store_free(struct ts_store *st, unsigned long handle, u32 size);

void ts_store_set_limit(struct ts_store *st, unsigned long pages);
void ts_store_set_offload(struct ts_store *st, bool on);
unsigned long ts_store_compact(struct ts_store *st);
void ts_store_stats(struct ts_store *st, struct ts_store_stats *stats);
u64 ts_store_pages(struct ts_store *st);

#endif /* TS_STORE_H */
