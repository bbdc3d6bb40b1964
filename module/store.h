/* SPDX-License-Identifier: GPL-2.0 */
/*
 * store.h - where page contents live.  The block layer (blk.c) hands whole
 * 4 KiB pages to the store and keeps the returned handle and size in the
 * slot table; nothing else about the store is visible outside store.c.
 * Compression, zsmalloc and the memory limit are the store's business.
 */
#ifndef TS_STORE_H
#define TS_STORE_H

#include <linux/types.h>

#include "comp.h"

struct ts_store;

/* What mm_stat reports about the store. */
struct ts_store_stats {
	u64 pages;		/* pages of RAM the pool holds */
	u64 huge_pages;		/* objects stored uncompressed */
	u64 pages_compacted;	/* pages freed by compaction, ever */
	u64 limit_hits;		/* writes refused at mem_limit */
};

struct ts_store *ts_store_create(const char *name,
				 const struct ts_comp_ops *ops,
				 const struct ts_comp_params *params);
void ts_store_destroy(struct ts_store *st);

int ts_store_put(struct ts_store *st, const void *src, unsigned long *handle,
		 u32 *size);
int ts_store_get(struct ts_store *st, unsigned long handle, u32 size,
		 void *dst);
void ts_store_free(struct ts_store *st, unsigned long handle, u32 size);

void ts_store_set_limit(struct ts_store *st, unsigned long pages);
unsigned long ts_store_compact(struct ts_store *st);
void ts_store_stats(struct ts_store *st, struct ts_store_stats *stats);
u64 ts_store_pages(struct ts_store *st);

#endif /* TS_STORE_H */
