// SPDX-License-Identifier: GPL-2.0
/*
 * sysfs.c - /sys/block/tierswapN/ attributes.  Stat files print one line of
 * space-separated columns, as zram does; Documentation/ABI/testing/
 * sysfs-block-tierswap describes each column.  Every store validates its
 * whole input before changing anything.
 */
#include <linux/kernel.h>
#include <linux/overflow.h>
#include <linux/string.h>

#include "tierswap.h"

static struct ts_dev *dev_of(struct device *d)
{
	return dev_to_disk(d)->private_data;
}

/*
 * Parse "<decimal>[KMGT]" with optional trailing newline.  Unlike
 * memparse() this rejects trailing garbage, signs and overflow.
 */
static int ts_parse_size(const char *buf, u64 *out)
{
	char num[32];
	size_t len = strcspn(buf, "\n");
	unsigned int shift = 0;
	u64 val;
	int ret;

	if (!len || len >= sizeof(num) || (buf[len] && buf[len + 1]))
		return -EINVAL;
	memcpy(num, buf, len);
	num[len] = '\0';
	switch (num[len - 1]) {
	case 'T': case 't':
		shift += 10;
		fallthrough;
	case 'G': case 'g':
		shift += 10;
		fallthrough;
	case 'M': case 'm':
		shift += 10;
		fallthrough;
	case 'K': case 'k':
		shift += 10;
		num[--len] = '\0';
		break;
	}
	if (!len || num[0] == '+')
		return -EINVAL;
	ret = kstrtou64(num, 10, &val);
	if (ret)
		return -EINVAL;
	if (check_shl_overflow(val, shift, out))
		return -EINVAL;
	return 0;
}

/*
 * A size attribute: ts_parse_size(), at most @max bytes, then rounded up
 * to a whole page.
 */
static int ts_parse_pages(const char *buf, u64 max, u64 *out)
{
	u64 val;
	int ret = ts_parse_size(buf, &val);

	if (ret)
		return ret;
	if (val > max)
		return -EINVAL;
	*out = round_up(val, PAGE_SIZE);
	return 0;
}

/**
 * DOC: disksize (read)
 *
 * Device size in bytes; 0 until initialised.
 */
static ssize_t disksize_show(struct device *d, struct device_attribute *attr,
			     char *buf)
{
	struct ts_dev *dev = dev_of(d);

	return sysfs_emit(buf, "%llu\n", READ_ONCE(dev->disksize));
}

/**
 * DOC: disksize (write)
 *
 * Set the size and initialise the device.  Accepts bytes
 * with an optional K/M/G/T suffix, rounded up to a whole page.
 *
 * Return: -EINVAL for 0, garbage or more than 1 TiB; -EBUSY if the size is
 * already set (write 1 to reset first); -ENOMEM if the slot table (about
 * 4 MiB per GiB of disksize) and the staging area together need more than
 * half of the memory available, or if the table cannot be allocated (the
 * allocation does not retry hard).  On error nothing changes.
 */
static ssize_t disksize_store(struct device *d, struct device_attribute *attr,
			      const char *buf, size_t len)
{
	struct ts_dev *dev = dev_of(d);
	u64 size;
	int ret;

	ret = ts_parse_pages(buf, TS_MAX_DISKSIZE, &size);
	if (ret)
		return ret;
	if (!size)
		return -EINVAL;

	mutex_lock(&dev->lock);
	if (dev->disksize)
		ret = -EBUSY;
	else
		ret = ts_dev_init_storage(dev, size);
	mutex_unlock(&dev->lock);
	return ret ? ret : len;
}
static DEVICE_ATTR_RW(disksize);

/**
 * DOC: initstate (read)
 *
 * 1 once disksize is set, 0 after reset.
 */
static ssize_t initstate_show(struct device *d, struct device_attribute *attr,
			      char *buf)
{
	return sysfs_emit(buf, "%d\n", !!READ_ONCE(dev_of(d)->disksize));
}
static DEVICE_ATTR_RO(initstate);

/**
 * DOC: reset (write)
 *
 * Writing 1 frees all stored pages and returns the device
 * to disksize 0.  -EBUSY while the device is open (swapon, a mount, an open
 * file descriptor) or being removed; -EINVAL for any other value.  A
 * module unload waits for a reset in progress.
 */
