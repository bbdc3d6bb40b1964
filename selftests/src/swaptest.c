// SPDX-License-Identifier: GPL-2.0
/*
 * swaptest: fill anonymous memory with per-page verifiable content, force it
 * out to swap, read every page back and compare it byte by byte.
 *
 * Each page's content is a pure function of (seed, page index, generation):
 * some pages are zero, some are "same-filled" with one repeating 8-byte word,
 * some are compressible (small alphabet) and the rest pseudo-random. Every
 * non-zero, non-same page starts with a 16-byte header (index, seed, gen) so a
 * page that comes back with another page's content can be recognised.
 *
 * Swap-out is forced with MADV_PAGEOUT (in chunks) and by memcg pressure: the
 * caller runs us in a cgroup whose memory.max is smaller than --size. With no
 * swap at all MADV_PAGEOUT does nothing and verification must still pass.
 *
 * Before each verification pass the pages that are on swap at that moment are
 * counted from /proc/self/pagemap, each (page, generation) once and zero pages
 * (which 6.12+ keep out of the swap device) left out: each of them needed its
 * own write to swap, so the caller can check the device under test saw at
 * least that many ("swapped_verified=N" at the end).
 *
 * Exit: 0 verified, 1 verification failed (or --expect-swap unmet), 2 usage or
 * setup error. The first mismatch is reported with page, offset, expected, got.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif

#define PAGE		4096UL
#define PAGEOUT_CHUNK	(2UL << 20)	/* MADV_PAGEOUT granularity = THP size */
#define GEN_PARENT	1		/* --fork: pages modified by the parent */
#define GEN_CHILD	2		/* --fork: pages modified by the child */
#define GEN_ROUND0	3		/* --rounds: round r writes gen GEN_ROUND0 + r */

static const char usage_text[] =
"usage: swaptest --size MiB [options]\n"
"  --size MiB             anonymous memory to fill, swap out and verify (required)\n"
"  --threads N            N threads, each owns a slice; then pairs of threads\n"
"                         re-read the same slices concurrently (default 1)\n"
"  --fork                 after swap-out fork; parent and child modify different\n"
"                         pages, swap out again and each verify its own view\n"
"  --rounds N             N times: rewrite a quarter of the pages, swap out, verify\n"
"  --pause-after-swapout  print \"swapped\" and wait for a byte on stdin before\n"
"                         verifying (lets the caller e.g. swapoff meanwhile)\n"
"  --expect-swap          fail unless pswpout and pswpin in /proc/vmstat grew\n"
"                         and (without --pause-after-swapout, which lets the\n"
"                         caller swapoff) at least one verified page came from swap\n"
"  --seed S               pattern seed (default 1)\n"
"  --nohuge               madvise(MADV_NOHUGEPAGE) on the buffer\n"
"  --corrupt IDX          flip one byte of page IDX before verifying (in the\n"
"                         child with --fork): self-test, must exit 1\n"
"  --corrupt-round R      with --corrupt and R >= 1: flip the byte after round\n"
"                         R's rewrite and pageout instead, in the first page\n"
"                         from IDX on (wrapping) that round R rewrote, so the\n"
"                         mismatch is at generation R's; the page is announced\n"
"                         as \"corrupt: page P gen G round R\" (default 0: before\n"
"                         the first verification)\n"
"  --content KIND         mix (default: zero, same-filled, compressible and\n"
"                         random pages), random (all incompressible) or\n"
"                         compressible (all ~2:1)\n"
"  -v, --verbose          print phase timings\n"
"exit: 0 ok, 1 verification failed, 2 usage/setup error\n";

static struct {
	size_t npages;
	unsigned int threads;
	unsigned int rounds;
	bool fork, pause, expect_swap, nohuge, verbose;
	uint64_t seed;
	long corrupt;
	unsigned int corrupt_round;	/* 0: before the first verification */
	int content;			/* -1: mix, else every page is this kind */
} opt = { .threads = 1, .seed = 1, .corrupt = -1, .content = -1 };

static unsigned char *buf;	/* the test area */
static uint8_t *gen;		/* current generation of each page */
static uint8_t *counted;	/* gen + 1 when last counted in swapped_verified */
static size_t swapped_verified;	/* see count_swapped() */
static int pagemap_fd;
static const char *who = "";	/* "parent: "/"child: " prefix in --fork mode */

