// SPDX-License-Identifier: GPL-2.0
/*
 * main.c - module init/exit and the life of a device: creation (module
 * load, hot_add), initialisation (disksize), reset, and removal (hot_remove,
 * module unload).
 *
 * Locks: ts_index_lock guards the id -> device map and serialises add and
 * remove; dev->lock serialises disksize, reset and attribute reads of the
 * table; disk->open_mutex with dev->claim keeps a device from being opened
 * while it is reset or removed, and from being reset or removed while open.
 */
#include <linux/idr.h>
#include <linux/mm.h>
#include <linux/module.h>

#include "tierswap.h"

static unsigned int num_devices = 1;
module_param(num_devices, uint, 0444);
MODULE_PARM_DESC(num_devices, "Number of devices created at load (default 1)");

static int ts_major;
static DEFINE_IDR(ts_index);
static DEFINE_MUTEX(ts_index_lock);

static void ts_release_slot(void *arg, const struct ts_slot *old)
{
	struct ts_dev *dev = arg;

	ts_store_free(dev->store, old->handle, old->size);
}

/* The store compressed a staged page: install it if the slot kept it. */
static bool ts_commit_slot(void *owner, unsigned long slot, unsigned long old,
			   unsigned long handle, u32 size)
{
	struct ts_dev *dev = owner;
	struct ts_slot new = { .handle = handle, .size = size,
			       .flags = TS_SLOT_USED };
	struct ts_cluster *c = ts_cluster_lock(&dev->table, slot);
	bool done = ts_slot_replace(&dev->table, c, slot, old, &new);

	ts_cluster_unlock(c);
	if (done)
		ts_update_max_used(dev);
	return done;
}

/* RAM the device uses: stored pages plus the slot table. */
u64 ts_mem_used_bytes(struct ts_dev *dev)
{
	return (ts_store_pages(dev->store) << PAGE_SHIFT) +
	       ts_table_meta_bytes(&dev->table);
}

/**
 * ts_dev_init_storage() - give an uninitialised device its size.
 * @dev: device, dev->lock held, dev->disksize == 0
 * @disksize: bytes, a multiple of PAGE_SIZE
 *
 * Return: 0, or -ENOMEM (also when the slot table and the staging area
 * together need more than half the memory available); on error the
 * device is left uninitialised.
 */
int ts_dev_init_storage(struct ts_dev *dev, u64 disksize)
{
	struct ts_store_config cfg = {
		.ops = dev->comp_ops,
		.params = dev->comp_params,
		.stage_per_cpu = ts_stage_per_cpu(dev->staging_size),
		.offload = dev->offload,
		.commit = ts_commit_slot,
		.owner = dev,
	};
	u64 need;
	int ret;

	lockdep_assert_held(&dev->lock);
	/*
	 * Taking most of the memory that could be made free, even with
	 * __GFP_NORETRY, drains RAM to the floor on the way (others then
	 * meet the OOM killer), and the staging area is allocated too:
	 * refuse when both together need more than half of it.
	 */
	need = ts_table_bytes(disksize >> PAGE_SHIFT) +
	       ((u64)nr_cpu_ids * cfg.stage_per_cpu << PAGE_SHIFT);
	if (need >> PAGE_SHIFT > si_mem_available() / 2)
		return -ENOMEM;
	dev->store = ts_store_create(dev->disk->disk_name, &cfg);
	if (IS_ERR(dev->store)) {
		ret = PTR_ERR(dev->store);
		dev->store = NULL;
		return ret;
	}
	ts_store_set_limit(dev->store, dev->mem_limit >> PAGE_SHIFT);
	ret = ts_table_init(&dev->table, disksize >> PAGE_SHIFT,
			    ts_release_slot, dev);
	if (ret) {
		ts_store_destroy(dev->store);
		dev->store = NULL;
		return ret;
	}
	memset(&dev->stats, 0, sizeof(dev->stats));
	dev->disksize = disksize;
	set_capacity_and_notify(dev->disk, disksize >> SECTOR_SHIFT);
	return 0;
}

/* Free all storage; the device must be claimed (not open). */
static void ts_dev_free_storage(struct ts_dev *dev)
{
	WARN_ON_ONCE(!dev->claim);
	mutex_lock(&dev->lock);
	if (dev->disksize) {
		set_capacity_and_notify(dev->disk, 0);
		cancel_work_sync(&dev->reap_work);
		ts_store_flush(dev->store);	/* no commit after this */
		ts_table_destroy(&dev->table);
		ts_store_destroy(dev->store);
		dev->store = NULL;
		dev->disksize = 0;
	}
	mutex_unlock(&dev->lock);
}