static ssize_t reset_store(struct device *d, struct device_attribute *attr,
			   const char *buf, size_t len)
{
	unsigned int val;
	int ret;

	ret = kstrtouint(buf, 10, &val);
	if (ret || val != 1)
		return -EINVAL;
	ret = ts_dev_reset(dev_of(d));
	return ret ? ret : len;
}
static DEVICE_ATTR_WO(reset);

#define TS_STAT(dev, name) ((u64)atomic64_read(&(dev)->stats.name))

/**
 * DOC: io_stat (read)
 *
 * One line: reads writes failed_reads failed_writes invalid_io
 * notify_free discarded; counts of 4 KiB pages or events since disksize.
 * discarded counts only slots that held data when the discard (or
 * write-zeroes) reached them.
 */
static ssize_t io_stat_show(struct device *d, struct device_attribute *attr,
			    char *buf)
{
	struct ts_dev *dev = dev_of(d);

	return sysfs_emit(buf, "%8llu %8llu %8llu %8llu %8llu %8llu %8llu\n",
			  TS_STAT(dev, reads), TS_STAT(dev, writes),
			  TS_STAT(dev, failed_reads), TS_STAT(dev, failed_writes),
			  TS_STAT(dev, invalid_io), TS_STAT(dev, notify_free),
			  TS_STAT(dev, discarded));
}
static DEVICE_ATTR_RO(io_stat);

/**
 * DOC: mm_stat (read)
 *
 * One line, zram's nine columns: orig_data_size compr_data_size
 * mem_used_total mem_limit mem_used_max same_pages pages_compacted
 * huge_pages huge_pages_since.  Bytes, except the *_pages columns.
 */
static ssize_t mm_stat_show(struct device *d, struct device_attribute *attr,
			    char *buf)
{
	struct ts_dev *dev = dev_of(d);
	struct ts_store_stats st = {};
	u64 orig = 0, stored = 0, used = 0, same = 0;
	ssize_t ret;

	mutex_lock(&dev->lock);
	if (dev->disksize) {
		orig = (u64)atomic_long_read(&dev->table.used_slots) << PAGE_SHIFT;
		stored = atomic_long_read(&dev->table.stored_bytes);
		used = ts_mem_used_bytes(dev);
		same = atomic_long_read(&dev->table.same_slots);
		ts_store_stats(dev->store, &st);
	}
	ret = sysfs_emit(buf, "%8llu %8llu %8llu %8llu %8llu %8llu %8llu %8llu %8llu\n",
			 orig, stored, used, dev->mem_limit,
			 TS_STAT(dev, max_used_bytes), same, st.pages_compacted,
			 st.huge_pages, st.huge_pages_since);
	mutex_unlock(&dev->lock);
	return ret;
}
static DEVICE_ATTR_RO(mm_stat);

/**
 * DOC: cluster_stat (read)
 *
 * One line: cluster_size (slots) clusters_total clusters_free
 * clusters_partial clusters_full.
 */
static ssize_t cluster_stat_show(struct device *d,
				 struct device_attribute *attr, char *buf)
{
	struct ts_dev *dev = dev_of(d);
	struct ts_cluster_stat st = {};
	ssize_t ret;

	mutex_lock(&dev->lock);
	if (dev->disksize)
		ts_table_cluster_stat(&dev->table, &st);
	ret = sysfs_emit(buf, "%8lu %8lu %8lu %8lu %8lu\n", TS_CLUSTER_SLOTS,
			 st.total, st.on_list[TS_LIST_FREE],
			 st.on_list[TS_LIST_PARTIAL], st.on_list[TS_LIST_FULL]);
	mutex_unlock(&dev->lock);
	return ret;
}
static DEVICE_ATTR_RO(cluster_stat);

/**
 * DOC: debug_stat (read)
 *
 * "version: 1", then deferred_frees pending_frees
 * alloc_failures unwritten_reads limit_refusals.  alloc_failures counts
 * writes that found no memory; limit_refusals the writes refused because
 * the store was at mem_limit (not counted in alloc_failures).
 */
static ssize_t debug_stat_show(struct device *d, struct device_attribute *attr,
			       char *buf)
{
	struct ts_dev *dev = dev_of(d);
	long deferred = 0, pending = 0;

	mutex_lock(&dev->lock);
	if (dev->disksize) {
		deferred = atomic_long_read(&dev->table.deferred_frees);
		pending = atomic_long_read(&dev->table.pending_frees);
	}
	mutex_unlock(&dev->lock);
	return sysfs_emit(buf, "version: 1\n%8ld %8ld %8llu %8llu %8llu\n",
			  deferred, pending, TS_STAT(dev, alloc_failures),
			  TS_STAT(dev, unwritten_reads),
			  TS_STAT(dev, limit_refusals));
}
static DEVICE_ATTR_RO(debug_stat);

