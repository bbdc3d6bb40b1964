// SPDX-License-Identifier: GPL-2.0
/*
 * store.c - where page contents live: compressed in a zsmalloc pool, one
 * pool per device.  A page that does not compress below the pool's huge
 * class size is stored as it is (size PAGE_SIZE, a "huge" page).  The
 * handle given to the slot table is the zsmalloc handle.
 *
 * Context: ts_store_put() runs in the I/O path before any cluster lock is
 * taken: it compresses in this CPU's stream (preemption off) and allocates
 * without direct reclaim there; if that fails it drops the stream,
 * allocates with GFP_NOIO (may sleep, never recurses into I/O) and
 * compresses again.  ts_store_get() and ts_store_free() run under a
 * cluster spinlock, ts_store_free() possibly with interrupts off: neither
 * sleeps.
 */
#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/zsmalloc.h>

#include "compat.h"
#include "store.h"

struct ts_store {
	struct zs_pool *pool;
	struct ts_comp *comp;
	size_t huge_size;		/* compressed sizes >= this are stored raw */
	unsigned long limit_pages;	/* 0: no limit */
	atomic_long_t huge_pages;
	atomic_long_t limit_hits;
};

/**
 * ts_store_create() - a store compressing with @ops and @params.
 * @name: pool name (the device's name)
 * @ops: compression algorithm
 * @params: its parameters
 *
 * Return: the store or an ERR_PTR.
 */
struct ts_store *ts_store_create(const char *name,
				 const struct ts_comp_ops *ops,
				 const struct ts_comp_params *params)
{
	struct ts_store *st = kzalloc(sizeof(*st), GFP_KERNEL);
	int ret;

	if (!st)
		return ERR_PTR(-ENOMEM);
	st->comp = ts_comp_create(ops, params);
	if (IS_ERR(st->comp)) {
		ret = PTR_ERR(st->comp);
		goto free;
	}
	st->pool = zs_create_pool(name);
	if (!st->pool) {
		ret = -ENOMEM;
		goto destroy_comp;
	}
	st->huge_size = zs_huge_class_size(st->pool);
	return st;

destroy_comp:
	ts_comp_destroy(st->comp);
free:
	kfree(st);
	return ERR_PTR(ret);
}

void ts_store_destroy(struct ts_store *st)
{
	zs_destroy_pool(st->pool);
	ts_comp_destroy(st->comp);
	kfree(st);
}

#define TS_GFP_NOWAIT	(__GFP_KSWAPD_RECLAIM | __GFP_NOWARN | __GFP_HIGHMEM | \
			 __GFP_MOVABLE)
#define TS_GFP_NOIO	(GFP_NOIO | __GFP_NOWARN | __GFP_HIGHMEM | __GFP_MOVABLE)

/* Compress @src in @s; return the bytes to store and where they are. */
static const void *ts_store_pack(struct ts_store *st, struct ts_comp_stream *s,
				 const void *src, u32 *size)
{
	unsigned int len;

	if (ts_comp_compress(st->comp, s, src, &len) || len >= st->huge_size) {
		*size = PAGE_SIZE;
		return src;
	}
	*size = len;
	return s->buffer;
}

/**
 * ts_store_put() - store one page.
 * @st: store
 * @src: PAGE_SIZE bytes, mapped
 * @handle: set to the new handle
 * @size: set to the bytes stored (PAGE_SIZE for a page stored raw)
 *
 * Return: 0, or -ENOMEM if there is no memory or the store is at its
 * limit.
 */
int ts_store_put(struct ts_store *st, const void *src, unsigned long *handle,
		 u32 *size)
{
	unsigned long limit = READ_ONCE(st->limit_pages);
	struct ts_comp_stream *s;
	const void *data;
	unsigned long h;

	if (limit && zs_get_total_pages(st->pool) >= limit) {
		atomic_long_inc(&st->limit_hits);
		return -ENOMEM;
	}
	s = ts_comp_get(st->comp);
	data = ts_store_pack(st, s, src, size);
	h = ts_zs_malloc(st->pool, *size, TS_GFP_NOWAIT);
	if (IS_ERR_VALUE(h)) {
		ts_comp_put(st->comp);
		h = ts_zs_malloc(st->pool, *size, TS_GFP_NOIO);
		if (IS_ERR_VALUE(h))
			return -ENOMEM;
		s = ts_comp_get(st->comp);
		data = ts_store_pack(st, s, src, size);
	}
	ts_zs_write(st->pool, h, data, *size);
	ts_comp_put(st->comp);
	if (*size == PAGE_SIZE)
		atomic_long_inc(&st->huge_pages);
	*handle = h;
	return 0;
}

/**
 * ts_store_get() - decompress (or copy) a stored page into @dst.
 * @st: store
 * @handle: from ts_store_put()
 * @size: from ts_store_put()
 * @dst: PAGE_SIZE bytes, mapped
 *
 * Return: 0, or -EIO if the data does not decompress to a page.
 */
int ts_store_get(struct ts_store *st, unsigned long handle, u32 size,
		 void *dst)
{
	struct ts_comp_stream *s = ts_comp_get(st->comp);
	const void *src;
	int ret = 0;

	src = ts_zs_read_begin(st->pool, handle, size, s->buffer);
	if (size == PAGE_SIZE)
		memcpy(dst, src, PAGE_SIZE);
	else if (ts_comp_decompress(st->comp, s, src, size, dst))
		ret = -EIO;
	ts_zs_read_end(st->pool, handle, size, src);
	ts_comp_put(st->comp);
	return ret;
}

void ts_store_free(struct ts_store *st, unsigned long handle, u32 size)
{
	zs_free(st->pool, handle);
	if (size == PAGE_SIZE)
		atomic_long_dec(&st->huge_pages);
}

/* Refuse new pages once the pool holds @pages pages (0: no limit). */
void ts_store_set_limit(struct ts_store *st, unsigned long pages)
{
	WRITE_ONCE(st->limit_pages, pages);
}

/* Compact the pool; return the pages freed. */
unsigned long ts_store_compact(struct ts_store *st)
{
	return zs_compact(st->pool);
}

/* Pages of RAM the store holds. */
u64 ts_store_pages(struct ts_store *st)
{
	return zs_get_total_pages(st->pool);
}

void ts_store_stats(struct ts_store *st, struct ts_store_stats *stats)
{
	struct zs_pool_stats zs = {};

	zs_pool_stats(st->pool, &zs);
	stats->pages = zs_get_total_pages(st->pool);
	stats->huge_pages = atomic_long_read(&st->huge_pages);
	stats->pages_compacted = atomic_long_read(&zs.pages_compacted);
	stats->limit_hits = atomic_long_read(&st->limit_hits);
}
