// SPDX-License-Identifier: GPL-2.0
/*
 * swapbench - touch a working set larger than its memcg in a fixed pattern
 * and time it; run it inside a cgroup whose memory.max is below --size.
 *
 * usage: swapbench --size MiB [--pattern seq|rand|stride] [--passes N]
 *                  [--stride PAGES] [--sample K] [--seed N] [--mm-stat FILE]
 *                  [--drain-stat FILE] [--drain-timeout SECONDS]
 *
 * 1. fill: mmap --size MiB (no THP) and write every page with text: half a
 *    page of random words (one of 1024 pre-made, chosen by a hash of the page
 *    number and --seed), with a 16-byte stamp (page number, generation 0),
 *    repeated once (50% repetition: compresses ~2x with lz4, per page).
 * 2. --passes passes over all pages in the pattern; each touch reads the
 *    page, checks all of it against what was last written there (the text of
 *    its number, the stamp of the previous generation), and writes the next
 *    generation into both stamps (so it is dirty and swapped out again).
 *    A page that does not match is counted in verify_errors (the first few
 *    are described on stderr) and swapbench exits 1 after printing its JSON.
 * Every K-th touch (--sample) of a page whose PTE is a swap entry (checked in
 * /proc/self/pagemap just before, outside the timing) is timed with
 * clock_gettime around the first access: that covers the fault, swap-in
 * (device read/decompress or swap-cache hit), memcg charge and any direct
 * reclaim (= swap-out of other pages) the charge triggers.
 * Then, with --drain-stat (tierswap's offload_stat), it polls until its
 * pending column is 0 (at most --drain-timeout, 30 s) so that --mm-stat is
 * read with nothing staged; if it never drains, it exits 1.
 * Prints one JSON object: wall_s (fill + passes), fill_s, pass_s, pswpin,
 * pswpout (/proc/vmstat deltas over the run), fault_n/mean/p50/p99 (us),
 * cpu_s (non-idle, non-iowait time of all CPUs from /proc/stat: user, nice,
 * system, irq, softirq, steal, from before the fill to after the drain),
 * verified_pages, verify_errors, drain_s, pending (offload_stat pending
 * at the end, -1 without --drain-stat), and the raw line of --mm-stat FILE
 * read before exiting (pages still out).
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
#define STAMP 16		/* bytes: page number, generation */
#define MAX_REPORTS 5		/* mismatches described on stderr */
#define PENDING_COL 5		/* offload_stat: staged inline drained dropped pending */

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

static uint64_t seedmix;

/* Which half page of the pool page @i holds (fixed by @i and --seed). */
static const unsigned char *text_of(unsigned long i, const unsigned char *pool)
{
	uint64_t z = (i + 1) * 0x9e3779b97f4a7c15ULL ^ seedmix;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	return pool + (z % POOL) * (PAGE / 2);
}

/* Where page @i's stamp sits in each half. */
static size_t stamp_off(unsigned long i)
{
	return STAMP * (i % 64);
}

/* Set generation @gen in both stamps of page @p (number @i). */
static void stamp(unsigned char *p, unsigned long i, uint64_t gen)
{
	uint64_t st[2] = { i, gen };
	size_t off = stamp_off(i);

	memcpy(p + off, st, STAMP);
	memcpy(p + PAGE / 2 + off, st, STAMP);
}

/* Page @i: its half page of text with its stamp (generation 0), repeated. */
static void fill_page(unsigned char *p, unsigned long i, const unsigned char *pool)
{
	memcpy(p, text_of(i, pool), PAGE / 2);
	memcpy(p + PAGE / 2, p, PAGE / 2);
	stamp(p, i, 0);
}

/*
 * Does page @p (number @i) hold exactly what fill_page and stamp(@gen) wrote?
 * Returns the offset of the first bad byte's 16-byte unit, or -1.
 */
static long check_page(const unsigned char *p, unsigned long i, uint64_t gen,
		       const unsigned char *pool)
{
	const unsigned char *t = text_of(i, pool);
	uint64_t st[2] = { i, gen };
	size_t off = stamp_off(i), h, k;

	for (h = 0; h < PAGE; h += PAGE / 2) {
		if (memcmp(p + h, t, off) ||
		    memcmp(p + h + off, st, STAMP) ||
		    memcmp(p + h + off + STAMP, t + off + STAMP, PAGE / 2 - off - STAMP)) {
			for (k = 0; k < PAGE / 2; k += STAMP) {
				const void *want = k == off ? (const void *)st : t + k;

				if (memcmp(p + h + k, want, STAMP))
					return h + k;
			}
		}
	}
	return -1;
}

