// SPDX-License-Identifier: GPL-2.0
/*
 * faultio: O_DIRECT block I/O for the fault-injection tests.
 *
 * usage: faultio [--fail] [--sparse] write  DEV FIRST COUNT SEED MAP
 *        faultio [--sparse]          verify DEV FIRST COUNT SEED MAP
 *        faultio                     discard DEV FIRST COUNT STEP MAP
 *        faultio                     wtrim  DEV FIRST COUNT SEED STEP LEN MAP
 *        faultio [--fail]            flip   DEV FIRST COUNT SECONDS
 *        faultio                     nth    SYSDIR SIZE MAX
 *        faultio                     burst  DEV COUNT SEED reset|rmmod
 *
 * write:  writes block i (4 KiB, FIRST <= i < FIRST + COUNT) with the
 *         pattern of (SEED, i), one pwrite each, and records in MAP one
 *         character per block: 'o' written, 'f' the write failed.  A write
 *         may fail only with EIO, ENOMEM or ENOSPC (a clean error).
 * verify: reads every block back: an 'o' block must hold its pattern, an
 *         'f' block zeros (never written there, or discarded).
 * discard: discards (BLKDISCARD) the last block of every STEP, counted
 *         from the end and going back (the blocks written last are the
 *         likeliest to be still staged), and marks them 'f'.
 * wtrim:  write, then at once discard the last LEN blocks of every STEP
 *         (LEN <= STEP, one BLKDISCARD each) as discard does; in one
 *         process: a second process would start after the offload workers
 *         drained the last writes.
 * --sparse: the pattern is 8 bytes in a zero page (it compresses to a few
 *         dozen bytes, like flip's nearly zero page).
 * flip:   for SECONDS, writes one buffer to blocks FIRST.. in turn while a
 *         second thread keeps rewriting that buffer, alternately nearly
 *         zero (8 random bytes: compresses to a few dozen bytes) and random
 *         (does not compress), so that the page changes between two
 *         compressions of the same write.  Write errors as for write.
 * nth:    for N = 1, 2, ... (at most MAX): arm /proc/thread-self/fail-nth
 *         with N and write SIZE to SYSDIR/disksize, until a write no
 *         longer reaches the Nth injection point.  A write that reached
 *         it must fail with ENOMEM and leave initstate and disksize 0, or
 *         succeed (the failure had a fallback): initstate 1, 16 blocks
 *         written and read back right through O_DIRECT, then reset.
 *         The last write must succeed.  In one process, so each step
 *         costs a few system calls, not a fork and exec.
 * burst:  writes blocks 0..COUNT-1 (patterns of SEED) as fast as DEV takes
 *         them (write errors as for write), closes DEV, then at once
 *         reads the pending pages of its offload_stat and resets the
 *         device (reset) or unloads tierswap (rmmod): so that the reset
 *         meets the pages still staged, which a shell would give the
 *         workers time to drain.  Prints the pending and retries counts
 *         it read.  COUNT must fit in DEV.
 * --fail: the writing thread sets its make-it-fail flag once set up, so
 *         that allocation-failure injection with task-filter hits it.
 * Prints a summary line; exit 0 on success, 1 on a failed check, 2 on
 * usage or setup errors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <linux/fs.h>

#define BS 4096

static int fail_mode, sparse;

static uint64_t xorshift(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

/* Half random, half a repeated byte: compressible, never same-filled. */
static void pattern(unsigned char *buf, uint64_t seed, uint64_t blk)
{
	uint64_t s = (seed * 0x9e3779b97f4a7c15ULL) ^ (blk + 1) ^ 0x5bd1e995ULL;
	size_t i;

	if (sparse) {
		uint64_t v = xorshift(&s);

		memset(buf, 0, BS);
		memcpy(buf + (blk * 8) % BS, &v, 8);
		return;
	}
	for (i = 0; i < BS / 2; i += 8) {
		uint64_t v = xorshift(&s);

		memcpy(buf + i, &v, 8);
	}
	memset(buf + BS / 2, 0x40 | (blk & 0x3f), BS / 2);
	memcpy(buf, &blk, sizeof(blk));
}

