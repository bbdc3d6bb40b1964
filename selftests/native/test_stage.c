// SPDX-License-Identifier: GPL-2.0
/*
 * Native unit tests for the pure helpers of module/stage.h (TAP).
 *
 * offload_stat's pending is computed from counters that workers move while
 * it is read.  Defect 7 of the review: it was staged - drained - dropped
 * with staged read first, and printed ~1.8e19 when pages drained between
 * the reads.  The read order cannot be forced from a test; the arithmetic
 * that must hold whatever the reads saw can.
 */
#include <stdio.h>

#include "stage.h"

#define CHECK(cond) do {						\
	if (!(cond)) {							\
		printf("# %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
		return 1;						\
	}								\
} while (0)

static int test_pending_in_range(void)
{
	CHECK(ts_stage_pending(10, 4, 128) == 6);
	CHECK(ts_stage_pending(10, 10, 128) == 0);
	/* more done than staged seen: 0, never a wrapped u64 */
	CHECK(ts_stage_pending(10, 11, 128) == 0);
	CHECK(ts_stage_pending(0, ~0ULL, 128) == 0);
	/* pages staged and drained between the reads: at most the capacity */
	CHECK(ts_stage_pending(1000, 10, 128) == 128);
	CHECK(ts_stage_pending(~0ULL, 0, 128) == 128);
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(void);
} tests[] = {
	{ "stage: pending is staged - done clamped to 0..capacity, never wrapped",
	  test_pending_in_range },
};

int main(void)
{
	size_t i;
	int failures = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("TAP version 13\n1..%zu\n", sizeof(tests) / sizeof(tests[0]));
	for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
		int ret = tests[i].fn();

		printf("%sok %zu - %s\n", ret ? "not " : "", i + 1, tests[i].name);
		failures += !!ret;
	}
	return failures ? 1 : 0;
}