/* /proc/stat "cpu" line: user nice system irq softirq steal (not idle, iowait). */
static long long cpu_busy_ticks(void)
{
	long long v[8] = { 0 };
	FILE *f = fopen("/proc/stat", "r");
	int n;

	if (!f)
		return -1;
	n = fscanf(f, "cpu %lld %lld %lld %lld %lld %lld %lld %lld",
		   &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
	fclose(f);
	if (n != 8)
		return -1;
	return v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
}

/* Column @col (1-based) of the one-line stat file @path, or -1. */
static long long stat_col(const char *path, int col)
{
	long long v = -1;
	FILE *f = fopen(path, "r");
	int k;

	if (!f)
		return -1;
	for (k = 0; k < col; k++)
		if (fscanf(f, "%lld", &v) != 1) {
			v = -1;
			break;
		}
	fclose(f);
	return v;
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
		{ "mm-stat", 1, 0, 'm' }, { "drain-stat", 1, 0, 'd' },
		{ "drain-timeout", 1, 0, 'T' }, { 0, 0, 0, 0 },
	};
	const char *pattern = "seq", *mmstat = NULL, *drainstat = NULL;
	double drain_timeout = 30, drain_s = 0;
	long long cpu0, cpu1, pending = -1;
	unsigned long verified = 0, bad = 0;
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
		case 'r':
			seedmix = strtoull(optarg, NULL, 0) * 2654435761ULL;
			rng ^= seedmix;
			break;
		case 'm': mmstat = optarg; break;
		case 'd': drainstat = optarg; break;
		case 'T': drain_timeout = atof(optarg); break;
		default:
			fprintf(stderr, "usage: %s --size MiB [--pattern seq|rand|stride] [--passes N]"
				" [--stride PAGES] [--sample K] [--seed N] [--mm-stat FILE]"
				" [--drain-stat FILE] [--drain-timeout SECONDS]\n", argv[0]);
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
	cpu0 = cpu_busy_ticks();
	t0 = now();
	for (i = 0; i < npages; i++)
		fill_page(mem + i * PAGE, i, pool);
	t1 = now();

	for (c = 0; c < passes; c++) {
		for (i = 0; i < npages; i++) {
			volatile uint64_t *p = (uint64_t *)(mem + order[i] * PAGE);
			uint64_t ent = 0, v;
			double a, b;
			long bo;

			if (i % sample == 0 && nsamp < cap) {
				if (pread(pm, &ent, sizeof(ent),
					  (uintptr_t)p / PAGE * sizeof(ent)) != sizeof(ent))
					die("pread pagemap");
			}
			if (ent & PM_SWAP) {
				a = now();
				v = p[stamp_off(order[i]) / 8];
				b = now();
				lat[nsamp++] = (b - a) * 1e6;
				sum += (b - a) * 1e6;
			} else {
				v = p[stamp_off(order[i]) / 8];
			}
			bo = check_page((const unsigned char *)p, order[i], c, pool);
			if (bo >= 0 || v != order[i]) {
				if (bad++ < MAX_REPORTS)
					fprintf(stderr, "swapbench: page %zu pass %d: wrong data at byte %ld\n",
						order[i], c + 1, bo);
			}
			verified++;
			stamp((unsigned char *)p, order[i], c + 1);
		}
	}
	t2 = now();

	if (drainstat) {
		double d0 = now();
		struct timespec ms = { 0, 10 * 1000 * 1000 };

		while ((pending = stat_col(drainstat, PENDING_COL)) > 0 && now() - d0 < drain_timeout)
			nanosleep(&ms, NULL);
		drain_s = now() - d0;
		if (pending != 0)
			fprintf(stderr, "swapbench: %s: pending %lld after %.1f s\n", drainstat, pending, drain_s);
	}
	cpu1 = cpu_busy_ticks();
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
	       "\"cpu_s\": %.3f, \"verified_pages\": %lu, \"verify_errors\": %lu, "
	       "\"drain_s\": %.3f, \"pending\": %lld, \"mm_stat\": \"%s\"}\n",
	       pattern, size_mb, passes, t2 - t0, t1 - t0, t2 - t1,
	       vmstat("pswpin") - in0, vmstat("pswpout") - out0, nsamp,
	       nsamp ? sum / nsamp : 0, nsamp ? lat[nsamp / 2] : 0,
	       nsamp ? lat[nsamp * 99 / 100] : 0,
	       cpu0 < 0 || cpu1 < 0 ? -1.0 : (double)(cpu1 - cpu0) / sysconf(_SC_CLK_TCK),
	       verified, bad, drain_s, pending, line);
	if (bad)
		fprintf(stderr, "swapbench: %lu of %lu pages read back wrong\n", bad, verified);
	return bad || (drainstat && pending != 0) || cpu0 < 0 || cpu1 < 0 ? 1 : 0;
}
