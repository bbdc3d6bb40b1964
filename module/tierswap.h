/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tierswap.h - the device structure shared by the module's files:
 *   main.c   module init/exit, device add/remove, tierswap-control class
 *   blk.c    block operations: bios, ->rw_page (6.1), slot free notify
 *   sysfs.c  /sys/block/tierswapN/ attributes
 *   cluster.c  slot table (clusters, lists, deferred frees)
 *   store.c    page contents: compression, zsmalloc, memory limit
 *   stage.c    compression offload: staging pages and workers
 *   comp.c     compression algorithms and per-CPU streams
 *   backend_*.c  one compression library each
 */
#ifndef TS_TIERSWAP_H
#define TS_TIERSWAP_H

#include <linux/blkdev.h>
#include <linux/mutex.h>
#include <linux/workqueue.h>

#include "compat.h"
#include "cluster.h"
#include "store.h"

#define TS_SECTORS_PER_SLOT_SHIFT	(PAGE_SHIFT - SECTOR_SHIFT)
#define TS_SECTORS_PER_SLOT		BIT(TS_SECTORS_PER_SLOT_SHIFT)
#define TS_MAX_DISKSIZE			BIT_ULL(40)	/* 1 TiB */
#define TS_MAX_DEVICES			256
#define TS_DEFAULT_COMP			"lz4"
/*
 * Pages of staging per CPU by default: the queue holds at most 64 pages
 * per worker before writers compress inline (stage.c), so a writer rarely
 * has more than that staged.
 */
#define TS_STAGE_DEFAULT_PER_CPU	64	/* 256 KiB */
#define TS_MAX_STAGING_SIZE		BIT_ULL(30)	/* 1 GiB */

/* Counters shown in io_stat and debug_stat (pages unless noted). */
struct ts_stats {
	atomic64_t reads;
	atomic64_t writes;
	atomic64_t failed_reads;
	atomic64_t failed_writes;
	atomic64_t invalid_io;		/* bios out of range or misaligned */
	atomic64_t notify_free;		/* swap_slot_free_notify calls */
	atomic64_t discarded;		/* slots freed by discard/write-zeroes */
	atomic64_t alloc_failures;	/* writes failed for lack of memory */
	atomic64_t unwritten_reads;	/* reads of slots holding nothing */
	atomic64_t max_used_bytes;	/* mm_stat mem_used_max */
	atomic64_t limit_refusals;	/* writes refused at mem_limit */
};

/**
 * struct ts_dev - one /dev/tierswapN.
 * @id: N
 * @disk: the gendisk; disk->private_data points back here
 * @lock: serialises disksize, reset and the attributes reading @table
 * @disksize: bytes; 0 until initialised (initstate)
 * @claim: set under disk->open_mutex while reset or removal runs; open fails
 * @table: slot table, valid while @disksize != 0
 * @store: page store, valid while @disksize != 0
 * @comp_ops: compression algorithm used from the next disksize on
 * @comp_params: its parameters (algorithm_params)
 * @mem_limit: bytes of store memory allowed; 0 for no limit
 * @offload: compress writes in background workers (staging)
 * @staging_size: bytes of staging, all CPUs, from the next disksize on
 * @reap_work: applies frees that free notify had to defer
 * @stats: counters
 */
struct ts_dev {
	int id;
	struct gendisk *disk;
	struct mutex lock;		/* see @lock above */
	u64 disksize;
	bool claim;
	struct ts_table table;
	struct ts_store *store;
	const struct ts_comp_ops *comp_ops;
	struct ts_comp_params comp_params;
	u64 mem_limit;
	bool offload;
	u64 staging_size;
	struct work_struct reap_work;
	struct ts_stats stats;
};

extern const struct block_device_operations ts_fops;
extern const struct attribute_group *ts_disk_groups[];

int ts_dev_init_storage(struct ts_dev *dev, u64 disksize);
int ts_dev_reset(struct ts_dev *dev);
void ts_reap_work(struct work_struct *work);
int ts_blk_init(void);
void ts_blk_exit(void);
u64 ts_mem_used_bytes(struct ts_dev *dev);
void ts_update_max_used(struct ts_dev *dev);

/* Pages of staging per possible CPU for @bytes in all (0: none). */
static inline unsigned int ts_stage_per_cpu(u64 bytes)
{
	return DIV_ROUND_UP_ULL(bytes >> PAGE_SHIFT, nr_cpu_ids);
}

#endif /* TS_TIERSWAP_H */
