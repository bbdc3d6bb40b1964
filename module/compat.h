/* SPDX-License-Identifier: GPL-2.0 */
/*
 * compat.h - every kernel-version difference tierswap depends on, and
 * nothing else.  Supported: 6.1 (Debian 12), 6.12 (Debian 13), 7.2 (sid).
 *
 * The one behavioural difference: the swap core sets SWP_SYNCHRONOUS_IO
 * for a device that has ->rw_page on 6.1, and for one whose queue limits
 * carry BLK_FEAT_SYNCHRONOUS from 6.11 on.  TS_HAVE_RW_PAGE tells blk.c
 * which of the two to provide.
 *
 * Each difference is detected by a macro that the newer API introduced or
 * the older one had, not by version number, so a distribution backport is
 * picked up as it is.
 */
#ifndef TS_COMPAT_H
#define TS_COMPAT_H

#include <linux/blkdev.h>
#include <linux/device.h>
#include <linux/zsmalloc.h>

/* 6.11: queue_limits.features replaces queue flags; rw_page is gone (6.3). */
#ifdef BLK_FEAT_SYNCHRONOUS
#define TS_HAVE_RW_PAGE 0
#else
#define TS_HAVE_RW_PAGE 1
#endif

/**
 * ts_alloc_disk() - allocate a gendisk whose queue looks like a RAM swap
 * device: 4 KiB blocks, discard and write-zeroes, non-rotational, stable
 * writes, synchronous (6.11+; 6.1 gets that from ->rw_page).
 *
 * Return: the disk, or an ERR_PTR.
 */
static inline struct gendisk *ts_alloc_disk(void)
{
#if !TS_HAVE_RW_PAGE
	struct queue_limits lim = {
		.logical_block_size	= PAGE_SIZE,
		.physical_block_size	= PAGE_SIZE,
		.io_min			= PAGE_SIZE,
		.io_opt			= PAGE_SIZE,
		.max_hw_discard_sectors	= UINT_MAX,
		.discard_granularity	= PAGE_SIZE,
		.max_write_zeroes_sectors = UINT_MAX,
		.features		= BLK_FEAT_STABLE_WRITES |
					  BLK_FEAT_SYNCHRONOUS,
	};

	return blk_alloc_disk(&lim, NUMA_NO_NODE);
#else
	struct gendisk *disk = blk_alloc_disk(NUMA_NO_NODE);
	struct request_queue *q;

	if (!disk)
		return ERR_PTR(-ENOMEM);
	q = disk->queue;
	blk_queue_logical_block_size(q, PAGE_SIZE);
	blk_queue_physical_block_size(q, PAGE_SIZE);
	blk_queue_io_min(q, PAGE_SIZE);
	blk_queue_io_opt(q, PAGE_SIZE);
	q->limits.discard_granularity = PAGE_SIZE;
	blk_queue_max_discard_sectors(q, UINT_MAX);
	blk_queue_max_write_zeroes_sectors(q, UINT_MAX);
	blk_queue_flag_set(QUEUE_FLAG_NONROT, q);
	blk_queue_flag_clear(QUEUE_FLAG_ADD_RANDOM, q);
	blk_queue_flag_set(QUEUE_FLAG_STABLE_WRITES, q);
	return disk;
#endif
}

/* 6.5: ->open takes the gendisk and a blk_mode_t (BLK_OPEN_* came with it). */
#ifdef BLK_OPEN_READ
#define TS_OPEN_ARGS		struct gendisk *disk, blk_mode_t mode
#define TS_OPEN_DISK		disk
#else
#define TS_OPEN_ARGS		struct block_device *bdev, fmode_t mode
#define TS_OPEN_DISK		bdev->bd_disk
#endif

/*
 * 6.4: class attribute callbacks take const pointers; the same release
 * turned class_create() from a macro into a function.
 */
#ifdef class_create
#define TS_CLASS_ATTR_ARGS	struct class *class, struct class_attribute *attr
#else
#define TS_CLASS_ATTR_ARGS	const struct class *class, \
				const struct class_attribute *attr
#endif

#if TS_HAVE_RW_PAGE
/* 6.1 ->rw_page: account the page in /sys/block/X/stat like a bio. */
static inline unsigned long ts_rw_page_acct_start(struct block_device *bdev,
						  enum req_op op)
{
	return bdev_start_io_acct(bdev, PAGE_SECTORS, op, jiffies);
}

static inline void ts_rw_page_acct_end(struct block_device *bdev,
				       enum req_op op, unsigned long start)
{
	bdev_end_io_acct(bdev, op, start);
}
#endif

/*
 * zsmalloc: 7.x takes a NUMA node in zs_malloc() and replaced the per-CPU
 * zs_map_object() mapping with zs_obj_read_begin()/zs_obj_write().
 * TS_HAVE_ZS_OBJ_API is set by Kbuild when zsmalloc.h declares them.
 */
#ifdef TS_HAVE_ZS_OBJ_API
static inline unsigned long ts_zs_malloc(struct zs_pool *pool, size_t size,
					 gfp_t gfp)
{
	return zs_malloc(pool, size, gfp, NUMA_NO_NODE);
}

static inline void ts_zs_write(struct zs_pool *pool, unsigned long handle,
			       const void *src, size_t len)
{
	zs_obj_write(pool, handle, (void *)src, len);
}

/* @scratch: PAGE_SIZE bytes for an object that straddles two pages. */
static inline const void *ts_zs_read_begin(struct zs_pool *pool,
					   unsigned long handle, size_t len,
					   void *scratch)
{
	return zs_obj_read_begin(pool, handle, len, scratch);
}

static inline void ts_zs_read_end(struct zs_pool *pool, unsigned long handle,
				  size_t len, const void *mem)
{
	zs_obj_read_end(pool, handle, len, (void *)mem);
}
#else
static inline unsigned long ts_zs_malloc(struct zs_pool *pool, size_t size,
					 gfp_t gfp)
{
	return zs_malloc(pool, size, gfp);
}

static inline void ts_zs_write(struct zs_pool *pool, unsigned long handle,
			       const void *src, size_t len)
{
	memcpy(zs_map_object(pool, handle, ZS_MM_WO), src, len);
	zs_unmap_object(pool, handle);
}

static inline const void *ts_zs_read_begin(struct zs_pool *pool,
					   unsigned long handle, size_t len,
					   void *scratch)
{
	return zs_map_object(pool, handle, ZS_MM_RO);
}

static inline void ts_zs_read_end(struct zs_pool *pool, unsigned long handle,
				  size_t len, const void *mem)
{
	zs_unmap_object(pool, handle);
}
#endif

#endif /* TS_COMPAT_H */
