// SPDX-License-Identifier: GPL-2.0
/*
 * stage.c - compression offload (see stage.h for the protocol).
 *
 * Each possible CPU has a pool of per_cpu entries, each with a page of
 * staging memory allocated when the device is set up.  An entry is on its
 * pool's free list, or owned by a writer between ts_stage_put() and
 * ts_stage_queue(), or on the queue, or held by a worker.  Its @released
 * flag says whether the owner still refers to it; a worker returns it to
 * the free list only once it is set.
 *
 * Locks: each pool's lock guards its free list; queue_lock guards the
 * queue.  Neither is taken in interrupt context nor held across anything
 * else.
 */
#include <linux/err.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/vmalloc.h>
#include <linux/workqueue.h>

#include "stage.h"

/* Handle: generation | entry index | 1. */
#define TS_STAGE_IDX_BITS	24
#define TS_STAGE_IDX_MASK	(BIT(TS_STAGE_IDX_BITS) - 1)
#define TS_STAGE_GEN_SHIFT	(TS_STAGE_IDX_BITS + 1)
#define TS_STAGE_GEN_MASK	(~0UL >> TS_STAGE_GEN_SHIFT)

/*
 * Waking a worker costs more than compressing a page, so writers wake
 * workers once per TS_STAGE_BATCH queued pages (one more worker per batch
 * waiting, up to one per online CPU), and a trickle of writes is picked
 * up by a timer TS_STAGE_DELAY after the first page queued.  A worker
 * takes up to TS_STAGE_GRAB pages per visit to the queue.
 */
#define TS_STAGE_BATCH		32
#define TS_STAGE_DELAY		1		/* jiffies */
#define TS_STAGE_GRAB		8
#define TS_STAGE_RETRY_DELAY	(HZ / 50)

struct ts_stage_entry {
	struct list_head node;		/* pool free list or the queue */
	unsigned long key;		/* the owner's slot */
	unsigned long gen;		/* bumped by every ts_stage_put() */
	atomic_t released;		/* the owner no longer refers to it */
};

struct ts_stage_pool {
	spinlock_t lock;		/* free */
	struct list_head free;
	void *pages;			/* per_cpu pages, vmalloc'd */
} ____cacheline_aligned_in_smp;

struct ts_stage_worker {
	struct work_struct work;
	struct ts_stage *sg;
};

struct ts_stage {
	ts_stage_drain_fn drain;
	void *arg;
	unsigned int per_cpu;
	struct ts_stage_pool *pools;	/* nr_cpu_ids */
	struct ts_stage_entry *entries;	/* nr_cpu_ids * per_cpu */

	struct workqueue_struct *wq;
	struct ts_stage_worker *workers;
	unsigned int nr_workers;
	unsigned long max_queued;	/* past this, writers compress inline */
	struct delayed_work later;	/* trickle pick-up and retries */
	bool dying;			/* flushed: later kicks no worker */

	spinlock_t queue_lock;		/* queue, nr_queued */
	struct list_head queue;
	unsigned long nr_queued;

	atomic64_t staged;
	atomic64_t drained;
	atomic64_t dropped;
	atomic64_t retries;
	atomic64_t reads;
};

static unsigned long ts_stage_index(struct ts_stage *sg,
				    struct ts_stage_entry *e)
{
	return e - sg->entries;
}

static void *ts_stage_page(struct ts_stage *sg, struct ts_stage_entry *e)
{
	unsigned long i = ts_stage_index(sg, e);

	return sg->pools[i / sg->per_cpu].pages +
	       (i % sg->per_cpu) * PAGE_SIZE;
}

static unsigned long ts_stage_mkhandle(struct ts_stage *sg,
				       struct ts_stage_entry *e)
{
	return (e->gen & TS_STAGE_GEN_MASK) << TS_STAGE_GEN_SHIFT |
	       ts_stage_index(sg, e) << 1 | 1;
}

