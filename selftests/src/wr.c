// SPDX-License-Identifier: GPL-2.0
/*
 * wr: write one string to a file with a single write(2) and report the
 * result as "OK" or the errno name (e.g. "EINVAL"), for sysfs ABI tests.
 *
 * usage: wr [-n] [-f N] FILE STRING
 *   -n    no trailing newline (default: append one, as echo does)
 *   -f N  fault injection: make the Nth allocation-failure injection point
 *         (/proc/thread-self/fail-nth) of the write(2) fail, then print
 *         "fail-nth: reached" or "fail-nth: not reached" on a second line
 * exit: 0 written, 1 write failed, 2 usage/open error
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * @fd is /proc/thread-self/fail-nth, opened before arming (an open
 * allocates): arm it with @nth, or read back what is left of it.
 */
static int fail_nth(int fd, const char *nth, char *left, size_t len)
{
	ssize_t n;

	if (nth)
		return pwrite(fd, nth, strlen(nth), 0) < 0 ? -1 : 0;
	n = pread(fd, left, len - 1, 0);
	if (n < 0)
		return -1;
	left[n] = 0;
	/* Disarm it if the write never reached the point. */
	if (atoi(left) && pwrite(fd, "0", 1, 0) != 1)
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	int newline = 1, fd, err, nfd = -1;
	const char *nth = NULL;
	char left[32];
	char out[4096];
	ssize_t n;
	size_t len;

	if (argc > 1 && !strcmp(argv[1], "-n")) {
		newline = 0;
		argc--;
		argv++;
	}
	if (argc > 2 && !strcmp(argv[1], "-f")) {
		nth = argv[2];
		argc -= 2;
		argv += 2;
	}
	if (argc != 3) {
		fputs("usage: wr [-n] [-f N] FILE STRING\n", stderr);
		return 2;
	}
	len = snprintf(out, sizeof(out), "%s%s", argv[2], newline ? "\n" : "");
	if (len >= sizeof(out)) {
		fputs("wr: string too long\n", stderr);
		return 2;
	}
	fd = open(argv[1], O_WRONLY);
	if (fd < 0) {
		printf("open:%s\n", strerrorname_np(errno));
		return 2;
	}
	if (nth)
		nfd = open("/proc/thread-self/fail-nth", O_RDWR);
	if (nth && (nfd < 0 || fail_nth(nfd, nth, NULL, 0))) {
		printf("fail-nth:%s\n", strerrorname_np(errno));
		return 2;
	}
	n = write(fd, out, len);
	err = errno;
	if (nth) {
		if (fail_nth(nfd, NULL, left, sizeof(left))) {
			printf("fail-nth:%s\n", strerrorname_np(errno));
			return 2;
		}
		if (n < 0)
			printf("%s\n", strerrorname_np(err));
		printf("fail-nth: %s\n", atoi(left) ? "not reached" : "reached");
		if (n < 0)
			return 1;
	} else if (n < 0) {
		printf("%s\n", strerrorname_np(err));
		return 1;
	}
	if ((size_t)n != len) {
		printf("SHORT:%zd/%zu\n", n, len);
		return 1;
	}
	if (close(fd)) {
		printf("close:%s\n", strerrorname_np(errno));
		return 1;
	}
	puts("OK");
	return 0;
}
