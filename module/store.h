/* SPDX-License-Identifier: GPL-2.0 */
/*
 * store.h - where page contents live.  The block layer (blk.c) hands whole
 * 4 KiB pages to the store and keeps the returned handle and size in the
 * slot table; nothing else about the store is visible outside store.c.
 * A compressed store replaces store.c behind this same interface.
 */
#ifndef TS_STORE_H
#define TS_STORE_H

#include <linux/types.h>

struct ts_store;

struct ts_store *ts_store_create(void);
void ts_store_destroy(struct ts_store *st);

int ts_store_put(struct ts_store *st, const void *src, unsigned long *handle,
		 u32 *size);
int ts_store_get(struct ts_store *st, unsigned long handle, u32 size,
		 void *dst);
void ts_store_free(struct ts_store *st, unsigned long handle, u32 size);

u64 ts_store_pages(struct ts_store *st);
u64 ts_store_raw_pages(struct ts_store *st);

#endif /* TS_STORE_H */
