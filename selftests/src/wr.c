// SPDX-License-Identifier: GPL-2.0
/*
 * wr: write one string to a file with a single write(2) and report the
 * result as "OK" or the errno name (e.g. "EINVAL"), for sysfs ABI tests.
 *
 * usage: wr [-n] FILE STRING    (-n: no trailing newline; default appends one
 *                                like echo does)
 * exit: 0 written, 1 write failed, 2 usage/open error
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int newline = 1, fd;
	char out[4096];
	ssize_t n;
	size_t len;

	if (argc > 1 && !strcmp(argv[1], "-n")) {
		newline = 0;
		argc--;
		argv++;
	}
	if (argc != 3) {
		fputs("usage: wr [-n] FILE STRING\n", stderr);
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
	n = write(fd, out, len);
	if (n < 0) {
		printf("%s\n", strerrorname_np(errno));
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