static void *xalloc(void)
{
	void *p;

	if (posix_memalign(&p, BS, BS)) {
		perror("posix_memalign");
		exit(2);
	}
	return p;
}

/* With --fail, set this thread's make-it-fail flag to @on ("1" or "0"). */
static void make_it_fail(const char *on)
{
	int fd;

	if (!fail_mode)
		return;
	fd = open("/proc/thread-self/make-it-fail", O_WRONLY);
	if (fd < 0 || write(fd, on, 1) != 1) {
		perror("make-it-fail");
		exit(2);
	}
	close(fd);
}

/* 0: written; 1: a clean error; 2: anything else (reported). */
static int write_block(int fd, const void *buf, uint64_t blk)
{
	ssize_t n = pwrite(fd, buf, BS, (off_t)(blk * BS));

	if (n == BS)
		return 0;
	if (n < 0 && (errno == EIO || errno == ENOMEM || errno == ENOSPC))
		return 1;
	if (n < 0)
		printf("FAIL: block %llu: write: %s\n", (unsigned long long)blk,
		       strerrorname_np(errno));
	else
		printf("FAIL: block %llu: short write %zd\n", (unsigned long long)blk, n);
	return 2;
}

static int do_write(int fd, uint64_t first, uint64_t count, uint64_t seed, const char *map)
{
	unsigned char *buf = xalloc();
	char *marks = malloc(count);
	uint64_t i, ok = 0, failed = 0;
	int r, bad = 0;
	FILE *f;

	if (!marks)
		return 2;
	make_it_fail("1");
	for (i = 0; i < count; i++) {
		pattern(buf, seed, first + i);
		r = write_block(fd, buf, first + i);
		marks[i] = r ? 'f' : 'o';
		ok += !r;
		failed += r == 1;
		bad |= r == 2;
	}
	make_it_fail("0");
	f = fopen(map, "w");
	if (!f || fwrite(marks, 1, count, f) != count || fclose(f)) {
		perror(map);
		return 2;
	}
	printf("write: %llu written, %llu failed cleanly\n",
	       (unsigned long long)ok, (unsigned long long)failed);
	return bad;
}

static int do_verify(int fd, uint64_t first, uint64_t count, uint64_t seed, const char *map)
{
	unsigned char *buf = xalloc(), *want = xalloc();
	uint64_t i, ok = 0, zero = 0, bad = 0;
	char *marks = malloc(count);
	FILE *f = fopen(map, "r");

	if (!marks || !f || fread(marks, 1, count, f) != count) {
		perror(map);
		return 2;
	}
	fclose(f);
	for (i = 0; i < count; i++) {
		uint64_t blk = first + i;

		if (pread(fd, buf, BS, (off_t)(blk * BS)) != BS) {
			printf("FAIL: block %llu: read: %s\n", (unsigned long long)blk,
			       strerrorname_np(errno));
			return 1;
		}
		if (marks[i] == 'o')
			pattern(want, seed, blk);
		else
			memset(want, 0, BS);
		if (memcmp(buf, want, BS)) {
			if (bad++ < 10)
				printf("MISMATCH: block %llu (%s)\n", (unsigned long long)blk,
				       marks[i] == 'o' ? "written" : "failed write, want zeros");
			continue;
		}
		ok += marks[i] == 'o';
		zero += marks[i] != 'o';
	}
	printf("verify: %llu blocks hold their data, %llu failed writes read zeros, %llu mismatches\n",
	       (unsigned long long)ok, (unsigned long long)zero, (unsigned long long)bad);
	return bad ? 1 : 0;
}