/* Verification results, shared by all threads. */
static pthread_mutex_t report_lock = PTHREAD_MUTEX_INITIALIZER;
static size_t bad_pages;
static bool reported;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void say(const char *fmt, ...)
{
	va_list ap;

	printf("%s", who);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
}

static void die(const char *msg)
{
	fprintf(stderr, "%sswaptest: %s: %s\n", who, msg, strerror(errno));
	exit(2);
}

/* ---- page content ---------------------------------------------------- */

static uint64_t mix(uint64_t x)	/* splitmix64 finaliser */
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

enum kind { K_ZERO, K_SAME, K_TEXT, K_RANDOM };
static const char *const kind_name[] = { "zero", "same-filled", "compressible", "random" };

static uint64_t page_key(size_t idx, uint8_t g)
{
	return mix(opt.seed ^ mix(idx ^ ((uint64_t)g << 56)));
}

static enum kind page_kind(size_t idx, uint8_t g)
{
	unsigned int h = page_key(idx, g) >> 60;	/* 0..15 */

	if (opt.content >= 0)
		return opt.content;
	if (h < 2)
		return K_ZERO;
	if (h < 4)
		return K_SAME;
	if (h < 8)
		return K_TEXT;
	return K_RANDOM;
}

/* Write the expected content of page idx at generation g into p. */
static void make_page(uint64_t *p, size_t idx, uint8_t g)
{
	uint64_t x = page_key(idx, g) | 1;	/* xorshift state, never 0 */
	size_t i, n = PAGE / sizeof(*p);

	switch (page_kind(idx, g)) {
	case K_ZERO:
		memset(p, 0, PAGE);
		return;
	case K_SAME:
		for (i = 0; i < n; i++)
			p[i] = x;
		return;
	case K_TEXT:
		for (i = 0; i < n; i++) {
			x ^= x << 13; x ^= x >> 7; x ^= x << 17;
			/* 8 bytes from a 16-letter alphabet: compresses ~2:1 */
			p[i] = (x & 0x0f0f0f0f0f0f0f0fULL) | 0x4040404040404040ULL;
		}
		break;
	case K_RANDOM:
		for (i = 0; i < n; i++) {
			x ^= x << 13; x ^= x >> 7; x ^= x << 17;
			p[i] = x * 0x2545f4914f6cdd1dULL;
		}
		break;
	}
	p[0] = idx;
	p[1] = (opt.seed << 8) | g;
}

/* ---- verification ---------------------------------------------------- */

static void describe_bad_page(size_t idx, const unsigned char *got, const unsigned char *exp)
{
	size_t off = 0, nbad = 0, i;
	uint64_t h0, h1;

	while (got[off] == exp[off])
		off++;
	for (i = off; i < PAGE; i++)
		nbad += got[i] != exp[i];
	say("MISMATCH page %zu (gen %u, %s) offset %zu: expected 0x%02x got 0x%02x "
	    "(%zu of %lu bytes differ)\n", idx, gen[idx], kind_name[page_kind(idx, gen[idx])],
	    off, exp[off], got[off], nbad, PAGE);

	for (i = 0; i < PAGE && !got[i]; i++)
		;
	memcpy(&h0, got, 8);
	memcpy(&h1, got + 8, 8);
	if (i == PAGE)
		say("  got page is all zeros\n");
	else if (h0 < opt.npages && (h1 >> 8) == opt.seed)
		say("  got page carries the header of page %" PRIu64 " gen %" PRIu64 "\n",
		    h0, h1 & 0xff);
	else
		say("  got page starts %016" PRIx64 " %016" PRIx64 "\n", h0, h1);
}

/* Verify pages [first, last); return the number of bad pages. */
static size_t verify_range(size_t first, size_t last)
{
	uint64_t exp[PAGE / 8];
	size_t idx, bad = 0;

	for (idx = first; idx < last; idx++) {
		const unsigned char *got = buf + idx * PAGE;

		make_page(exp, idx, gen[idx]);
		if (memcmp(got, exp, PAGE) == 0)
			continue;
		bad++;
		pthread_mutex_lock(&report_lock);
		if (!reported) {
			reported = true;
			describe_bad_page(idx, got, (const unsigned char *)exp);
		}
		pthread_mutex_unlock(&report_lock);
	}
	pthread_mutex_lock(&report_lock);
	bad_pages += bad;
	pthread_mutex_unlock(&report_lock);
	return bad;
}

