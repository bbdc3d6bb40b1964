// SPDX-License-Identifier: GPL-2.0
/*
 * blk.c - block operations of a tierswap device.
 *
 * A page travels: submit_bio (or ->rw_page on 6.1) -> ts_write_slot() ->
 * same-filled check or ts_store_put() -> ts_slot_set() under the cluster
 * lock -> ts_store_queue() (a staged page may now be compressed).  Reads
 * look the slot up under the cluster lock and copy the page out while
 * holding it, so a concurrent overwrite or free cannot release the storage
 * underneath.  Never-written and freed slots read as zeros.
 *
 * Context: submit_bio and rw_page run in the submitter's process context,
 * often reclaim (PF_MEMALLOC): allocations are GFP_NOIO and may fail, which
 * fails the I/O cleanly.  swap_slot_free_notify runs in atomic context with
 * interrupts possibly disabled: it only trylocks (cluster.c) and defers to
 * ts_reap_work on contention.
 */
#include <linux/bio.h>
#include <linux/highmem.h>
#include <linux/module.h>
#include <linux/pagemap.h>

#include "tierswap.h"

static struct workqueue_struct *ts_wq;

/* A page whose words all equal the first; *word gets that word. */
static bool ts_page_same_filled(const void *mem, unsigned long *word)
{
	const unsigned long *p = mem;
	unsigned int i, n = PAGE_SIZE / sizeof(*p);

	for (i = 1; i < n; i++)
		if (p[i] != p[0])
			return false;
	*word = p[0];
	return true;
}

static int ts_read_slot(struct ts_dev *dev, unsigned long slot, void *dst)
{
	struct ts_cluster *c = ts_cluster_lock(&dev->table, slot);
	const struct ts_slot *s = ts_slot_peek(c, slot);
	int ret = 0;

	if (!(s->flags & TS_SLOT_USED)) {
		memset(dst, 0, PAGE_SIZE);
		atomic64_inc(&dev->stats.unwritten_reads);
	} else if (s->flags & TS_SLOT_SAME) {
		memset_l(dst, s->handle, PAGE_SIZE / sizeof(unsigned long));
	} else {
		ret = ts_store_get(dev->store, s->handle, s->size, dst);
	}
	ts_cluster_unlock(c);
	return ret;
}

/* Raise mm_stat's mem_used_max to the current use if that is higher. */
void ts_update_max_used(struct ts_dev *dev)
{
	u64 used = ts_mem_used_bytes(dev);
	s64 max = atomic64_read(&dev->stats.max_used_bytes);

	while (used > max) {
		s64 old = atomic64_cmpxchg(&dev->stats.max_used_bytes, max, used);

		if (old == max)
			break;
		max = old;
	}
}

static int ts_write_slot(struct ts_dev *dev, unsigned long slot,
			 const void *src)
{
	struct ts_slot new = { .flags = TS_SLOT_USED };
	struct ts_cluster *c;
	int ret;

	if (ts_page_same_filled(src, &new.handle)) {
		new.flags |= TS_SLOT_SAME;
	} else {
		ret = ts_store_put(dev->store, src, slot, &new.handle,
				   &new.size);
		if (ret) {
			/* Either way the write fails as it always did: -ENOMEM. */
			atomic64_inc(ret == -ENOSPC ? &dev->stats.limit_refusals :
						      &dev->stats.alloc_failures);
			return -ENOMEM;
		}
	}
	c = ts_cluster_lock(&dev->table, slot);
	ts_slot_set(&dev->table, c, slot, &new);
	ts_cluster_unlock(c);
	if (!(new.flags & TS_SLOT_SAME))
		ts_store_queue(dev->store, new.handle);
	ts_update_max_used(dev);
	return 0;
}

/* Read or write one whole slot from/to @page. */
static int ts_rw_page_slot(struct ts_dev *dev, unsigned long slot,
			   struct page *page, bool write)
{
	void *mem = kmap_local_page(page);
	int ret = 0;

