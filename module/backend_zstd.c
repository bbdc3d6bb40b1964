// SPDX-License-Identifier: GPL-2.0
/*
 * backend_zstd.c - "zstd" (lib/zstd): levels -131072..22, as the library's
 * zstd_min_clevel() and zstd_max_clevel() say (negative levels are the
 * fast ones, 0 means the default), default ZSTD_CLEVEL_DEFAULT (3).
 *
 * The context holds a compression and a decompression context, each in a
 * workspace allocated up front.  The compression workspace is sized for a
 * PAGE_SIZE input at the chosen level (zstd_get_params(level, PAGE_SIZE)
 * shrinks the window to the page), which keeps even level 22 small.
 * Called by comp.c alone.
 */
#include <linux/errno.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/zstd.h>

#include "comp.h"

/*
 * The ops table needs constants; zstd_min_clevel()/zstd_max_clevel() are
 * functions (exported by 6.1, 6.12 and 7.2 alike), so create_ctx checks
 * the level against them too.
 */
#define TS_ZSTD_MIN_LEVEL	(-ZSTD_TARGETLENGTH_MAX)
#define TS_ZSTD_MAX_LEVEL	22

struct ts_zstd_ctx {
	zstd_parameters params;
	zstd_cctx *cctx;
	zstd_dctx *dctx;
	void *cwksp;
	void *dwksp;
};

static void ts_zstd_destroy_ctx(void *ctx)
{
	struct ts_zstd_ctx *zctx = ctx;

	kvfree(zctx->cwksp);
	kvfree(zctx->dwksp);
	kfree(zctx);
}

static int ts_zstd_create_ctx(void **ctx, const struct ts_comp_params *p)
{
	int level = p->level == TS_COMP_LEVEL_DEFAULT ?
		    ZSTD_CLEVEL_DEFAULT : p->level;
	struct ts_zstd_ctx *zctx;
	size_t size;

	if (level < zstd_min_clevel() || level > zstd_max_clevel())
		return -EINVAL;
	zctx = kzalloc(sizeof(*zctx), GFP_KERNEL);
	if (!zctx)
		return -ENOMEM;

	zctx->params = zstd_get_params(level, PAGE_SIZE);
	size = zstd_cctx_workspace_bound(&zctx->params.cParams);
	zctx->cwksp = kvzalloc(size, GFP_KERNEL);
	if (!zctx->cwksp)
		goto fail;
	zctx->cctx = zstd_init_cctx(zctx->cwksp, size);
	if (!zctx->cctx)
		goto fail;

	size = zstd_dctx_workspace_bound();
	zctx->dwksp = kvzalloc(size, GFP_KERNEL);
	if (!zctx->dwksp)
		goto fail;
	zctx->dctx = zstd_init_dctx(zctx->dwksp, size);
	if (!zctx->dctx)
		goto fail;

	*ctx = zctx;
	return 0;

fail:
	ts_zstd_destroy_ctx(zctx);
	return -ENOMEM;
}

static int ts_zstd_compress(void *ctx, const void *src, unsigned int src_len,
			    void *dst, unsigned int *dst_len)
{
	struct ts_zstd_ctx *zctx = ctx;
	size_t ret;

	ret = zstd_compress_cctx(zctx->cctx, dst, *dst_len, src, src_len,
				 &zctx->params);
	/* Below the bound, a failure most likely means the output did not fit. */
	if (zstd_is_error(ret))
		return *dst_len < zstd_compress_bound(src_len) ? -ENOSPC : -EINVAL;
	*dst_len = ret;
	return 0;
}

static int ts_zstd_decompress(void *ctx, const void *src,
			      unsigned int src_len, void *dst,
			      unsigned int dst_len)
{
	struct ts_zstd_ctx *zctx = ctx;
	size_t ret;

	ret = zstd_decompress_dctx(zctx->dctx, dst, dst_len, src, src_len);
	if (zstd_is_error(ret) || ret != dst_len)
		return -EINVAL;
	return 0;
}

const struct ts_comp_ops ts_zstd_ops = {
	.name		= "zstd",
	.min_level	= TS_ZSTD_MIN_LEVEL,
	.max_level	= TS_ZSTD_MAX_LEVEL,
	.create_ctx	= ts_zstd_create_ctx,
	.destroy_ctx	= ts_zstd_destroy_ctx,
	.compress	= ts_zstd_compress,
	.decompress	= ts_zstd_decompress,
};