/* The entry @handle names, or NULL (with a warning) for a stale handle. */
static struct ts_stage_entry *ts_stage_entry(struct ts_stage *sg,
					     unsigned long handle)
{
	unsigned long i = (handle >> 1) & TS_STAGE_IDX_MASK;
	struct ts_stage_entry *e;

	if (WARN_ON_ONCE(i >= nr_cpu_ids * sg->per_cpu))
		return NULL;
	e = &sg->entries[i];
	if (WARN_ON_ONCE(ts_stage_mkhandle(sg, e) != handle))
		return NULL;
	return e;
}

static void ts_stage_kick(struct ts_stage *sg, unsigned long queued)
{
	unsigned int i, want = max(1UL, queued / TS_STAGE_BATCH);

	want = min(want, sg->nr_workers);
	for (i = 0; i < want; i++)
		queue_work(sg->wq, &sg->workers[i].work);
}

static void ts_stage_recycle(struct ts_stage *sg, struct ts_stage_entry *e)
{
	struct ts_stage_pool *pool;

	pool = &sg->pools[ts_stage_index(sg, e) / sg->per_cpu];
	spin_lock(&pool->lock);
	list_add(&e->node, &pool->free);
	spin_unlock(&pool->lock);
}

/* Move up to TS_STAGE_GRAB entries from the queue's head to @batch. */
static bool ts_stage_grab(struct ts_stage *sg, struct list_head *batch)
{
	struct ts_stage_entry *e, *next;
	unsigned int n = 0;

	spin_lock(&sg->queue_lock);
	list_for_each_entry_safe(e, next, &sg->queue, node) {
		list_move_tail(&e->node, batch);
		if (++n == TS_STAGE_GRAB)
			break;
	}
	sg->nr_queued -= n;
	spin_unlock(&sg->queue_lock);
	return n;
}

/* Give a failed drain's entries back to the queue's head; retry later. */
static void ts_stage_requeue(struct ts_stage *sg, struct list_head *batch)
{
	struct ts_stage_entry *e;
	unsigned int n = 0;

	list_for_each_entry(e, batch, node)
		n++;
	spin_lock(&sg->queue_lock);
	list_splice(batch, &sg->queue);
	sg->nr_queued += n;
	spin_unlock(&sg->queue_lock);
	atomic64_inc(&sg->retries);
	if (!READ_ONCE(sg->dying))
		queue_delayed_work(sg->wq, &sg->later, TS_STAGE_RETRY_DELAY);
}

static void ts_stage_work(struct work_struct *work)
{
	struct ts_stage *sg = container_of(work, struct ts_stage_worker,
					   work)->sg;
	unsigned int noio = memalloc_noio_save();
	struct ts_stage_entry *e;
	LIST_HEAD(batch);

	while (ts_stage_grab(sg, &batch)) {
		while ((e = list_first_entry_or_null(&batch,
						     struct ts_stage_entry,
						     node))) {
			if (atomic_read(&e->released)) {
				atomic64_inc(&sg->dropped);
			} else {
				if (sg->drain(sg->arg, ts_stage_page(sg, e),
					      e->key, ts_stage_mkhandle(sg, e))) {
					ts_stage_requeue(sg, &batch);
					goto out;
				}
				atomic64_inc(&sg->drained);
				/* drain() released it, or the owner had. */
				if (WARN_ON_ONCE(!atomic_read(&e->released))) {
					list_del(&e->node);
					continue;	/* leak, never reuse */
				}
			}
			list_del(&e->node);
			ts_stage_recycle(sg, e);
		}
		cond_resched();
	}
out:
	memalloc_noio_restore(noio);
}

static void ts_stage_later(struct work_struct *work)
{
	struct ts_stage *sg = container_of(to_delayed_work(work),
					   struct ts_stage, later);
	unsigned long queued = READ_ONCE(sg->nr_queued);

	/* Armed by a retry that raced with ts_stage_flush(): start nothing. */
	if (queued && !READ_ONCE(sg->dying))
		ts_stage_kick(sg, queued);
}

/**
 * ts_stage_put() - copy a page into this CPU's staging pool.
 * @sg: staging area
 * @src: PAGE_SIZE bytes
 * @key: given back to drain()
 * @handle: set to the staged handle
 *
 * Never sleeps.  The caller installs *@handle, then calls
 * ts_stage_queue(); until then no worker sees the page.
 *
 * Return: false if the pool is full (compress inline instead).
 */