	if (write)
		ret = ts_write_slot(dev, slot, mem);
	else
		ret = ts_read_slot(dev, slot, mem);
	kunmap_local(mem);
	return ret;
}

/*
 * A segment that covers part of a slot (a bio vector not aligned to a
 * page: O_DIRECT buffers need only 512-byte alignment).  Writes are
 * read-modify-write through a bounce page.
 */
static int ts_rw_partial(struct ts_dev *dev, unsigned long slot,
			 unsigned int off, struct bio_vec *bv, bool write)
{
	struct page *bounce = alloc_page(GFP_NOIO | __GFP_NOWARN);
	void *mem;
	int ret = 0;

	if (!bounce) {
		atomic64_inc(&dev->stats.alloc_failures);
		return -ENOMEM;
	}
	mem = kmap_local_page(bounce);
	ret = ts_read_slot(dev, slot, mem);
	if (ret)
		goto out;
	if (write) {
		memcpy_from_page(mem + off, bv->bv_page, bv->bv_offset, bv->bv_len);
		ret = ts_write_slot(dev, slot, mem);
	} else {
		memcpy_to_page(bv->bv_page, bv->bv_offset, mem + off, bv->bv_len);
	}
out:
	kunmap_local(mem);
	__free_page(bounce);
	return ret;
}

static bool ts_bio_in_range(struct ts_dev *dev, struct bio *bio)
{
	sector_t end = bio_end_sector(bio);

	return end >= bio->bi_iter.bi_sector && end <= get_capacity(dev->disk);
}

static void ts_bio_rw(struct ts_dev *dev, struct bio *bio)
{
	bool write = op_is_write(bio_op(bio));
	struct bvec_iter iter = bio->bi_iter;
	unsigned long start = bio_start_io_acct(bio);

	do {
		unsigned long slot = iter.bi_sector >> TS_SECTORS_PER_SLOT_SHIFT;
		unsigned int off = (iter.bi_sector & (TS_SECTORS_PER_SLOT - 1)) <<
				   SECTOR_SHIFT;
		struct bio_vec bv = bio_iter_iovec(bio, iter);
		int ret;

		bv.bv_len = min_t(u32, bv.bv_len, PAGE_SIZE - off);
		if (bv.bv_len == PAGE_SIZE)
			ret = ts_rw_page_slot(dev, slot, bv.bv_page, write);
		else
			ret = ts_rw_partial(dev, slot, off, &bv, write);
		if (ret) {
			atomic64_inc(write ? &dev->stats.failed_writes :
					     &dev->stats.failed_reads);
			bio->bi_status = errno_to_blk_status(ret);
			break;
		}
		atomic64_inc(write ? &dev->stats.writes : &dev->stats.reads);
		bio_advance_iter_single(bio, &iter, bv.bv_len);
	} while (iter.bi_size);

	bio_end_io_acct(bio, start);
	bio_endio(bio);
}

/* Discard and write-zeroes: free every whole slot in the range. */
static void ts_bio_discard(struct ts_dev *dev, struct bio *bio)
{
	sector_t sector = bio->bi_iter.bi_sector;
	u32 size = bio->bi_iter.bi_size;
	unsigned long slot, start;

	if ((sector & (TS_SECTORS_PER_SLOT - 1)) || (size & (PAGE_SIZE - 1))) {
		atomic64_inc(&dev->stats.invalid_io);
		bio_io_error(bio);
		return;
	}
	/* /sys/block/X/stat counts every discard, empty slots or not. */
	start = bio_start_io_acct(bio);
	for (slot = sector >> TS_SECTORS_PER_SLOT_SHIFT; size;
	     slot++, size -= PAGE_SIZE) {
		struct ts_cluster *c = ts_cluster_lock(&dev->table, slot);
		bool freed = ts_slot_clear(&dev->table, c, slot);

		ts_cluster_unlock(c);
		if (freed)
			atomic64_inc(&dev->stats.discarded);
		/* A discard may span the whole device (swapon --discard). */
		if ((slot & (TS_CLUSTER_SLOTS - 1)) == TS_CLUSTER_SLOTS - 1)
			cond_resched();
	}
	bio_end_io_acct(bio, start);
	bio_endio(bio);
}