/* Keep the device from being opened; -EBUSY if it is open or claimed. */
static int ts_dev_claim(struct ts_dev *dev)
{
	int ret = 0;

	mutex_lock(&dev->disk->open_mutex);
	if (disk_openers(dev->disk) || dev->claim)
		ret = -EBUSY;
	else
		dev->claim = true;
	mutex_unlock(&dev->disk->open_mutex);
	return ret;
}

/**
 * ts_dev_reset() - free everything and return to the uninitialised state.
 * @dev: device
 *
 * Return: 0, or -EBUSY while the device is open (e.g. swapon).
 */
int ts_dev_reset(struct ts_dev *dev)
{
	int ret = ts_dev_claim(dev);

	if (ret)
		return ret;
	ts_dev_free_storage(dev);
	mutex_lock(&dev->disk->open_mutex);
	dev->claim = false;
	mutex_unlock(&dev->disk->open_mutex);
	return 0;
}

/*
 * Delete the disk and free the device.  del_gendisk() removes the disk's
 * attributes and waits for any store still running in them (a reset), and
 * waits for I/O in flight; afterwards the disk can no longer be opened.
 */
static void ts_dev_destroy(struct ts_dev *dev)
{
	del_gendisk(dev->disk);
	mutex_lock(&dev->disk->open_mutex);
	dev->claim = true;
	mutex_unlock(&dev->disk->open_mutex);
	ts_dev_free_storage(dev);
	pr_info("removed device %s\n", dev->disk->disk_name);
	put_disk(dev->disk);
	kfree(dev);
}

static int ts_add(void)
{
	struct ts_dev *dev;
	int ret, id;

	dev = kzalloc(sizeof(*dev), GFP_KERNEL);
	if (!dev)
		return -ENOMEM;
	/*
	 * Reserve the id with no device behind it: until idr_replace() below,
	 * hot_remove and unload find nothing under it (-ENODEV), so they
	 * never see a device without its disk or free one being built.
	 */
	mutex_lock(&ts_index_lock);
	id = idr_alloc(&ts_index, NULL, 0, TS_MAX_DEVICES, GFP_KERNEL);
	mutex_unlock(&ts_index_lock);
	if (id < 0) {
		ret = id == -ENOSPC ? -EBUSY : id;
		goto free_dev;
	}
	dev->id = id;
	mutex_init(&dev->lock);
	dev->comp_ops = ts_comp_find(TS_DEFAULT_COMP);
	dev->comp_params.level = TS_COMP_LEVEL_DEFAULT;
	dev->offload = true;
	dev->staging_size = (u64)nr_cpu_ids * TS_STAGE_DEFAULT_PER_CPU *
			    PAGE_SIZE;
	INIT_WORK(&dev->reap_work, ts_reap_work);

	dev->disk = ts_alloc_disk();
	if (IS_ERR(dev->disk)) {
		ret = PTR_ERR(dev->disk);
		goto free_id;
	}
	dev->disk->major = ts_major;
	dev->disk->first_minor = id;
	dev->disk->minors = 1;
	dev->disk->flags |= GENHD_FL_NO_PART;
	dev->disk->fops = &ts_fops;
	dev->disk->private_data = dev;
	snprintf(dev->disk->disk_name, DISK_NAME_LEN, "tierswap%d", id);
	set_capacity(dev->disk, 0);
	ret = device_add_disk(NULL, dev->disk, ts_disk_groups);
	if (ret)
		goto put_disk;
	pr_info("added device %s\n", dev->disk->disk_name);
	/*
	 * Publish; from here on hot_remove may free @dev at any time.  The
	 * reservation cannot be gone: a failed load and unload unregister
	 * the class (and wait for this hot_add) before removing devices.
	 */
	mutex_lock(&ts_index_lock);
	if (WARN_ON(IS_ERR(idr_replace(&ts_index, dev, id)))) {
		mutex_unlock(&ts_index_lock);
		ts_dev_destroy(dev);	/* its attributes were live: no id */
		return -ENODEV;
	}
	mutex_unlock(&ts_index_lock);
	return id;

put_disk:
	put_disk(dev->disk);
free_id:
	mutex_lock(&ts_index_lock);
	idr_remove(&ts_index, id);
	mutex_unlock(&ts_index_lock);
free_dev:
	kfree(dev);
	return ret;
}

