// SPDX-License-Identifier: GPL-2.0
/*
 * comp.c - the list of compression algorithms, their "level=N" parameter,
 * and the per-CPU streams through which the store compresses pages.
 *
 * Streams are created for every possible CPU when the device is set up
 * (disksize) and freed at reset, so no CPU-hotplug callbacks are needed;
 * the cost is one workspace per possible CPU.  ts_comp_get() pins the
 * caller to its CPU's stream with local_lock() until ts_comp_put(); the
 * stream is never shared, so nothing between the two takes another lock.
 * Only ts_comp_create() allocates (GFP_KERNEL, process context).
 */
#include <linux/err.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>

#include "comp.h"

/* The order in which comp_algorithm lists them. */
static const struct ts_comp_ops *const ts_comp_algs[] = {
	&ts_lzo_ops,
	&ts_lzorle_ops,
	&ts_lz4_ops,
	&ts_lz4hc_ops,
	&ts_zstd_ops,
};

/**
 * ts_comp_find() - look an algorithm up by name.
 * @name: e.g. "lz4"; one trailing newline is ignored
 *
 * Return: the algorithm, or NULL if there is none of that name.
 */
const struct ts_comp_ops *ts_comp_find(const char *name)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(ts_comp_algs); i++)
		if (sysfs_streq(name, ts_comp_algs[i]->name))
			return ts_comp_algs[i];
	return NULL;
}

/**
 * ts_comp_list() - print the algorithm names for a sysfs show callback.
 * @buf: the sysfs page
 * @selected: name to print in brackets, or NULL
 *
 * Return: bytes written, e.g. "lzo lzo-rle [lz4] lz4hc zstd\n".
 */
ssize_t ts_comp_list(char *buf, const char *selected)
{
	ssize_t len = 0;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(ts_comp_algs); i++) {
		const char *name = ts_comp_algs[i]->name;

		if (selected && sysfs_streq(selected, name))
			len += sysfs_emit_at(buf, len, "[%s] ", name);
		else
			len += sysfs_emit_at(buf, len, "%s ", name);
	}
	if (len)
		len--;	/* the last space becomes the newline */
	len += sysfs_emit_at(buf, len, "\n");
	return len;
}

static bool ts_comp_level_ok(const struct ts_comp_ops *ops, int level)
{
	if (level == TS_COMP_LEVEL_DEFAULT)
		return true;
	if (!ops->min_level && !ops->max_level)
		return false;
	return level >= ops->min_level && level <= ops->max_level;
}

/**
 * ts_comp_parse_params() - parse what the user wrote to algorithm_params.
 * @ops: the algorithm the parameters are for
 * @buf: "level=N", optionally followed by one newline
 * @out: updated only on success
 *
 * Return: 0, or -EINVAL for an unknown key, a malformed or out-of-range
 * number, or a level for an algorithm without levels.
 */
int ts_comp_parse_params(const struct ts_comp_ops *ops, const char *buf,
			 struct ts_comp_params *out)
{
	static const char key[] = "level=";
	size_t len = strcspn(buf, "\n");
	char num[16];
	int level;

	if (buf[len] && buf[len + 1])
		return -EINVAL;
	if (len <= strlen(key) || strncmp(buf, key, strlen(key)))
		return -EINVAL;
	buf += strlen(key);
	len -= strlen(key);
	if (len >= sizeof(num))
		return -EINVAL;
	memcpy(num, buf, len);
	num[len] = '\0';
	if (kstrtoint(num, 10, &level))
		return -EINVAL;
	if (level == TS_COMP_LEVEL_DEFAULT || !ts_comp_level_ok(ops, level))
		return -EINVAL;
	out->level = level;
	return 0;
}

/**
 * ts_comp_destroy() - free the streams and @c.
 * @c: from ts_comp_create(), or NULL
 *
 * Also frees a partly created @c: streams that alloc_percpu() zeroed and
 * create_ctx never filled have nothing to free.
 */