static void write_range(size_t first, size_t last)
{
	size_t idx;

	for (idx = first; idx < last; idx++)
		make_page((uint64_t *)(buf + idx * PAGE), idx, gen[idx]);
}

/* Ask the kernel to reclaim [first, last) now. Not fatal if unsupported. */
static void pageout_range(size_t first, size_t last)
{
	static bool warned;
	size_t off = first * PAGE, end = last * PAGE;

	while (off < end) {
		size_t len = end - off < PAGEOUT_CHUNK ? end - off : PAGEOUT_CHUNK;

		if (madvise(buf + off, len, MADV_PAGEOUT) && !warned) {
			warned = true;
			fprintf(stderr, "%sswaptest: MADV_PAGEOUT: %s (relying on memcg pressure)\n",
				who, strerror(errno));
		}
		off += len;
	}
}

/*
 * Count the non-zero pages that are on swap now (pagemap bit 62), each
 * (page, generation) once: every one of them was written to swap with that
 * content at least once.
 */
static void count_swapped(void)
{
	uint64_t ent[512];
	size_t idx, i, n, p;
	off_t off;

	for (idx = 0; idx < opt.npages; idx += n) {
		n = opt.npages - idx < 512 ? opt.npages - idx : 512;
		off = ((uintptr_t)buf / PAGE + idx) * sizeof(ent[0]);
		if (pread(pagemap_fd, ent, n * sizeof(ent[0]), off) != (ssize_t)(n * sizeof(ent[0])))
			die("pread /proc/self/pagemap");
		for (i = 0; i < n; i++) {
			p = idx + i;
			if (!((ent[i] >> 62) & 1) || page_kind(p, gen[p]) == K_ZERO ||
			    counted[p] == gen[p] + 1)
				continue;
			counted[p] = gen[p] + 1;
			swapped_verified++;
		}
	}
}

/* ---- threads --------------------------------------------------------- */

/* Whether round r (>= 1) rewrites page idx: a quarter of the pages. */
static bool rewritten_in(size_t idx, unsigned int r)
{
	return page_key(idx, 0xff - r) % 4 == 0;
}

enum phase { P_FILL, P_VERIFY, P_RETOUCH, P_REWRITE };

struct worker {
	pthread_t tid;
	unsigned int id;
	enum phase phase;
	unsigned int round;
};

static void slice(unsigned int t, size_t *first, size_t *last)
{
	*first = opt.npages * t / opt.threads;
	*last = opt.npages * (t + 1) / opt.threads;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	size_t first, last, idx;
	unsigned int k, s;

	slice(w->id, &first, &last);
	switch (w->phase) {
	case P_FILL:
		write_range(first, last);
		pageout_range(first, last);
		break;
	case P_VERIFY:
		verify_range(first, last);
		break;
	case P_RETOUCH:
		/*
		 * Threads 2i and 2i+1 both walk slice 2i, then slice 2i+1, in
		 * the same direction, so they fault on the same swapped-out
		 * pages at the same time.
		 */
		for (k = 0; k < 2; k++) {
			s = (w->id & ~1U) + k;
			if (s >= opt.threads)
				break;
			slice(s, &first, &last);
			verify_range(first, last);
		}
		break;
	case P_REWRITE:
		for (idx = first; idx < last; idx++) {
			if (!rewritten_in(idx, w->round))
				continue;
			gen[idx] = GEN_ROUND0 + w->round;
			make_page((uint64_t *)(buf + idx * PAGE), idx, gen[idx]);
		}
		pageout_range(first, last);
		break;
	}
	return NULL;
}

static void run_phase(enum phase phase, unsigned int round, const char *name)
{
	struct worker w[opt.threads];
	double t0 = now();
	unsigned int i;
	int err;

	if (phase == P_VERIFY || phase == P_RETOUCH)
		count_swapped();

	for (i = 0; i < opt.threads; i++) {
		w[i] = (struct worker){ .id = i, .phase = phase, .round = round };
		if (opt.threads == 1) {
			worker_main(&w[i]);
			break;
		}
		err = pthread_create(&w[i].tid, NULL, worker_main, &w[i]);
		if (err) {
			errno = err;
			die("pthread_create");
		}
	}
	for (i = 0; opt.threads > 1 && i < opt.threads; i++)
		pthread_join(w[i].tid, NULL);
	if (opt.verbose)
		say("phase %s done in %.2fs (bad pages so far %zu)\n", name, now() - t0, bad_pages);
}

/* ---- fork mode ------------------------------------------------------- */