/**
 * DOC: comp_algorithm (read)
 *
 * The available compression algorithms, the one in use in brackets.
 */
static ssize_t comp_algorithm_show(struct device *d,
				   struct device_attribute *attr, char *buf)
{
	struct ts_dev *dev = dev_of(d);
	ssize_t ret;

	mutex_lock(&dev->lock);
	ret = ts_comp_list(buf, dev->comp_ops->name);
	mutex_unlock(&dev->lock);
	return ret;
}

/**
 * DOC: comp_algorithm (write)
 *
 * Choose the algorithm by name before disksize is set; its parameters go
 * back to the defaults.  -EINVAL for an unknown name, -EBUSY once the
 * device is initialised.
 */
static ssize_t comp_algorithm_store(struct device *d,
				    struct device_attribute *attr,
				    const char *buf, size_t len)
{
	struct ts_dev *dev = dev_of(d);
	const struct ts_comp_ops *ops = ts_comp_find(buf);
	int ret = 0;

	if (!ops)
		return -EINVAL;
	mutex_lock(&dev->lock);
	if (dev->disksize) {
		ret = -EBUSY;
	} else {
		dev->comp_ops = ops;
		dev->comp_params.level = TS_COMP_LEVEL_DEFAULT;
	}
	mutex_unlock(&dev->lock);
	return ret ? ret : len;
}
static DEVICE_ATTR_RW(comp_algorithm);

/**
 * DOC: algorithm_params (write)
 *
 * "level=N" for the current algorithm (lz4hc, zstd), before disksize.
 * -EINVAL for anything else or a level out of the algorithm's range,
 * -EBUSY once the device is initialised.
 */
static ssize_t algorithm_params_store(struct device *d,
				      struct device_attribute *attr,
				      const char *buf, size_t len)
{
	struct ts_dev *dev = dev_of(d);
	int ret;

	mutex_lock(&dev->lock);
	if (dev->disksize)
		ret = -EBUSY;
	else
		ret = ts_comp_parse_params(dev->comp_ops, buf, &dev->comp_params);
	mutex_unlock(&dev->lock);
	return ret ? ret : len;
}
static DEVICE_ATTR_WO(algorithm_params);

/**
 * DOC: mem_limit (read)
 *
 * Bytes of RAM the store may use; 0 means no limit.
 */
static ssize_t mem_limit_show(struct device *d, struct device_attribute *attr,
			      char *buf)
{
	return sysfs_emit(buf, "%llu\n", READ_ONCE(dev_of(d)->mem_limit));
}

/**
 * DOC: mem_limit (write)
 *
 * Bytes (K/M/G/T suffixes) of RAM the store may use, at any time; 0
 * removes the limit.  Past it, writes fail and the swap core keeps the
 * pages.  -EINVAL for garbage or a value that does not round up to a
 * page below 2^64.
 */
static ssize_t mem_limit_store(struct device *d, struct device_attribute *attr,
			       const char *buf, size_t len)
{
	struct ts_dev *dev = dev_of(d);
	u64 limit;
	int ret;

	/* No limit value may round up past 2^64 to 0 (no limit). */
	ret = ts_parse_pages(buf, round_down(U64_MAX, PAGE_SIZE), &limit);
	if (ret)
		return ret;
	mutex_lock(&dev->lock);
	dev->mem_limit = limit;
	if (dev->disksize)
		ts_store_set_limit(dev->store, limit >> PAGE_SHIFT);
	mutex_unlock(&dev->lock);
	return len;
}
static DEVICE_ATTR_RW(mem_limit);

/**
 * DOC: compact (write)
 *
 * Writing 1 compacts the store's memory.  -EINVAL for any other value or
 * before disksize is set.
 */
static ssize_t compact_store(struct device *d, struct device_attribute *attr,
			     const char *buf, size_t len)
{
	struct ts_dev *dev = dev_of(d);
	unsigned int val;
	int ret = 0;

	if (kstrtouint(buf, 10, &val) || val != 1)
		return -EINVAL;
	mutex_lock(&dev->lock);
	if (dev->disksize)
		ts_store_compact(dev->store);
	else
		ret = -EINVAL;
	mutex_unlock(&dev->lock);
	return ret ? ret : len;
}
static DEVICE_ATTR_WO(compact);

