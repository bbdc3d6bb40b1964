// SPDX-License-Identifier: GPL-2.0
/*
 * store.c - where page contents live: compressed in a zsmalloc pool, one
 * pool per device.  A page that does not compress below the pool's huge
 * class size is stored as it is (size PAGE_SIZE, a "huge" page).  The
 * handle given to the slot table is the zsmalloc handle, or, while offload
 * is on and the writer's staging pool has room, a staged handle (stage.c):
 * the page is copied and compressed later by a worker, which then asks the
 * owner to swap the staged handle for the zsmalloc one (cfg->commit).
 *
 * Context: ts_store_put() runs in the I/O path before any cluster lock is
 * taken: it compresses in this CPU's stream (preemption off) and allocates
 * without direct reclaim there; if that fails it drops the stream,
 * compresses again into a bounce page of its own and allocates for that
 * result with GFP_NOIO (may sleep, never recurses into I/O).
 * ts_store_get() and ts_store_free() run under a cluster spinlock,
 * ts_store_free() possibly with interrupts off: neither sleeps.  The
 * drain callback runs in a stage worker and calls commit with no lock
 * held.
 */
#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/zsmalloc.h>

#include "compat.h"
#include "store.h"

struct ts_store {
	struct zs_pool *pool;
	struct ts_comp *comp;
	struct ts_stage *stage;		/* NULL without staging memory */
	ts_store_commit_fn commit;
	void *owner;
	size_t huge_size;		/* compressed sizes >= this are stored raw */
	unsigned long limit_pages;	/* 0: no limit */
	bool offload;
	atomic_long_t huge_pages;
	atomic64_t huge_pages_since;
	atomic64_t inline_pages;
};

static int ts_store_drain(void *arg, const void *page, unsigned long key,
			  unsigned long staged);

/**
 * ts_store_create() - a store set up as @cfg says.
 * @name: pool name (the device's name)
 * @cfg: algorithm, staging and owner callback
 *
 * Return: the store or an ERR_PTR.
 */
struct ts_store *ts_store_create(const char *name,
				 const struct ts_store_config *cfg)
{
	struct ts_store *st = kzalloc(sizeof(*st), GFP_KERNEL);
	int ret;

	if (!st)
		return ERR_PTR(-ENOMEM);
	st->commit = cfg->commit;
	st->owner = cfg->owner;
	st->offload = cfg->offload;
	st->comp = ts_comp_create(cfg->ops, &cfg->params);
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
	if (cfg->stage_per_cpu) {
		st->stage = ts_stage_create(name, cfg->stage_per_cpu,
					    ts_store_drain, st);
		if (IS_ERR(st->stage)) {
			ret = PTR_ERR(st->stage);
			goto destroy_pool;
		}
	}
	return st;

destroy_pool:
	zs_destroy_pool(st->pool);
destroy_comp:
	ts_comp_destroy(st->comp);
free:
	kfree(st);
	return ERR_PTR(ret);
}

/* Free everything; ts_store_flush() and the release of every handle first. */
void ts_store_destroy(struct ts_store *st)
{
	if (st->stage)
		ts_stage_destroy(st->stage);
	zs_destroy_pool(st->pool);
	ts_comp_destroy(st->comp);
	kfree(st);
}

/* Wait until no worker runs drain or commit (before the owner goes away). */
void ts_store_flush(struct ts_store *st)
{
	if (st->stage)
		ts_stage_flush(st->stage);
}