/* Rewrite the pages selected by 'sel' (idx % 3 == sel) with generation g. */
static void modify_subset(unsigned int sel, uint8_t g)
{
	size_t idx;

	for (idx = 0; idx < opt.npages; idx++) {
		if (idx % 3 != sel)
			continue;
		gen[idx] = g;
		make_page((uint64_t *)(buf + idx * PAGE), idx, g);
	}
	pageout_range(0, opt.npages);
}

/* ---- --corrupt ------------------------------------------------------- */

/*
 * Flip one byte of a page in this process's view. Round 0: page --corrupt
 * itself, before the first verification. Round R >= 1 (called after round R's
 * rewrite and pageout, before its verification): the first page from --corrupt
 * on, wrapping, that round R rewrote, so it is verified at generation
 * GEN_ROUND0 + R. In --fork mode only the child corrupts, and the child
 * verifies every page of its own view at every round.
 */
static void corrupt_page(unsigned int round)
{
	size_t idx = opt.corrupt, n;

	if (round) {
		for (n = 0; n < opt.npages && !rewritten_in(idx, round); n++)
			idx = (idx + 1) % opt.npages;
		if (n == opt.npages) {
			fprintf(stderr, "%sswaptest: round %u rewrote no page\n", who, round);
			exit(2);
		}
	}
	say("corrupt: page %zu gen %u round %u\n", idx, gen[idx], round);
	buf[idx * PAGE + 1234] ^= 0x5a;
	pageout_range(idx, idx + 1);	/* through swap once more, corrupted */
}

/* ---- /proc/vmstat ---------------------------------------------------- */

static void read_vmstat(uint64_t *in, uint64_t *out)
{
	char name[64];
	unsigned long long v;
	FILE *f = fopen("/proc/vmstat", "r");

	*in = *out = 0;
	if (!f)
		die("/proc/vmstat");
	while (fscanf(f, "%63s %llu", name, &v) == 2) {
		if (!strcmp(name, "pswpin"))
			*in = v;
		else if (!strcmp(name, "pswpout"))
			*out = v;
	}
	fclose(f);
}

/* ---- main ------------------------------------------------------------ */

static void parse_args(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "size", required_argument, NULL, 's' },
		{ "threads", required_argument, NULL, 't' },
		{ "fork", no_argument, NULL, 'f' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "pause-after-swapout", no_argument, NULL, 'p' },
		{ "expect-swap", no_argument, NULL, 'e' },
		{ "seed", required_argument, NULL, 'S' },
		{ "nohuge", no_argument, NULL, 'n' },
		{ "corrupt", required_argument, NULL, 'c' },
		{ "corrupt-round", required_argument, NULL, 'R' },
		{ "content", required_argument, NULL, 'C' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long size_mib = 0;
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, "v", longopts, NULL)) != -1) {
		switch (c) {
		case 's': size_mib = strtoul(optarg, &end, 0); break;
		case 't': opt.threads = strtoul(optarg, &end, 0); break;
		case 'r': opt.rounds = strtoul(optarg, &end, 0); break;
		case 'S': opt.seed = strtoull(optarg, &end, 0); break;
		case 'c': opt.corrupt = strtol(optarg, &end, 0); break;
		case 'R': opt.corrupt_round = strtoul(optarg, &end, 0); break;
		case 'f': opt.fork = true; continue;
		case 'C':
			if (!strcmp(optarg, "mix"))
				opt.content = -1;
			else if (!strcmp(optarg, "random"))
				opt.content = K_RANDOM;
			else if (!strcmp(optarg, "compressible"))
				opt.content = K_TEXT;
			else
				goto usage;
			continue;
		case 'p': opt.pause = true; continue;
		case 'e': opt.expect_swap = true; continue;
		case 'n': opt.nohuge = true; continue;
		case 'v': opt.verbose = true; continue;
		case 'h': fputs(usage_text, stdout); exit(0);
		default: goto usage;
		}
		if (*end) {
			fprintf(stderr, "swaptest: bad number '%s'\n", optarg);
			exit(2);
		}
	}
	if (optind != argc || !size_mib || !opt.threads || opt.threads > 256 ||
	    opt.rounds > 200 || opt.seed >> 48 || opt.corrupt < -1)
		goto usage;
	opt.npages = size_mib * (1UL << 20) / PAGE;
	if (opt.corrupt >= (long)opt.npages) {
		fputs("swaptest: --corrupt beyond --size\n", stderr);
		exit(2);
	}
	if (opt.corrupt_round && (opt.corrupt < 0 || opt.corrupt_round > opt.rounds)) {
		fputs("swaptest: --corrupt-round needs --corrupt and at most --rounds\n", stderr);
		exit(2);
	}
	return;
