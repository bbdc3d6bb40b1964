// SPDX-License-Identifier: GPL-2.0
/*
 * swapbench - touch a working set larger than its memcg in a fixed pattern
 * and time it; run it inside a cgroup whose memory.max is below --size.
 *
 * usage: swapbench --size MiB [--pattern seq|rand|stride] [--passes N]
 *                  [--stride PAGES] [--sample K] [--seed N] [--mm-stat FILE]
 *
 * 1. fill: mmap --size MiB (no THP) and write every page with text: half a
 *    page of random words (one of 1024 pre-made, with the page number stamped
 *    in), repeated once (50% repetition: compresses ~2x with lz4, per page).
 * 2. --passes passes over all pages in the pattern; each touch reads the
 *    page and writes 8 bytes into it (so it is dirty and swapped out again).
 * Every K-th touch (--sample) of a page whose PTE is a swap entry (checked in
 * /proc/self/pagemap just before, outside the timing) is timed with
 * clock_gettime around the first access: that covers the fault, swap-in
 * (device read/decompress or swap-cache hit), memcg charge and any direct
 * reclaim (= swap-out of other pages) the charge triggers.
 * Prints one JSON object: wall_s (fill + passes), fill_s, pass_s, pswpin,
 * pswpout (/proc/vmstat deltas over the run), fault_n/mean/p50/p99 (us),
 * and the raw line of --mm-stat FILE read before exiting (pages still out).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096UL
#define NWORDS 4096
#define POOL 1024		/* distinct half pages of text */
#define PM_SWAP (1ULL << 62)

static uint64_t rng = 88172645463325252ULL;