/* Unpublish and free the device; ts_index_lock held. */
static void ts_dev_delete(struct ts_dev *dev)
{
	lockdep_assert_held(&ts_index_lock);
	idr_remove(&ts_index, dev->id);
	ts_dev_destroy(dev);
}

/* hot_remove; ts_index_lock held.  -EBUSY while open or being reset. */
static int ts_remove(struct ts_dev *dev)
{
	int ret;

	lockdep_assert_held(&ts_index_lock);
	ret = ts_dev_claim(dev);
	if (ret)
		return ret;
	ts_dev_delete(dev);
	return 0;
}

/**
 * DOC: hot_add (read)
 *
 * /sys/class/tierswap-control/hot_add: reading creates a
 * new device and prints its id.
 */
static ssize_t hot_add_show(TS_CLASS_ATTR_ARGS, char *buf)
{
	int id = ts_add();

	if (id < 0)
		return id;
	return sysfs_emit(buf, "%d\n", id);
}

static struct class_attribute class_attr_hot_add = __ATTR(hot_add, 0400,
							 hot_add_show, NULL);

/**
 * DOC: hot_remove (write)
 *
 * /sys/class/tierswap-control/hot_remove: writing an
 * id removes that device; -EBUSY while it is open or being reset, -ENODEV
 * if there is no such device (also while hot_add is still creating it),
 * -EINVAL for anything but a decimal id.
 */
static ssize_t hot_remove_store(TS_CLASS_ATTR_ARGS, const char *buf,
				size_t len)
{
	struct ts_dev *dev;
	int ret, id;

	ret = kstrtoint(buf, 10, &id);
	if (ret)
		return ret;
	if (id < 0)
		return -EINVAL;
	mutex_lock(&ts_index_lock);
	dev = idr_find(&ts_index, id);
	ret = dev ? ts_remove(dev) : -ENODEV;
	mutex_unlock(&ts_index_lock);
	return ret ? ret : len;
}
static CLASS_ATTR_WO(hot_remove);

static struct attribute *ts_control_attrs[] = {
	&class_attr_hot_add.attr,
	&class_attr_hot_remove.attr,
	NULL,
};
ATTRIBUTE_GROUPS(ts_control);

static struct class ts_control_class = {
	.name		= "tierswap-control",
	.class_groups	= ts_control_groups,
};

/*
 * Remove every device (module unload, failed load).  No device is open at
 * unload (an open disk pins the module), but a reset may still be running:
 * it claimed the device, so removal does not ask for a claim, and
 * ts_dev_delete() waits for the reset to return.  Not idr_for_each():
 * removing entries can free the idr node the walk stands on.
 */
static void ts_remove_all(void)
{
	struct ts_dev *dev;
	int id = 0;

	mutex_lock(&ts_index_lock);
	while ((dev = idr_get_next(&ts_index, &id)))
		ts_dev_delete(dev);
	idr_destroy(&ts_index);
	mutex_unlock(&ts_index_lock);
}

static int __init tierswap_init(void)
{
	unsigned int i;
	int ret;

	if (num_devices > TS_MAX_DEVICES) {
		pr_err("num_devices %u is more than %d\n", num_devices,
		       TS_MAX_DEVICES);
		return -EINVAL;
	}
	ret = ts_blk_init();
	if (ret)
		return ret;
	ts_major = register_blkdev(0, "tierswap");
	if (ts_major < 0) {
		ret = ts_major;
		goto blk_exit;
	}
	ret = class_register(&ts_control_class);
	if (ret)
		goto unregister;
	for (i = 0; i < num_devices; i++) {
		ret = ts_add();
		if (ret < 0)
			goto remove;
	}
	return 0;

remove:
	/* First: no hot_add may race with the removal (see ts_add()). */
	class_unregister(&ts_control_class);
	ts_remove_all();
unregister:
	unregister_blkdev(ts_major, "tierswap");
blk_exit:
	ts_blk_exit();
	return ret;
}

static void __exit tierswap_exit(void)
{
	class_unregister(&ts_control_class);
	ts_remove_all();
	unregister_blkdev(ts_major, "tierswap");
	ts_blk_exit();
}

module_init(tierswap_init);
module_exit(tierswap_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Tiered swap block device");