usage:
	fputs(usage_text, stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	uint64_t in0, out0, in1, out1;
	pid_t child = 0;
	unsigned int r;
	int status, rc = 0;
	char c;

	parse_args(argc, argv);
	setvbuf(stdout, NULL, _IOLBF, 0);

	/* 2 MiB aligned, so THPs can be paged out (and swapped) whole */
	buf = mmap(NULL, opt.npages * PAGE + PAGEOUT_CHUNK, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		die("mmap");
	buf += (PAGEOUT_CHUNK - (uintptr_t)buf % PAGEOUT_CHUNK) % PAGEOUT_CHUNK;
	if (opt.nohuge && madvise(buf, opt.npages * PAGE, MADV_NOHUGEPAGE))
		die("madvise(MADV_NOHUGEPAGE)");
	gen = calloc(opt.npages, 1);
	counted = calloc(opt.npages, 1);
	if (!gen || !counted)
		die("calloc");
	pagemap_fd = open("/proc/self/pagemap", O_RDONLY);
	if (pagemap_fd < 0)
		die("/proc/self/pagemap");

	read_vmstat(&in0, &out0);
	say("swaptest: %zu pages (%zu MiB), %u thread(s), seed %" PRIu64 "%s%s, %u round(s), %s content\n",
	    opt.npages, opt.npages * PAGE >> 20, opt.threads, opt.seed,
	    opt.fork ? ", fork" : "", opt.pause ? ", pause" : "", opt.rounds,
	    opt.content < 0 ? "mixed" : kind_name[opt.content]);

	run_phase(P_FILL, 0, "fill+pageout");
	/*
	 * On an asynchronous swap device the first pass only starts writeback
	 * and the pages stay in the swap cache; a second pass frees those whose
	 * writeback has completed. (Synchronous devices are done after one.)
	 */
	pageout_range(0, opt.npages);

	if (opt.pause) {
		say("swapped\n");
		if (read(STDIN_FILENO, &c, 1) != 1)
			fprintf(stderr, "swaptest: stdin closed, continuing\n");
	}

	if (opt.fork) {
		child = fork();
		if (child < 0)
			die("fork");
		who = child ? "parent: " : "child: ";
		modify_subset(child ? 1 : 2, child ? GEN_PARENT : GEN_CHILD);
	}

	if (opt.corrupt >= 0 && !opt.corrupt_round && (!opt.fork || child == 0))
		corrupt_page(0);

	run_phase(P_VERIFY, 0, "verify");
	if (opt.threads > 1) {
		pageout_range(0, opt.npages);
		run_phase(P_RETOUCH, 0, "retouch");
	}
	for (r = 1; r <= opt.rounds; r++) {
		run_phase(P_REWRITE, r, "rewrite+pageout");
		if (opt.corrupt >= 0 && opt.corrupt_round == r && (!opt.fork || child == 0))
			corrupt_page(r);
		run_phase(P_VERIFY, r, "verify");
	}

	if (bad_pages) {
		say("FAIL: %zu page reads did not match\n", bad_pages);
		rc = 1;
	}
	say("swapped_verified=%zu\n", swapped_verified);
	if (child == 0 && opt.fork)	/* the child reports through its exit code */
		exit(rc);
	if (child > 0) {
		if (waitpid(child, &status, 0) != child)
			die("waitpid");
		if (!WIFEXITED(status) || WEXITSTATUS(status)) {
			say("FAIL: child exited with status 0x%x\n", status);
			rc = 1;
		}
	}

	read_vmstat(&in1, &out1);
	say("pswpin_delta=%" PRIu64 " pswpout_delta=%" PRIu64 "\n", in1 - in0, out1 - out0);
	if (opt.expect_swap && (in1 == in0 || out1 == out0)) {
		say("FAIL: --expect-swap: no swap traffic\n");
		rc = 1;
	}
	if (opt.expect_swap && !opt.pause && !swapped_verified) {
		say("FAIL: --expect-swap: no verified page was on swap\n");
		rc = 1;
	}
	if (!rc)
		say("PASS: all pages verified\n");
	return rc;
}