static uint64_t xorshift(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static long vmstat(const char *key)
{
	char name[64];
	long val, ret = -1;
	FILE *f = fopen("/proc/vmstat", "r");

	if (!f)
		return -1;
	while (fscanf(f, "%63s %ld", name, &val) == 2)
		if (!strcmp(name, key))
			ret = val;
	fclose(f);
	return ret;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* One half page of random words from the vocabulary. */
static void make_text(unsigned char *p, size_t len, char words[][12])
{
	size_t off = 0;

	while (off < len) {
		const char *w = words[xorshift() % NWORDS];
		size_t n = strlen(w);

		if (off + n + 1 > len)
			n = len - off - 1;
		memcpy(p + off, w, n);
		off += n;
		p[off++] = ' ';
	}
}

/* Page @i: a random half page from the pool, its number stamped in, repeated. */
static void fill_page(unsigned char *p, unsigned long i, const unsigned char *pool)
{
	size_t half = PAGE / 2;

	memcpy(p, pool + (xorshift() % POOL) * half, half);
	memcpy(p + 8 * (i % 64), &i, sizeof(i));
	memcpy(p + half, p, half);
}

static void die(const char *what)
{
	perror(what);
	exit(1);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "size", 1, 0, 's' }, { "pattern", 1, 0, 'p' },
		{ "passes", 1, 0, 'n' }, { "stride", 1, 0, 't' },
		{ "sample", 1, 0, 'k' }, { "seed", 1, 0, 'r' },
		{ "mm-stat", 1, 0, 'm' }, { 0, 0, 0, 0 },
	};
	const char *pattern = "seq", *mmstat = NULL;
	unsigned long size_mb = 0, npages, i, j, stride = 16, sample = 8;
	int passes = 1, c, pm;
	size_t *order, nsamp = 0, cap;
	double *lat, t0, t1, t2, sum = 0;
	long in0, out0;
	char (*words)[12];
	unsigned char *mem, *pool;
	char line[512] = "";

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's': size_mb = strtoul(optarg, NULL, 0); break;
		case 'p': pattern = optarg; break;
		case 'n': passes = atoi(optarg); break;
		case 't': stride = strtoul(optarg, NULL, 0); break;
		case 'k': sample = strtoul(optarg, NULL, 0); break;
		case 'r': rng ^= strtoull(optarg, NULL, 0) * 2654435761ULL; break;
		case 'm': mmstat = optarg; break;
		default:
			fprintf(stderr, "usage: %s --size MiB [--pattern seq|rand|stride] [--passes N]"
				" [--stride PAGES] [--sample K] [--seed N] [--mm-stat FILE]\n", argv[0]);
			return 2;
		}
	}
	if (!size_mb || !stride || !sample || passes < 1) {
		fprintf(stderr, "swapbench: --size is required; stride, sample, passes > 0\n");
		return 2;
	}
	npages = size_mb * (1024 * 1024 / PAGE);

	/* Touch order. */
	order = malloc(npages * sizeof(*order));
	if (!order)
		die("malloc");
	if (!strcmp(pattern, "seq")) {
		for (i = 0; i < npages; i++)
			order[i] = i;
	} else if (!strcmp(pattern, "rand")) {
		for (i = 0; i < npages; i++)
			order[i] = i;
		for (i = npages - 1; i > 0; i--) {
			size_t t;

			j = xorshift() % (i + 1);
			t = order[i]; order[i] = order[j]; order[j] = t;
		}
	} else if (!strcmp(pattern, "stride")) {
		size_t n = 0;

		for (j = 0; j < stride; j++)
			for (i = j; i < npages; i += stride)
				order[n++] = i;
	} else {
		fprintf(stderr, "swapbench: unknown pattern %s\n", pattern);
		return 2;
	}

	/* Vocabulary: NWORDS random lowercase words of 2..10 letters. */
	words = malloc(NWORDS * sizeof(*words));
	if (!words)
		die("malloc");
	for (i = 0; i < NWORDS; i++) {
		size_t n = 2 + xorshift() % 9;

		for (j = 0; j < n; j++)
			words[i][j] = 'a' + xorshift() % 26;
		words[i][n] = 0;
	}
	pool = malloc(POOL * PAGE / 2);
	if (!pool)
		die("malloc");
	for (i = 0; i < POOL; i++)
		make_text(pool + i * (PAGE / 2), PAGE / 2, words);
	cap = (size_t)passes * npages / sample + 1;
	lat = malloc(cap * sizeof(*lat));
	if (!lat)
		die("malloc");
	pm = open("/proc/self/pagemap", O_RDONLY);
	if (pm < 0)
		die("/proc/self/pagemap");

	mem = mmap(NULL, npages * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		die("mmap");
	madvise(mem, npages * PAGE, MADV_NOHUGEPAGE);

	in0 = vmstat("pswpin");
	out0 = vmstat("pswpout");
	t0 = now();
	for (i = 0; i < npages; i++)
		fill_page(mem + i * PAGE, i, pool);
	t1 = now();

	for (c = 0; c < passes; c++) {
		for (i = 0; i < npages; i++) {
			volatile uint64_t *p = (uint64_t *)(mem + order[i] * PAGE);
			uint64_t ent = 0, v;
			double a, b;

			if (i % sample == 0 && nsamp < cap) {
				if (pread(pm, &ent, sizeof(ent),
					  (uintptr_t)p / PAGE * sizeof(ent)) != sizeof(ent))
					die("pread pagemap");
			}
			if (ent & PM_SWAP) {
				a = now();
				v = p[(order[i] * 7) % (PAGE / 8)];
				b = now();
				lat[nsamp++] = (b - a) * 1e6;
				sum += (b - a) * 1e6;
			} else {
				v = p[(order[i] * 7) % (PAGE / 8)];
			}
			p[((order[i] + c) * 13) % (PAGE / 8)] = v + 1;
		}
	}
	t2 = now();

	if (mmstat) {
		FILE *f = fopen(mmstat, "r");

		if (f) {
			if (!fgets(line, sizeof(line), f))
				line[0] = 0;
			fclose(f);
		}
		line[strcspn(line, "\n")] = 0;
	}
	qsort(lat, nsamp, sizeof(*lat), cmp_double);
	printf("{\"pattern\": \"%s\", \"size_mb\": %lu, \"passes\": %d, "
	       "\"wall_s\": %.3f, \"fill_s\": %.3f, \"pass_s\": %.3f, "
	       "\"pswpin\": %ld, \"pswpout\": %ld, \"fault_n\": %zu, "
	       "\"fault_mean_us\": %.2f, \"fault_p50_us\": %.2f, \"fault_p99_us\": %.2f, "
	       "\"mm_stat\": \"%s\"}\n",
	       pattern, size_mb, passes, t2 - t0, t1 - t0, t2 - t1,
	       vmstat("pswpin") - in0, vmstat("pswpout") - out0, nsamp,
	       nsamp ? sum / nsamp : 0, nsamp ? lat[nsamp / 2] : 0,
	       nsamp ? lat[nsamp * 99 / 100] : 0, line);
	return 0;
}
