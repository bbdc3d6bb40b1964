// SPDX-License-Identifier: GPL-2.0
/*
 * backend_lz4.c - "lz4" (lib/lz4), default acceleration.  No levels: lz4's
 * only knob is an acceleration factor, which trades ratio for speed the
 * other way round from a level.
 *
 * The context is the LZ4_MEM_COMPRESS hash table, used only by compress;
 * decompression needs no state.  Called by comp.c alone.
 */
#include <linux/errno.h>
#include <linux/lz4.h>
#include <linux/mm.h>
#include <linux/slab.h>

#include "comp.h"

static int ts_lz4_create_ctx(void **ctx, const struct ts_comp_params *p)
{
	*ctx = kvzalloc(LZ4_MEM_COMPRESS, GFP_KERNEL);
	return *ctx ? 0 : -ENOMEM;
}

static void ts_lz4_destroy_ctx(void *ctx)
{
	kvfree(ctx);
}

static int ts_lz4_compress(void *ctx, const void *src, unsigned int src_len,
			   void *dst, unsigned int *dst_len)
{
	int ret;

	/* 0 means the output did not fit (the input is at most a page). */
	ret = LZ4_compress_fast(src, dst, src_len, *dst_len,
				LZ4_ACCELERATION_DEFAULT, ctx);
	if (!ret)
		return -ENOSPC;
	*dst_len = ret;
	return 0;
}

static int ts_lz4_decompress(void *ctx, const void *src, unsigned int src_len,
			     void *dst, unsigned int dst_len)
{
	int ret = LZ4_decompress_safe(src, dst, src_len, dst_len);

	return ret == (int)dst_len ? 0 : -EINVAL;
}

const struct ts_comp_ops ts_lz4_ops = {
	.name		= "lz4",
	.create_ctx	= ts_lz4_create_ctx,
	.destroy_ctx	= ts_lz4_destroy_ctx,
	.compress	= ts_lz4_compress,
	.decompress	= ts_lz4_decompress,
};
