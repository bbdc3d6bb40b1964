// SPDX-License-Identifier: GPL-2.0
/*
 * backend_lzo.c - "lzo" and "lzo-rle" (lib/lzo).  No levels.  Both share
 * one decompressor: lzo1x_decompress_safe() reads either format.
 *
 * lzo1x_1_compress() does not bound its output, so compress refuses a
 * destination smaller than lzo1x_worst_compress(); the stream buffer is
 * always large enough.  The bounded _safe variants are later additions
 * (stable backports in Debian's 6.1 and 6.12), so older builds lack them.
 *
 * The context is the LZO1X_1_MEM_COMPRESS work area, used only by compress.
 * Called by comp.c alone.
 */
#include <linux/errno.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/types.h>	/* before lzo.h, which uses size_t */
#include <linux/lzo.h>

#include "comp.h"

static int ts_lzo_create_ctx(void **ctx, const struct ts_comp_params *p)
{
	*ctx = kvzalloc(LZO1X_1_MEM_COMPRESS, GFP_KERNEL);
	return *ctx ? 0 : -ENOMEM;
}

static void ts_lzo_destroy_ctx(void *ctx)
{
	kvfree(ctx);
}

static int ts_lzo_compress(void *ctx, const void *src, unsigned int src_len,
			   void *dst, unsigned int *dst_len)
{
	size_t out = *dst_len;

	if (*dst_len < lzo1x_worst_compress(src_len))
		return -ENOSPC;
	if (lzo1x_1_compress(src, src_len, dst, &out, ctx) != LZO_E_OK)
		return -EINVAL;
	*dst_len = out;
	return 0;
}

static int ts_lzorle_compress(void *ctx, const void *src,
			      unsigned int src_len, void *dst,
			      unsigned int *dst_len)
{
	size_t out = *dst_len;

	if (*dst_len < lzo1x_worst_compress(src_len))
		return -ENOSPC;
	if (lzorle1x_1_compress(src, src_len, dst, &out, ctx) != LZO_E_OK)
		return -EINVAL;
	*dst_len = out;
	return 0;
}

static int ts_lzo_decompress(void *ctx, const void *src, unsigned int src_len,
			     void *dst, unsigned int dst_len)
{
	size_t out = dst_len;

	if (lzo1x_decompress_safe(src, src_len, dst, &out) != LZO_E_OK ||
	    out != dst_len)
		return -EINVAL;
	return 0;
}

const struct ts_comp_ops ts_lzo_ops = {
	.name		= "lzo",
	.create_ctx	= ts_lzo_create_ctx,
	.destroy_ctx	= ts_lzo_destroy_ctx,
	.compress	= ts_lzo_compress,
	.decompress	= ts_lzo_decompress,
};

const struct ts_comp_ops ts_lzorle_ops = {
	.name		= "lzo-rle",
	.create_ctx	= ts_lzo_create_ctx,
	.destroy_ctx	= ts_lzo_destroy_ctx,
	.compress	= ts_lzorle_compress,
	.decompress	= ts_lzo_decompress,
};
