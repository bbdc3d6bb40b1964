// SPDX-License-Identifier: GPL-2.0
/*
 * store.c - the page store: one page of RAM per stored slot, contents
 * copied verbatim.  The handle is the struct page pointer.
 *
 * put/get/free take no locks of their own.  ts_store_get() and
 * ts_store_free() run under a cluster spinlock (and free possibly with
 * interrupts disabled, from swap_slot_free_notify), so neither sleeps.
 * ts_store_put() runs in the I/O path: GFP_NOIO, and a failure is returned
 * to the caller, which fails the write (the swap core keeps the page).
 */
#include <linux/gfp.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/slab.h>

#include "store.h"

struct ts_store {
	atomic_long_t pages;
};

struct ts_store *ts_store_create(void)
{
	struct ts_store *st = kzalloc(sizeof(*st), GFP_KERNEL);

	if (st)
		atomic_long_set(&st->pages, 0);
	return st;
}

void ts_store_destroy(struct ts_store *st)
{
	WARN_ON_ONCE(atomic_long_read(&st->pages));
	kfree(st);
}

/**
 * ts_store_put() - store a copy of one page.
 * @st: store
 * @src: the page's contents, PAGE_SIZE bytes, mapped
 * @handle: set to the new handle
 * @size: set to the bytes of storage used
 *
 * Return: 0 or -ENOMEM.
 */
int ts_store_put(struct ts_store *st, const void *src, unsigned long *handle,
		 u32 *size)
{
	struct page *page = alloc_page(GFP_NOIO | __GFP_NOWARN | __GFP_HIGHMEM);

	if (!page)
		return -ENOMEM;
	memcpy_to_page(page, 0, src, PAGE_SIZE);
	atomic_long_inc(&st->pages);
	*handle = (unsigned long)page;
	*size = PAGE_SIZE;
	return 0;
}

/* Copy a stored page out; never fails for this store. */
int ts_store_get(struct ts_store *st, unsigned long handle, u32 size,
		 void *dst)
{
	memcpy_from_page(dst, (struct page *)handle, 0, size);
	return 0;
}

void ts_store_free(struct ts_store *st, unsigned long handle, u32 size)
{
	__free_page((struct page *)handle);
	atomic_long_dec(&st->pages);
}

/* Pages of RAM the store holds. */
u64 ts_store_pages(struct ts_store *st)
{
	return atomic_long_read(&st->pages);
}

/* Pages stored without compression (zram's "huge_pages"): all of them. */
u64 ts_store_raw_pages(struct ts_store *st)
{
	return atomic_long_read(&st->pages);
}