bool ts_stage_put(struct ts_stage *sg, const void *src, unsigned long key,
		  unsigned long *handle)
{
	struct ts_stage_pool *pool = &sg->pools[raw_smp_processor_id()];
	struct ts_stage_entry *e;

	if (READ_ONCE(sg->nr_queued) >= sg->max_queued)
		return false;	/* the workers are behind: help */
	spin_lock(&pool->lock);
	e = list_first_entry_or_null(&pool->free, struct ts_stage_entry, node);
	if (e)
		list_del(&e->node);
	spin_unlock(&pool->lock);
	if (!e)
		return false;
	memcpy(ts_stage_page(sg, e), src, PAGE_SIZE);
	e->key = key;
	e->gen++;
	atomic_set(&e->released, 0);
	*handle = ts_stage_mkhandle(sg, e);
	atomic64_inc(&sg->staged);
	return true;
}

/* Hand an installed staged page to the workers. */
void ts_stage_queue(struct ts_stage *sg, unsigned long handle)
{
	struct ts_stage_entry *e = ts_stage_entry(sg, handle);
	unsigned long queued;

	if (!e)
		return;
	WARN_ON_ONCE(READ_ONCE(sg->dying));	/* queued after the flush */
	spin_lock(&sg->queue_lock);
	list_add_tail(&e->node, &sg->queue);
	queued = ++sg->nr_queued;
	spin_unlock(&sg->queue_lock);
	if (queued % TS_STAGE_BATCH == 0)
		ts_stage_kick(sg, queued);
	else if (queued == 1)
		queue_delayed_work(sg->wq, &sg->later, TS_STAGE_DELAY);
}

/*
 * Copy a staged page out; the owner's lock keeps @handle installed.
 * Return: 0, or -EIO for a stale handle.
 */
int ts_stage_read(struct ts_stage *sg, unsigned long handle, void *dst)
{
	struct ts_stage_entry *e = ts_stage_entry(sg, handle);

	if (!e)
		return -EIO;
	memcpy(dst, ts_stage_page(sg, e), PAGE_SIZE);
	atomic64_inc(&sg->reads);
	return 0;
}

/* The owner dropped @handle: atomic context safe, never waits. */
void ts_stage_release(struct ts_stage *sg, unsigned long handle)
{
	struct ts_stage_entry *e = ts_stage_entry(sg, handle);

	if (e)
		WARN_ON_ONCE(atomic_xchg(&e->released, 1));
}

/*
 * Wait for running and queued work; afterwards no worker calls drain()
 * again, so the owner may go away.  Pages a failed drain left queued stay
 * staged.  Afterwards only ts_stage_release() (the owner dropping its
 * handles) and then ts_stage_destroy() may follow: no put or queue.
 *
 * A worker whose drain fails re-arms @later, and @later starts workers:
 * once @dying is set, a @later that runs starts none.  The first cancel
 * waits for a @later that may have missed @dying and started workers; the
 * flushes then wait for those; the last cancel drops a retry armed since.
 */
void ts_stage_flush(struct ts_stage *sg)
{
	unsigned int i;

	WRITE_ONCE(sg->dying, true);
	smp_mb();	/* a @later run after the cancel below sees @dying */
	cancel_delayed_work_sync(&sg->later);
	for (i = 0; i < sg->nr_workers; i++)
		flush_work(&sg->workers[i].work);
	cancel_delayed_work_sync(&sg->later);
}

void ts_stage_stats(struct ts_stage *sg, struct ts_stage_stats *stats)
{
	u64 done;

	/*
	 * A page is counted staged before a worker can see it, so staged read
	 * after drained and dropped is at least their sum: pending cannot go
	 * below 0.  Pages staged and drained between the reads can push it
	 * past what staging holds, hence the clamp.
	 */
	stats->drained = atomic64_read(&sg->drained);
	stats->dropped = atomic64_read(&sg->dropped);
	smp_rmb();	/* pairs with the lock release in ts_stage_queue() */
	stats->staged = atomic64_read(&sg->staged);
	stats->retries = atomic64_read(&sg->retries);
	stats->reads = atomic64_read(&sg->reads);
	stats->capacity = (u64)nr_cpu_ids * sg->per_cpu;
	done = stats->drained + stats->dropped;
	stats->pending = ts_stage_pending(stats->staged, done, stats->capacity);
}