static int do_discard(int fd, uint64_t first, uint64_t count, uint64_t step, uint64_t len,
		      const char *map)
{
	char *marks = malloc(count);
	uint64_t end, n = 0;
	FILE *f = fopen(map, "r+");

	if (!count || !len || len > step || !marks || !f ||
	    fread(marks, 1, count, f) != count) {
		perror(map);
		return 2;
	}
	/* Blocks [end - len, end) for end = count, count - step, ... > 0. */
	for (end = count; end; end = end > step ? end - step : 0) {
		uint64_t start = end > len ? end - len : 0;
		uint64_t range[2] = { (first + start) * BS, (end - start) * BS };

		if (ioctl(fd, BLKDISCARD, range)) {
			printf("FAIL: blocks %llu+%llu: BLKDISCARD: %s\n",
			       (unsigned long long)(first + start),
			       (unsigned long long)(end - start), strerrorname_np(errno));
			return 1;
		}
		memset(marks + start, 'f', end - start);
		n += end - start;
	}
	if (fseek(f, 0, SEEK_SET) || fwrite(marks, 1, count, f) != count || fclose(f)) {
		perror(map);
		return 2;
	}
	printf("discard: %llu blocks\n", (unsigned long long)n);
	return 0;
}

static int read_attr(const char *dir, const char *name, char *buf, size_t len)
{
	char path[512];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

static int write_attr(const char *dir, const char *name, const char *val)
{
	char path[512];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -1;
	n = write(fd, val, strlen(val));
	close(fd);
	if (n >= 0 && n != (ssize_t)strlen(val))
		errno = EIO;	/* short write */
	return n == (ssize_t)strlen(val) ? 0 : -1;
}

/*
 * A device whose disksize absorbed an injected failure must work: write
 * NTH_CHECK blocks through O_DIRECT, read them back, compare.
 */
#define NTH_CHECK	16
static int nth_usable(const char *dir, unsigned long n)
{
	unsigned char *buf = xalloc(), *back = xalloc();
	const char *name = strrchr(dir, '/');
	char dev[300];
	int fd, r = 0;
	uint64_t b;

	snprintf(dev, sizeof(dev), "/dev/%s", name ? name + 1 : dir);
	fd = open(dev, O_RDWR | O_DIRECT);
	if (fd < 0) {
		printf("FAIL: n=%lu: open %s: %s\n", n, dev, strerrorname_np(errno));
		r = 1;
	}
	for (b = 0; !r && b < NTH_CHECK; b++) {
		pattern(buf, n, b);
		errno = 0;
		if (pwrite(fd, buf, BS, b * BS) != BS ||
		    pread(fd, back, BS, b * BS) != BS || memcmp(buf, back, BS)) {
			printf("FAIL: n=%lu: block %llu of a device set up despite the failure: %s\n",
			       n, (unsigned long long)b, errno ? strerrorname_np(errno) : "read back wrong");
			r = 1;
		}
	}
	if (fd >= 0)
		close(fd);
	free(buf);
	free(back);
	return r;
}

static int do_nth(const char *dir, const char *size, unsigned long max)
{
	unsigned long n, failed = 0, absorbed = 0;
	char path[512], val[64], left[32], arm[32];
	int fd, nfd, err;
	ssize_t w;

	snprintf(path, sizeof(path), "%s/disksize", dir);
	snprintf(val, sizeof(val), "%s\n", size);
	for (n = 1; n <= max; n++) {
		fd = open(path, O_WRONLY);
		nfd = open("/proc/thread-self/fail-nth", O_RDWR);
		if (fd < 0 || nfd < 0) {
			perror("open");
			return 2;
		}
		snprintf(arm, sizeof(arm), "%lu", n);
		if (pwrite(nfd, arm, strlen(arm), 0) < 0) {
			perror("fail-nth");
			return 2;
		}
		w = write(fd, val, strlen(val));
		err = errno;
		memset(left, 0, sizeof(left));
		if (pread(nfd, left, sizeof(left) - 1, 0) < 0 ||
		    (atoi(left) && pwrite(nfd, "0", 1, 0) != 1)) {
			perror("fail-nth");
			return 2;
		}
		close(nfd);
		close(fd);
		if (atoi(left)) {	/* not reached: the write must be whole */
			if (w != (ssize_t)strlen(val)) {
				printf("FAIL: n=%lu: no failure injected, yet disksize: %s\n", n,
				       w < 0 ? strerrorname_np(err) : "short write");
				return 1;
			}
			printf("nth: %lu injection points, %lu failed the write cleanly, %lu absorbed\n",
			       n - 1, failed, absorbed);
			return 0;
		}
		if (w < 0) {
			if (err != ENOMEM) {
				printf("FAIL: n=%lu: disksize failed with %s, not ENOMEM\n", n,
				       strerrorname_np(err));
				return 1;
			}
			if (read_attr(dir, "initstate", left, sizeof(left)) || strcmp(left, "0")) {
				printf("FAIL: n=%lu: initstate %s after a failed disksize\n", n, left);
				return 1;
			}
			if (read_attr(dir, "disksize", left, sizeof(left)) || strcmp(left, "0")) {
				printf("FAIL: n=%lu: disksize %s after a failed disksize\n", n, left);
				return 1;
			}
			failed++;
			continue;
		}
		if (read_attr(dir, "initstate", left, sizeof(left)) || strcmp(left, "1")) {
			printf("FAIL: n=%lu: disksize succeeded, initstate %s\n", n, left);
			return 1;
		}
		if (nth_usable(dir, n))
			return 1;
		if (write_attr(dir, "reset", "1\n")) {
			printf("FAIL: n=%lu: reset: %s\n", n, strerrorname_np(errno));
			return 1;
		}
		absorbed++;
	}
	printf("FAIL: disksize still reaches fail-nth %lu\n", max);
	return 1;
}

static unsigned char *flipbuf;
static volatile int flipping = 1;
static unsigned long flips;

static void *flipper(void *arg)
{
	uint64_t s = 88172645463325252ULL;
	unsigned char rnd[BS];
	size_t i;

	(void)arg;
	/* Each state lasts as long as making the next random page. */
	while (flipping) {
		for (i = 0; i < BS; i += 8) {
			uint64_t v = xorshift(&s);

			memcpy(rnd + i, &v, 8);
		}
		memcpy(flipbuf, rnd, BS);
		for (i = 0; i < BS; i += 8) {
			uint64_t v = xorshift(&s);

			memcpy(rnd + i, &v, 8);
		}
		memset(flipbuf, 0, BS);
		memcpy(flipbuf + (xorshift(&s) % (BS / 8)) * 8, rnd, 8);
		flips++;
	}
	return NULL;
}

static int do_flip(int fd, uint64_t first, uint64_t count, unsigned int secs)
{
	uint64_t k = 0, failed = 0;
	pthread_t t;
	time_t end;
	int r, bad = 0;

	flipbuf = xalloc();
	memset(flipbuf, 0, BS);
	if (pthread_create(&t, NULL, flipper, NULL)) {
		perror("pthread_create");
		return 2;
	}
	make_it_fail("1");
	end = time(NULL) + secs;
	while (time(NULL) < end && !bad) {
		r = write_block(fd, flipbuf, first + k % count);
		failed += r == 1;
		bad |= r == 2;
		k++;
	}
	make_it_fail("0");
	flipping = 0;
	pthread_join(t, NULL);
	printf("flip: %llu writes, %llu failed cleanly, %lu flips\n",
	       (unsigned long long)k, (unsigned long long)failed, flips);
	if (!bad && (k - failed < 100 || flips < 100)) {
		printf("FAIL: flip: too little happened to test anything (want >= 100 writes that succeeded and >= 100 flips)\n");
		return 1;
	}
	return bad;
}

static int do_burst(const char *dev, uint64_t count, uint64_t seed, const char *action)
{
	unsigned char *buf = xalloc();
	uint64_t i, ok = 0, failed = 0;
	unsigned long long f[7];
	char dir[256], line[256];
	const char *name = strrchr(dev, '/');
	uint64_t bytes;
	int fd, r, bad = 0;

	snprintf(dir, sizeof(dir), "/sys/block/%s", name ? name + 1 : dev);
	fd = open(dev, O_RDWR | O_DIRECT);
	if (fd < 0) {
		perror(dev);
		return 2;
	}
	if (ioctl(fd, BLKGETSIZE64, &bytes)) {
		printf("FAIL: %s: BLKGETSIZE64: %s\n", dev, strerrorname_np(errno));
		close(fd);
		return 2;
	}
	if (count > bytes / BS) {
		printf("FAIL: %s: %llu blocks do not fit\n", dev, (unsigned long long)count);
		close(fd);
		return 2;
	}
	for (i = 0; i < count; i++) {
		pattern(buf, seed, i);
		r = write_block(fd, buf, i);
		ok += !r;
		failed += r == 1;
		bad |= r == 2;
	}
	free(buf);
	close(fd);
	/* staged inline drained dropped pending staging_pages retries (staged_reads) */
	if (read_attr(dir, "offload_stat", line, sizeof(line)) ||
	    sscanf(line, "%llu %llu %llu %llu %llu %llu %llu",
		   &f[0], &f[1], &f[2], &f[3], &f[4], &f[5], &f[6]) != 7) {
		printf("FAIL: cannot read %s/offload_stat\n", dir);
		return 2;
	}
	if (!strcmp(action, "reset"))
		r = write_attr(dir, "reset", "1");
	else
		r = syscall(SYS_delete_module, "tierswap", O_NONBLOCK);
	if (r) {
		printf("FAIL: %s: %s\n", action, strerrorname_np(errno));
		return 1;
	}
	printf("burst: %llu written, %llu failed cleanly; %s with pending=%llu retries=%llu\n",
	       (unsigned long long)ok, (unsigned long long)failed, action, f[4], f[6]);
	return bad;
}

int main(int argc, char **argv)
{
	uint64_t first, count;
	int fd, rw;

	for (; argc > 1 && !strncmp(argv[1], "--", 2); argc--, argv++) {
		if (!strcmp(argv[1], "--fail"))
			fail_mode = 1;
		else if (!strcmp(argv[1], "--sparse"))
			sparse = 1;
		else
			goto usage;
	}
	if (argc == 5 && !strcmp(argv[1], "nth") && !fail_mode && !sparse)
		return do_nth(argv[2], argv[3], strtoul(argv[4], NULL, 0));
	if (argc == 6 && !strcmp(argv[1], "burst") && !fail_mode && !sparse &&
	    (!strcmp(argv[5], "reset") || !strcmp(argv[5], "rmmod")))
		return do_burst(argv[2], strtoull(argv[3], NULL, 0),
				strtoull(argv[4], NULL, 0), argv[5]);
	if (argc < 5)
		goto usage;
	first = strtoull(argv[3], NULL, 0);
	count = strtoull(argv[4], NULL, 0);
	if (!count)
		goto usage;
	rw = strcmp(argv[1], "verify") ? O_RDWR : O_RDONLY;
	fd = open(argv[2], rw | O_DIRECT);
	if (fd < 0) {
		perror(argv[2]);
		return 2;
	}
	if (!strcmp(argv[1], "write") && argc == 7)
		return do_write(fd, first, count, strtoull(argv[5], NULL, 0), argv[6]);
	if (!strcmp(argv[1], "verify") && argc == 7 && !fail_mode)
		return do_verify(fd, first, count, strtoull(argv[5], NULL, 0), argv[6]);
	if (!strcmp(argv[1], "discard") && argc == 7 && !fail_mode && !sparse)
		return do_discard(fd, first, count, strtoull(argv[5], NULL, 0), 1, argv[6]);
	if (!strcmp(argv[1], "wtrim") && argc == 9 && !fail_mode && !sparse)
		return do_write(fd, first, count, strtoull(argv[5], NULL, 0), argv[8]) ?:
			do_discard(fd, first, count, strtoull(argv[6], NULL, 0),
				   strtoull(argv[7], NULL, 0), argv[8]);
	if (!strcmp(argv[1], "flip") && argc == 6 && !sparse)
		return do_flip(fd, first, count, (unsigned int)strtoul(argv[5], NULL, 0));
usage:
	fputs("usage: faultio [--fail] [--sparse] write DEV FIRST COUNT SEED MAP\n"
	      "       faultio [--sparse] verify DEV FIRST COUNT SEED MAP\n"
	      "       faultio discard DEV FIRST COUNT STEP MAP\n"
	      "       faultio wtrim DEV FIRST COUNT SEED STEP LEN MAP\n"
	      "       faultio [--fail] flip DEV FIRST COUNT SECONDS\n"
	      "       faultio nth SYSDIR SIZE MAX\n"
	      "       faultio burst DEV COUNT SEED reset|rmmod\n", stderr);
	return 2;
}
