/* SPDX-License-Identifier: GPL-2.0 */
/*
 * comp.h - page compression for the store: an algorithm (backend_*.c)
 * behind a small ops table, and one stream per possible CPU holding that
 * algorithm's workspace and a 2-page output buffer.
 *
 * comp.c owns the list of algorithms, the parsing of "level=N" and the
 * streams.  A backend only wraps one library compressor (lib/lzo, lib/lz4,
 * lib/zstd, called directly: the crypto API's synchronous crypto_comp is
 * gone in 7.2).  Adding an algorithm is one backend file, one extern below
 * and one line in comp.c's table.
 *
 * Locking: ts_comp_get() takes the calling CPU's stream with local_lock(),
 * so preemption stays disabled until ts_comp_put().  ops->compress and
 * ops->decompress therefore never sleep or allocate; every workspace is
 * allocated by ops->create_ctx when the streams are created.  A caller may
 * hold a spinlock around ts_comp_get() .. ts_comp_put().
 *
 * Callers: the store compresses into the stream's buffer and copies the
 * result out before ts_comp_put(); sysfs uses ts_comp_find(),
 * ts_comp_list() and ts_comp_parse_params() before the device is set up.
 */
#ifndef TS_COMP_H
#define TS_COMP_H

#include <linux/limits.h>
#include <linux/local_lock.h>
#include <linux/percpu.h>
#include <linux/types.h>

/* ts_comp_params.level when the user chose none. */
#define TS_COMP_LEVEL_DEFAULT	INT_MIN

/* Bytes of each stream's output buffer; more than any backend's worst case. */
#define TS_COMP_BUFFER_SIZE	(2 * PAGE_SIZE)

/**
 * struct ts_comp_params - tunables of one algorithm.
 * @level: compression level, or TS_COMP_LEVEL_DEFAULT
 */
struct ts_comp_params {
	int level;
};

/**
 * struct ts_comp_ops - one compression algorithm.
 * @name: the name users write to sysfs
 * @min_level: lowest accepted level; 0 with @max_level 0 means no levels
 * @max_level: highest accepted level
 * @create_ctx: allocate (GFP_KERNEL) everything compress and decompress
 *	need, set up for @p; 0 or -errno
 * @destroy_ctx: free what create_ctx allocated
 * @compress: compress @src_len bytes; *@dst_len is the capacity of @dst on
 *	entry and the compressed size on return.  -ENOSPC if the output may
 *	not fit (lzo refuses any capacity below lzo1x_worst_compress()).
 * @decompress: decompress into exactly @dst_len bytes, else -EINVAL
 *
 * compress and decompress run with preemption disabled: no sleeping and
 * no allocation.
 */
struct ts_comp_ops {
	const char *name;
	int min_level, max_level;
	int (*create_ctx)(void **ctx, const struct ts_comp_params *p);
	void (*destroy_ctx)(void *ctx);
	int (*compress)(void *ctx, const void *src, unsigned int src_len,
			void *dst, unsigned int *dst_len);
	int (*decompress)(void *ctx, const void *src, unsigned int src_len,
			  void *dst, unsigned int dst_len);
};

/**
 * struct ts_comp_stream - one CPU's compression state.
 * @lock: held from ts_comp_get() to ts_comp_put()
 * @ctx: the algorithm's workspace, from ops->create_ctx
 * @buffer: TS_COMP_BUFFER_SIZE bytes; ts_comp_compress() output
 */
struct ts_comp_stream {
	local_lock_t lock;
	void *ctx;
	void *buffer;
};

/**
 * struct ts_comp - an algorithm with its parameters and per-CPU streams.
 * @ops: the algorithm
 * @params: what the streams were created with
 * @streams: one per possible CPU
 */
struct ts_comp {
	const struct ts_comp_ops *ops;
	struct ts_comp_params params;
	struct ts_comp_stream __percpu *streams;
};

const struct ts_comp_ops *ts_comp_find(const char *name);
ssize_t ts_comp_list(char *buf, const char *selected);
int ts_comp_parse_params(const struct ts_comp_ops *ops, const char *buf,
			 struct ts_comp_params *out);

struct ts_comp *ts_comp_create(const struct ts_comp_ops *ops,
			       const struct ts_comp_params *p);
void ts_comp_destroy(struct ts_comp *c);

struct ts_comp_stream *ts_comp_get(struct ts_comp *c);
void ts_comp_put(struct ts_comp *c);
int ts_comp_compress(struct ts_comp *c, struct ts_comp_stream *s,
		     const void *src, unsigned int *len);
int ts_comp_decompress(struct ts_comp *c, struct ts_comp_stream *s,
		       const void *src, unsigned int len, void *dst);

/* The backends, for comp.c's table. */
extern const struct ts_comp_ops ts_lzo_ops;
extern const struct ts_comp_ops ts_lzorle_ops;
extern const struct ts_comp_ops ts_lz4_ops;
extern const struct ts_comp_ops ts_lz4hc_ops;
extern const struct ts_comp_ops ts_zstd_ops;

#endif /* TS_COMP_H */