/* Free what ts_stage_create() allocated; no work may be queued. */
static void ts_stage_free(struct ts_stage *sg)
{
	unsigned int cpu;

	if (sg->wq)
		destroy_workqueue(sg->wq);
	if (sg->pools)
		for (cpu = 0; cpu < nr_cpu_ids; cpu++)
			vfree(sg->pools[cpu].pages);
	kfree(sg->workers);
	kvfree(sg->entries);
	kfree(sg->pools);
	kfree(sg);
}

/**
 * ts_stage_create() - allocate a staging area and its workers.
 * @name: names the workqueue (the device's name)
 * @per_cpu: pages of staging per possible CPU, > 0
 * @drain: stores a staged page (see ts_stage_drain_fn)
 * @arg: passed to @drain
 *
 * Return: the staging area or an ERR_PTR.
 */
struct ts_stage *ts_stage_create(const char *name, unsigned int per_cpu,
				 ts_stage_drain_fn drain, void *arg)
{
	struct ts_stage *sg;
	unsigned int cpu, i;

	if (!per_cpu || (u64)nr_cpu_ids * per_cpu > TS_STAGE_IDX_MASK)
		return ERR_PTR(-EINVAL);
	sg = kzalloc(sizeof(*sg), GFP_KERNEL);
	if (!sg)
		return ERR_PTR(-ENOMEM);
	sg->drain = drain;
	sg->arg = arg;
	sg->per_cpu = per_cpu;
	spin_lock_init(&sg->queue_lock);
	INIT_LIST_HEAD(&sg->queue);
	INIT_DELAYED_WORK(&sg->later, ts_stage_later);
	sg->pools = kcalloc(nr_cpu_ids, sizeof(*sg->pools), GFP_KERNEL);
	sg->entries = kvcalloc((size_t)nr_cpu_ids * per_cpu,
			       sizeof(*sg->entries), GFP_KERNEL);
	/* The writer keeps one CPU busy; the others can compress. */
	sg->nr_workers = max(1U, num_online_cpus() - 1);
	sg->max_queued = 2 * TS_STAGE_BATCH * sg->nr_workers;
	sg->workers = kcalloc(sg->nr_workers, sizeof(*sg->workers),
			      GFP_KERNEL);
	sg->wq = alloc_workqueue("%s_stage", WQ_UNBOUND | WQ_MEM_RECLAIM, 0,
				 name);
	if (!sg->pools || !sg->entries || !sg->workers || !sg->wq)
		goto fail;
	for (i = 0; i < sg->nr_workers; i++) {
		INIT_WORK(&sg->workers[i].work, ts_stage_work);
		sg->workers[i].sg = sg;
	}
	for (cpu = 0; cpu < nr_cpu_ids; cpu++) {
		struct ts_stage_pool *pool = &sg->pools[cpu];

		spin_lock_init(&pool->lock);
		INIT_LIST_HEAD(&pool->free);
		if (!cpu_possible(cpu))
			continue;
		pool->pages = vmalloc_node((size_t)per_cpu * PAGE_SIZE,
					   cpu_to_node(cpu));
		if (!pool->pages)
			goto fail;
		for (i = 0; i < per_cpu; i++)
			list_add_tail(&sg->entries[cpu * per_cpu + i].node,
				      &pool->free);
	}
	return sg;

fail:
	/* Nothing was queued: free without flushing (workers may be unset). */
	ts_stage_free(sg);
	return ERR_PTR(-ENOMEM);
}

/* Free everything; no ts_stage_*() call may run or follow. */
void ts_stage_destroy(struct ts_stage *sg)
{
	ts_stage_flush(sg);
	ts_stage_free(sg);
}