static void ts_submit_bio(struct bio *bio)
{
	struct ts_dev *dev = bio->bi_bdev->bd_disk->private_data;

	if (!ts_bio_in_range(dev, bio)) {
		atomic64_inc(&dev->stats.invalid_io);
		bio_io_error(bio);
		return;
	}
	switch (bio_op(bio)) {
	case REQ_OP_READ:
	case REQ_OP_WRITE:
		if (bio->bi_iter.bi_size)
			ts_bio_rw(dev, bio);
		else
			bio_endio(bio);
		break;
	case REQ_OP_DISCARD:
	case REQ_OP_WRITE_ZEROES:
		ts_bio_discard(dev, bio);
		break;
	default:
		atomic64_inc(&dev->stats.invalid_io);
		bio_io_error(bio);
	}
}

#if TS_HAVE_RW_PAGE
/*
 * 6.1 only: the swap core marks a device SWP_SYNCHRONOUS_IO when it has
 * ->rw_page, and then reads and writes single pages through it.  A THP is
 * refused here; the caller falls back to a bio.  On error we return it
 * without page_endio(): the caller then retries through submit_bio.
 */
static int ts_rw_page(struct block_device *bdev, sector_t sector,
		      struct page *page, enum req_op op)
{
	struct ts_dev *dev = bdev->bd_disk->private_data;
	bool write = op_is_write(op);
	unsigned long start;
	int ret;

	if (PageTransHuge(page))
		return -EOPNOTSUPP;
	if ((sector & (TS_SECTORS_PER_SLOT - 1)) ||
	    sector + TS_SECTORS_PER_SLOT > get_capacity(bdev->bd_disk)) {
		atomic64_inc(&dev->stats.invalid_io);
		return -EINVAL;
	}
	start = ts_rw_page_acct_start(bdev, op);
	ret = ts_rw_page_slot(dev, sector >> TS_SECTORS_PER_SLOT_SHIFT, page,
			      write);
	ts_rw_page_acct_end(bdev, op, start);
	if (ret) {
		atomic64_inc(write ? &dev->stats.failed_writes :
				     &dev->stats.failed_reads);
		return ret;
	}
	atomic64_inc(write ? &dev->stats.writes : &dev->stats.reads);
	page_endio(page, write, 0);
	return 0;
}
#endif

/* Atomic context, interrupts possibly off: never sleep, never spin. */
static void ts_swap_slot_free_notify(struct block_device *bdev,
				     unsigned long slot)
{
	struct ts_dev *dev = bdev->bd_disk->private_data;

	atomic64_inc(&dev->stats.notify_free);
	if (slot >= dev->table.nr_slots) {
		atomic64_inc(&dev->stats.invalid_io);
		return;
	}
	if (!ts_table_free_notify(&dev->table, slot))
		queue_work(ts_wq, &dev->reap_work);
}

void ts_reap_work(struct work_struct *work)
{
	struct ts_dev *dev = container_of(work, struct ts_dev, reap_work);

	ts_table_reap(&dev->table);
}

static int ts_open(TS_OPEN_ARGS)
{
	struct ts_dev *dev = TS_OPEN_DISK->private_data;

	lockdep_assert_held(&TS_OPEN_DISK->open_mutex);
	return dev->claim ? -EBUSY : 0;
}

const struct block_device_operations ts_fops = {
	.owner			= THIS_MODULE,
	.open			= ts_open,
	.submit_bio		= ts_submit_bio,
#if TS_HAVE_RW_PAGE
	.rw_page		= ts_rw_page,
#endif
	.swap_slot_free_notify	= ts_swap_slot_free_notify,
};

int ts_blk_init(void)
{
	ts_wq = alloc_workqueue("tierswap", WQ_MEM_RECLAIM | WQ_UNBOUND, 0);
	return ts_wq ? 0 : -ENOMEM;
}

void ts_blk_exit(void)
{
	destroy_workqueue(ts_wq);
}