void ts_comp_destroy(struct ts_comp *c)
{
	int cpu;

	if (!c)
		return;
	for_each_possible_cpu(cpu) {
		struct ts_comp_stream *s = per_cpu_ptr(c->streams, cpu);

		if (s->ctx)
			c->ops->destroy_ctx(s->ctx);
		kvfree(s->buffer);
	}
	free_percpu(c->streams);
	kfree(c);
}

/**
 * ts_comp_create() - set up @ops with a stream for every possible CPU.
 * @ops: from ts_comp_find()
 * @p: parameters, or NULL for the algorithm's defaults
 *
 * Context: process context; allocates with GFP_KERNEL.
 * Return: the new compressor, or ERR_PTR(-EINVAL or -ENOMEM).
 */
struct ts_comp *ts_comp_create(const struct ts_comp_ops *ops,
			       const struct ts_comp_params *p)
{
	struct ts_comp *c;
	int cpu, ret;

	if (p && !ts_comp_level_ok(ops, p->level))
		return ERR_PTR(-EINVAL);

	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c)
		return ERR_PTR(-ENOMEM);
	c->ops = ops;
	c->params.level = p ? p->level : TS_COMP_LEVEL_DEFAULT;
	c->streams = alloc_percpu(struct ts_comp_stream);
	if (!c->streams) {
		kfree(c);
		return ERR_PTR(-ENOMEM);
	}

	for_each_possible_cpu(cpu) {
		struct ts_comp_stream *s = per_cpu_ptr(c->streams, cpu);

		local_lock_init(&s->lock);
		s->buffer = kvmalloc(TS_COMP_BUFFER_SIZE, GFP_KERNEL);
		if (!s->buffer) {
			ret = -ENOMEM;
			goto fail;
		}
		ret = ops->create_ctx(&s->ctx, &c->params);
		if (ret) {
			s->ctx = NULL;
			goto fail;
		}
	}
	return c;

fail:
	ts_comp_destroy(c);
	return ERR_PTR(ret);
}

/**
 * ts_comp_get() - take this CPU's stream.
 * @c: compressor
 *
 * Context: disables preemption (local_lock) until ts_comp_put().
 * Return: the stream.
 */
struct ts_comp_stream *ts_comp_get(struct ts_comp *c)
{
	local_lock(&c->streams->lock);
	return this_cpu_ptr(c->streams);
}

/* Release the stream taken by ts_comp_get() on this CPU. */
void ts_comp_put(struct ts_comp *c)
{
	local_unlock(&c->streams->lock);
}

/**
 * ts_comp_compress() - compress one page into the stream's buffer.
 * @c: compressor
 * @s: from ts_comp_get()
 * @src: PAGE_SIZE bytes, mapped
 * @len: set to the compressed size, which may exceed PAGE_SIZE for
 *	incompressible data (the caller then stores the page as it is)
 *
 * Return: 0, or -errno if the library failed.
 */
int ts_comp_compress(struct ts_comp *c, struct ts_comp_stream *s,
		     const void *src, unsigned int *len)
{
	unsigned int dst_len = TS_COMP_BUFFER_SIZE;
	int ret;

	lockdep_assert_held(&s->lock);
	ret = c->ops->compress(s->ctx, src, PAGE_SIZE, s->buffer, &dst_len);
	if (!ret)
		*len = dst_len;
	return ret;
}

/**
 * ts_comp_decompress() - decompress into one page.
 * @c: compressor
 * @s: from ts_comp_get()
 * @src: compressed data
 * @len: its size
 * @dst: PAGE_SIZE bytes, mapped
 *
 * Return: 0, or -EINVAL if @src does not decompress to exactly a page.
 */
int ts_comp_decompress(struct ts_comp *c, struct ts_comp_stream *s,
		       const void *src, unsigned int len, void *dst)
{
	lockdep_assert_held(&s->lock);
	return c->ops->decompress(s->ctx, src, len, dst, PAGE_SIZE);
}