/**
 * DOC: offload (read)
 *
 * 1 if writes are staged and compressed by background workers, 0 if the
 * writer compresses them itself.
 */
static ssize_t offload_show(struct device *d, struct device_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%d\n", READ_ONCE(dev_of(d)->offload));
}

/**
 * DOC: offload (write)
 *
 * "1"/"on" or "0"/"off", at any time.  Turning it off makes new writes
 * compress inline; pages already staged still drain.  -EINVAL for
 * anything else.
 */
static ssize_t offload_store(struct device *d, struct device_attribute *attr,
			     const char *buf, size_t len)
{
	struct ts_dev *dev = dev_of(d);
	bool on;

	if (sysfs_streq(buf, "1") || sysfs_streq(buf, "on"))
		on = true;
	else if (sysfs_streq(buf, "0") || sysfs_streq(buf, "off"))
		on = false;
	else
		return -EINVAL;
	mutex_lock(&dev->lock);
	dev->offload = on;
	if (dev->disksize)
		ts_store_set_offload(dev->store, on);
	mutex_unlock(&dev->lock);
	return len;
}
static DEVICE_ATTR_RW(offload);

/**
 * DOC: staging_size (read)
 *
 * Bytes of staging memory for the offload, all CPUs together.
 */
static ssize_t staging_size_show(struct device *d,
				 struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n", READ_ONCE(dev_of(d)->staging_size));
}

/**
 * DOC: staging_size (write)
 *
 * Bytes (K/M/G suffixes) of staging memory, up to 1 GiB, before disksize
 * is set; it is split evenly over the possible CPUs (rounded up to whole
 * pages per CPU) and allocated with the device.  0 disables the offload.
 * -EINVAL for garbage or more than 1 GiB, -EBUSY once initialised.
 */
static ssize_t staging_size_store(struct device *d,
				  struct device_attribute *attr,
				  const char *buf, size_t len)
{
	struct ts_dev *dev = dev_of(d);
	u64 size;
	int ret;

	ret = ts_parse_pages(buf, TS_MAX_STAGING_SIZE, &size);
	if (ret)
		return ret;
	mutex_lock(&dev->lock);
	if (dev->disksize)
		ret = -EBUSY;
	else
		dev->staging_size = size;
	mutex_unlock(&dev->lock);
	return ret ? ret : len;
}
static DEVICE_ATTR_RW(staging_size);

/**
 * DOC: offload_stat (read)
 *
 * One line: staged inline drained dropped pending staging_pages retries
 * staged_reads.  Pages since disksize, except pending (staged now) and
 * staging_pages (capacity).  The counters are read one after the other
 * while pages move: pending is a snapshot, never below 0 nor above
 * staging_pages.
 */
static ssize_t offload_stat_show(struct device *d,
				 struct device_attribute *attr, char *buf)
{
	struct ts_dev *dev = dev_of(d);
	struct ts_store_stats st = {};
	ssize_t ret;

	mutex_lock(&dev->lock);
	if (dev->disksize)
		ts_store_stats(dev->store, &st);
	ret = sysfs_emit(buf, "%8llu %8llu %8llu %8llu %8llu %8llu %8llu %8llu\n",
			 st.stage.staged, st.inline_pages, st.stage.drained,
			 st.stage.dropped, st.stage.pending, st.stage.capacity,
			 st.stage.retries, st.stage.reads);
	mutex_unlock(&dev->lock);
	return ret;
}
static DEVICE_ATTR_RO(offload_stat);

static struct attribute *ts_disk_attrs[] = {
	&dev_attr_disksize.attr,
	&dev_attr_initstate.attr,
	&dev_attr_reset.attr,
	&dev_attr_io_stat.attr,
	&dev_attr_mm_stat.attr,
	&dev_attr_cluster_stat.attr,
	&dev_attr_debug_stat.attr,
	&dev_attr_comp_algorithm.attr,
	&dev_attr_algorithm_params.attr,
	&dev_attr_mem_limit.attr,
	&dev_attr_compact.attr,
	&dev_attr_offload.attr,
	&dev_attr_staging_size.attr,
	&dev_attr_offload_stat.attr,
	NULL,
};

static const struct attribute_group ts_disk_group = {
	.attrs = ts_disk_attrs,
};

const struct attribute_group *ts_disk_groups[] = {
	&ts_disk_group,
	NULL,
};
