// SPDX-License-Identifier: GPL-2.0
/*
 * backend_lz4hc.c - "lz4hc" (lib/lz4, high compression): levels
 * LZ4HC_MIN_CLEVEL..LZ4HC_MAX_CLEVEL, default LZ4HC_DEFAULT_CLEVEL.  The
 * output is plain lz4, so it decompresses with LZ4_decompress_safe().
 *
 * The context holds the level and the LZ4HC_MEM_COMPRESS work area (about
 * 256 KiB), used only by compress.  Called by comp.c alone.
 */
#include <linux/errno.h>
#include <linux/lz4.h>
#include <linux/mm.h>
#include <linux/slab.h>

#include "comp.h"

struct ts_lz4hc_ctx {
	int level;
	void *mem;
};

static int ts_lz4hc_create_ctx(void **ctx, const struct ts_comp_params *p)
{
	struct ts_lz4hc_ctx *zctx = kzalloc(sizeof(*zctx), GFP_KERNEL);

	if (!zctx)
		return -ENOMEM;
	zctx->level = p->level == TS_COMP_LEVEL_DEFAULT ?
		      LZ4HC_DEFAULT_CLEVEL : p->level;
	zctx->mem = kvzalloc(LZ4HC_MEM_COMPRESS, GFP_KERNEL);
	if (!zctx->mem) {
		kfree(zctx);
		return -ENOMEM;
	}
	*ctx = zctx;
	return 0;
}

static void ts_lz4hc_destroy_ctx(void *ctx)
{
	struct ts_lz4hc_ctx *zctx = ctx;

	kvfree(zctx->mem);
	kfree(zctx);
}

static int ts_lz4hc_compress(void *ctx, const void *src, unsigned int src_len,
			     void *dst, unsigned int *dst_len)
{
	struct ts_lz4hc_ctx *zctx = ctx;
	int ret;

	/* 0 means the output did not fit (the input is at most a page). */
	ret = LZ4_compress_HC(src, dst, src_len, *dst_len, zctx->level,
			      zctx->mem);
	if (!ret)
		return -ENOSPC;
	*dst_len = ret;
	return 0;
}

static int ts_lz4hc_decompress(void *ctx, const void *src,
			       unsigned int src_len, void *dst,
			       unsigned int dst_len)
{
	int ret = LZ4_decompress_safe(src, dst, src_len, dst_len);

	return ret == (int)dst_len ? 0 : -EINVAL;
}

const struct ts_comp_ops ts_lz4hc_ops = {
	.name		= "lz4hc",
	.min_level	= LZ4HC_MIN_CLEVEL,
	.max_level	= LZ4HC_MAX_CLEVEL,
	.create_ctx	= ts_lz4hc_create_ctx,
	.destroy_ctx	= ts_lz4hc_destroy_ctx,
	.compress	= ts_lz4hc_compress,
	.decompress	= ts_lz4hc_decompress,
};