/* Stage new writes (@on) or compress them in the writer. */
void ts_store_set_offload(struct ts_store *st, bool on)
{
	WRITE_ONCE(st->offload, on);
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

/*
 * The no-wait allocation failed: compress @src again, this time into
 * @bounce, a page we own, so that the bytes and their size stay as they
 * are while the GFP_NOIO allocation sleeps.  The source may have changed
 * since the first compression (an O_DIRECT writer rewriting its buffer):
 * allocate for, and write, this compression's size only.
 */
static unsigned long ts_store_alloc_slow(struct ts_store *st, const void *src,
					 void *bounce, u32 *size)
{
	struct ts_comp_stream *s = ts_comp_get(st->comp);
	const void *data = ts_store_pack(st, s, src, size);
	unsigned long h;

	memcpy(bounce, data, *size);
	ts_comp_put(st->comp);
	h = ts_zs_malloc(st->pool, *size, TS_GFP_NOIO);
	if (!IS_ERR_VALUE(h))
		ts_zs_write(st->pool, h, bounce, *size);
	return h;
}

/*
 * Compress @src into a new zsmalloc object, ignoring the limit.  The fast
 * path compresses in this CPU's stream and allocates without sleeping
 * while it holds the stream; the bytes written are always the ones whose
 * size was allocated.
 */
static int ts_store_compress(struct ts_store *st, const void *src,
			     unsigned long *handle, u32 *size)
{
	struct ts_comp_stream *s;
	const void *data;
	unsigned long h;

	s = ts_comp_get(st->comp);
	data = ts_store_pack(st, s, src, size);
	h = ts_zs_malloc(st->pool, *size, TS_GFP_NOWAIT);
	if (!IS_ERR_VALUE(h))
		ts_zs_write(st->pool, h, data, *size);
	ts_comp_put(st->comp);
	if (IS_ERR_VALUE(h)) {
		/* An order-0 page, as for a partial write (blk.c). */
		struct page *bounce = alloc_page(GFP_NOIO | __GFP_NOWARN);
		void *mem;

		if (!bounce)
			return -ENOMEM;
		mem = kmap_local_page(bounce);
		h = ts_store_alloc_slow(st, src, mem, size);
		kunmap_local(mem);
		__free_page(bounce);
		if (IS_ERR_VALUE(h))
			return -ENOMEM;
	}
	/* zsmalloc handles are slab pointers: even, unlike staged ones. */
	WARN_ON_ONCE(ts_stage_handle(h));
	if (*size == PAGE_SIZE) {
		atomic_long_inc(&st->huge_pages);
		atomic64_inc(&st->huge_pages_since);
	}
	*handle = h;
	return 0;
}

static void ts_store_free_obj(struct ts_store *st, unsigned long handle,
			      u32 size)
{
	zs_free(st->pool, handle);
	if (size == PAGE_SIZE)
		atomic_long_dec(&st->huge_pages);
}

/**
 * ts_store_put() - store one page.
 * @st: store
 * @src: PAGE_SIZE bytes, mapped
 * @key: the caller's name for the page (its slot), given back to commit
 * @handle: set to the new handle
 * @size: set to the bytes stored (PAGE_SIZE for a page stored raw or
 *	staged)
 *
 * With offload on, the page is copied to staging if this CPU's pool has
 * room; the caller must then install *@handle and call ts_store_queue().
 *
 * Return: 0, -ENOSPC if the store is at its limit (nothing was tried),
 * or -ENOMEM if there is no memory.
 */
int ts_store_put(struct ts_store *st, const void *src, unsigned long key,
		 unsigned long *handle, u32 *size)
{
	unsigned long limit = READ_ONCE(st->limit_pages);

	if (limit && zs_get_total_pages(st->pool) >= limit)
		return -ENOSPC;
	if (st->stage && READ_ONCE(st->offload) &&
	    ts_stage_put(st->stage, src, key, handle)) {
		*size = PAGE_SIZE;
		return 0;
	}
	atomic64_inc(&st->inline_pages);
	return ts_store_compress(st, src, handle, size);
}

/* @handle from ts_store_put() is installed: a staged page may now drain. */
void ts_store_queue(struct ts_store *st, unsigned long handle)
{
	if (ts_stage_handle(handle))
		ts_stage_queue(st->stage, handle);
}

/* Stage worker: compress a staged page and let the owner swap handles. */
static int ts_store_drain(void *arg, const void *page, unsigned long key,
			  unsigned long staged)
{
	struct ts_store *st = arg;
	unsigned long handle;
	u32 size;

	if (ts_store_compress(st, page, &handle, &size))
		return -ENOMEM;
	if (!st->commit(st->owner, key, staged, handle, size))
		ts_store_free_obj(st, handle, size);
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
	struct ts_comp_stream *s;
	const void *src;
	int ret = 0;

	if (ts_stage_handle(handle))
		return ts_stage_read(st->stage, handle, dst);
	s = ts_comp_get(st->comp);
	src = ts_zs_read_begin(st->pool, handle, size, s->buffer);
	if (size == PAGE_SIZE)
		memcpy(dst, src, PAGE_SIZE);
	else if (ts_comp_decompress(st->comp, s, src, size, dst))
		ret = -EIO;
	ts_zs_read_end(st->pool, handle, size, src);
	ts_comp_put(st->comp);
	return ret;
}

/* Drop a page; never sleeps (may run with interrupts off). */
void ts_store_free(struct ts_store *st, unsigned long handle, u32 size)
{
	if (ts_stage_handle(handle))
		ts_stage_release(st->stage, handle);
	else
		ts_store_free_obj(st, handle, size);
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
	stats->huge_pages_since = atomic64_read(&st->huge_pages_since);
	stats->inline_pages = atomic64_read(&st->inline_pages);
	if (st->stage)
		ts_stage_stats(st->stage, &stats->stage);
}
