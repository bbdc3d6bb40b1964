// SPDX-License-Identifier: GPL-2.0
/*
 * Native unit tests for module/cluster.c (TAP).  Built with ASan/UBSan:
 * slot contents are malloc'd blocks released through the table's release
 * callback, so a leaked or doubly released slot is reported by the
 * sanitizer, not only by the counters checked here.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "cluster.h"

unsigned long ts_shim_clock;
int ts_shim_jitter;

static int test_nr;
static int failures;

#define CHECK(cond, ...) do {						\
	if (!(cond)) {							\
		printf("# %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
		return 1;						\
	}								\
} while (0)

static long live_blocks;	/* malloc'd contents not yet released */

static void release(void *arg, const struct ts_slot *old)
{
	long *released = arg;

	free((void *)old->handle);
	__atomic_add_fetch(released, 1, __ATOMIC_RELAXED);
	__atomic_sub_fetch(&live_blocks, 1, __ATOMIC_RELAXED);
}

static struct ts_slot stored(u32 size)
{
	struct ts_slot s = { .size = size, .flags = TS_SLOT_USED };

	s.handle = (unsigned long)malloc(size);
	__atomic_add_fetch(&live_blocks, 1, __ATOMIC_RELAXED);
	return s;
}

static void put(struct ts_table *t, unsigned long slot, struct ts_slot s)
{
	struct ts_cluster *c = ts_cluster_lock(t, slot);

	ts_slot_set(t, c, slot, &s);
	ts_cluster_unlock(c);
}

static u32 flags_of(struct ts_table *t, unsigned long slot)
{
	struct ts_cluster *c = ts_cluster_lock(t, slot);
	u32 f = ts_slot_peek(c, slot)->flags;

	ts_cluster_unlock(c);
	return f;
}

static int lists_are(struct ts_table *t, unsigned long fr, unsigned long pa,
		     unsigned long fu)
{
	struct ts_cluster_stat st;

	ts_table_cluster_stat(t, &st);
	return st.on_list[TS_LIST_FREE] == fr && st.on_list[TS_LIST_PARTIAL] == pa &&
	       st.on_list[TS_LIST_FULL] == fu;
}

static int test_init(void)
{
	struct ts_table t;
	long released = 0;

	CHECK(ts_table_init(&t, 0, release, &released) == -EINVAL);
	CHECK(ts_table_init(&t, 1000, release, &released) == 0);
	CHECK(t.nr_clusters == 2);
	CHECK(t.clusters[0].capacity == 512 && t.clusters[1].capacity == 488);
	CHECK(lists_are(&t, 2, 0, 0));
	CHECK(sizeof(struct ts_slot) <= 16);
	CHECK(ts_table_meta_bytes(&t) >= 1000 * sizeof(struct ts_slot));
	ts_table_destroy(&t);
	CHECK(t.clusters == NULL);
	return 0;
}

static int test_lists(void)
{
	struct ts_table t;
	long released = 0;
	unsigned long i;
	struct ts_cluster *c;

	CHECK(ts_table_init(&t, 1000, release, &released) == 0);
	put(&t, 0, stored(100));
	CHECK(lists_are(&t, 1, 1, 0));
	for (i = 512; i < 1000; i++)
		put(&t, i, stored(10));
	CHECK(lists_are(&t, 0, 1, 1));		/* the short last cluster is full */
	CHECK(atomic_long_read(&t.used_slots) == 489);
	CHECK(atomic_long_read(&t.stored_bytes) == 100 + 488 * 10);

	c = ts_cluster_lock(&t, 999);
	CHECK(ts_slot_clear(&t, c, 999));	/* held data */
	CHECK(!ts_slot_clear(&t, c, 999));	/* twice: harmless, nothing freed */
	ts_cluster_unlock(c);
	CHECK(lists_are(&t, 0, 2, 0));
	CHECK(released == 1);
	CHECK(flags_of(&t, 999) == 0);

	c = ts_cluster_lock(&t, 0);
	CHECK(!ts_slot_clear(&t, c, 5));	/* never written */
	CHECK(ts_slot_clear(&t, c, 0));
	ts_cluster_unlock(c);
	CHECK(lists_are(&t, 1, 1, 0));
	ts_table_destroy(&t);
	CHECK(released == 489);
	CHECK(live_blocks == 0);
	return 0;
}

static int test_overwrite_and_same(void)
{
	struct ts_table t;
	long released = 0;
	struct ts_slot same = { .handle = 0xabababababababab, .flags = TS_SLOT_USED | TS_SLOT_SAME };

	CHECK(ts_table_init(&t, 512, release, &released) == 0);
	put(&t, 7, stored(4096));
	put(&t, 7, stored(2000));		/* overwrite releases the old block */
	CHECK(released == 1);
	CHECK(atomic_long_read(&t.stored_bytes) == 2000);
	put(&t, 7, same);			/* same-filled: no storage */
	CHECK(released == 2);
	CHECK(atomic_long_read(&t.stored_bytes) == 0);
	CHECK(atomic_long_read(&t.same_slots) == 1);
	CHECK(atomic_long_read(&t.used_slots) == 1);
	CHECK(flags_of(&t, 7) == (TS_SLOT_USED | TS_SLOT_SAME));
	CHECK(t.clusters[0].used == 1);
	put(&t, 7, stored(1));
	CHECK(atomic_long_read(&t.same_slots) == 0);
	ts_table_destroy(&t);
	CHECK(released == 3 && live_blocks == 0);
	return 0;
}

/* The store moving a page (offload): replace only what is still there. */
static int test_replace(void)
{
	struct ts_table t;
	long released = 0;
	struct ts_slot staged, moved, newer, same = {
		.handle = 0x1, .flags = TS_SLOT_USED | TS_SLOT_SAME };
	struct ts_cluster *c;
	unsigned long stamp;
	bool ok;

	CHECK(ts_table_init(&t, 512, release, &released) == 0);
	staged = stored(4096);
	put(&t, 3, staged);
	stamp = t.clusters[0].stamp;
	ts_shim_clock += 100;
	moved = stored(1000);
	c = ts_cluster_lock(&t, 3);
	ok = ts_slot_replace(&t, c, 3, staged.handle, &moved);
	ts_cluster_unlock(c);
	CHECK(ok && released == 1);
	CHECK(atomic_long_read(&t.stored_bytes) == 1000);
	CHECK(atomic_long_read(&t.used_slots) == 1 && t.clusters[0].used == 1);
	CHECK(t.clusters[0].stamp == stamp);	/* not a new write */

	/* Overwritten since: the late copy must not land. */
	newer = stored(10);
	put(&t, 3, newer);
	moved = stored(500);
	c = ts_cluster_lock(&t, 3);
	ok = ts_slot_replace(&t, c, 3, staged.handle, &moved);
	ts_cluster_unlock(c);
	CHECK(!ok && released == 2);
	release(&released, &moved);		/* the caller frees its copy */
	CHECK(atomic_long_read(&t.stored_bytes) == 10);

	/* Freed, or same-filled with an equal word: no replacement either. */
	c = ts_cluster_lock(&t, 3);
	ts_slot_clear(&t, c, 3);
	CHECK(!ts_slot_replace(&t, c, 3, newer.handle, &moved));
	ts_slot_set(&t, c, 3, &same);
	CHECK(!ts_slot_replace(&t, c, 3, 0x1, &moved));
	ts_cluster_unlock(c);
	CHECK(atomic_long_read(&t.used_slots) == 1);
	ts_table_destroy(&t);
	CHECK(released == 4 && live_blocks == 0);
	return 0;
}

static int test_free_notify(void)
{
	struct ts_table t;
	long released = 0;
	struct ts_cluster *c;

	CHECK(ts_table_init(&t, 2048, release, &released) == 0);
	put(&t, 1, stored(64));
	put(&t, 2, stored(64));
	put(&t, 600, stored(64));
	CHECK(ts_table_free_notify(&t, 1));	/* uncontended: freed now */
	CHECK(released == 1 && flags_of(&t, 1) == 0);
	CHECK(ts_table_free_notify(&t, 3));	/* never written: nothing to do */

	c = ts_cluster_lock(&t, 2);		/* contended: deferred */
	CHECK(!ts_table_free_notify(&t, 2));
	CHECK(!ts_table_free_notify(&t, 2));	/* a repeat counts once as pending */
	CHECK(atomic_long_read(&t.pending_frees) == 1);
	CHECK(atomic_long_read(&t.deferred_frees) == 2);
	ts_cluster_unlock(c);
	CHECK(released == 1);
	CHECK(flags_of(&t, 2) == 0);		/* the next locker applies it */
	CHECK(released == 2 && atomic_long_read(&t.pending_frees) == 0);

	c = ts_cluster_lock(&t, 600);
	CHECK(!ts_table_free_notify(&t, 600));
	ts_cluster_unlock(c);
	CHECK(ts_table_reap(&t) == 1);		/* or the reaper */
	CHECK(released == 3);
	CHECK(ts_table_reap(&t) == 0);
	CHECK(lists_are(&t, 4, 0, 0));

	/* a write after a deferred free must survive it */
	put(&t, 5, stored(64));
	c = ts_cluster_lock(&t, 5);
	CHECK(!ts_table_free_notify(&t, 5));
	ts_cluster_unlock(c);
	put(&t, 5, stored(32));
	CHECK(flags_of(&t, 5) == TS_SLOT_USED);
	CHECK(atomic_long_read(&t.stored_bytes) == 32);
	ts_table_destroy(&t);
	CHECK(live_blocks == 0);
	return 0;
}

/* Concurrent writers, readers and free notifiers on shared clusters. */
#define NTHREADS	4
#define NSLOTS		(4 * TS_CLUSTER_SLOTS)
#define ROUNDS		200000

struct worker {
	pthread_t tid;
	struct ts_table *t;
	unsigned int id;
	unsigned int seed;
	u32 last[NSLOTS];	/* size last written to each owned slot, 0 = free */
	int bad;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	unsigned int r;

	for (r = 0; r < ROUNDS; r++) {
		unsigned long slot = (rand_r(&w->seed) % (NSLOTS / NTHREADS)) * NTHREADS + w->id;
		unsigned int op = rand_r(&w->seed) % 4;
		struct ts_cluster *c;

		if (op == 0 || op == 1) {
			u32 size = 1 + rand_r(&w->seed) % 4096;

			put(w->t, slot, stored(size));
			w->last[slot] = size;
		} else if (op == 2) {
			ts_table_free_notify(w->t, slot);
			w->last[slot] = 0;
		} else {
			c = ts_cluster_lock(w->t, slot);
			if (ts_slot_peek(c, slot)->size != w->last[slot])
				w->bad++;
			ts_cluster_unlock(c);
		}
	}
	return NULL;
}

static int test_concurrent(void)
{
	static struct worker w[NTHREADS];
	struct ts_table t;
	long released = 0, used = 0, bytes = 0;
	unsigned long i, s;

	CHECK(ts_table_init(&t, NSLOTS, release, &released) == 0);
	for (i = 0; i < NTHREADS; i++) {
		w[i] = (struct worker){ .t = &t, .id = i, .seed = 1234 + i };
		CHECK(pthread_create(&w[i].tid, NULL, worker_main, &w[i]) == 0);
	}
	for (i = 0; i < NTHREADS; i++)
		pthread_join(w[i].tid, NULL);
	ts_table_reap(&t);
	for (i = 0; i < NTHREADS; i++) {
		CHECK(w[i].bad == 0);
		for (s = i; s < NSLOTS; s += NTHREADS) {
			CHECK(t.clusters[s / TS_CLUSTER_SLOTS].slots[s % TS_CLUSTER_SLOTS].size ==
			      w[i].last[s]);
			used += !!w[i].last[s];
			bytes += w[i].last[s];
		}
	}
	CHECK(atomic_long_read(&t.used_slots) == used);
	CHECK(atomic_long_read(&t.stored_bytes) == bytes);
	CHECK(atomic_long_read(&t.pending_frees) == 0);
	for (i = 0; i < t.nr_clusters; i++) {
		unsigned int n = 0;

		for (s = 0; s < TS_CLUSTER_SLOTS; s++)
			n += !!(t.clusters[i].slots[s].flags & TS_SLOT_USED);
		CHECK(t.clusters[i].used == n);
	}
	printf("# %ld deferred frees under contention\n", atomic_long_read(&t.deferred_frees));
	ts_table_destroy(&t);
	CHECK(live_blocks == 0);
	return 0;
}

/*
 * debug_stat's pending_frees must never read below zero: a notifier that
 * finds the cluster locked counts its free before it sets the pending bit,
 * so the locker that applies the bit can only uncount a counted free. A
 * notifier hammers one slot of a cluster that a locker keeps taking (each
 * ts_cluster_lock() applies the pending frees) while it and a reader sample
 * the counter, for a bounded number of rounds, with the shim's jitter on.
 */
#define PF_ROUNDS	400000
#define PF_DEFERRED	100000
#define PF_MIN_DEFERRED	1000	/* on a host too busy to reach PF_DEFERRED in 20 s */

struct pf_state {
	struct ts_table *t;
	int stop;
	long min;		/* lowest value the reader saw */
	long locker_min;	/* ... and the locker, right after applying */
	long samples;
};

static void *pf_locker(void *arg)
{
	struct pf_state *st = arg;

	while (!__atomic_load_n(&st->stop, __ATOMIC_RELAXED)) {
		struct ts_cluster *c = ts_cluster_lock(st->t, 0);
		long v = atomic_long_read(&st->t->pending_frees);

		ts_cluster_unlock(c);
		if (v < st->locker_min)
			st->locker_min = v;
	}
	return NULL;
}

static void *pf_reader(void *arg)
{
	struct pf_state *st = arg;

	while (!__atomic_load_n(&st->stop, __ATOMIC_RELAXED)) {
		long v = atomic_long_read(&st->t->pending_frees);

		if (v < st->min)
			st->min = v;
		st->samples++;
	}
	return NULL;
}

static int test_pending_frees_never_negative(void)
{
	struct pf_state st = { .min = 0, .locker_min = 0 };
	pthread_t locker, reader;
	struct ts_table t;
	long released = 0, i, deferred;
	time_t end;

	CHECK(ts_table_init(&t, TS_CLUSTER_SLOTS, release, &released) == 0);
	st.t = &t;
	ts_shim_jitter = 1;
	CHECK(pthread_create(&locker, NULL, pf_locker, &st) == 0);
	CHECK(pthread_create(&reader, NULL, pf_reader, &st) == 0);
	/* At least PF_ROUNDS, then until PF_DEFERRED frees met the lock (or 20 s). */
	end = time(NULL) + 20;
	for (i = 0; i < PF_ROUNDS || (atomic_long_read(&t.deferred_frees) < PF_DEFERRED &&
				      time(NULL) < end); i++)
		ts_table_free_notify(&t, TS_CLUSTER_SLOTS - 1 - (i & 7));
	__atomic_store_n(&st.stop, 1, __ATOMIC_RELAXED);
	pthread_join(locker, NULL);
	pthread_join(reader, NULL);
	ts_shim_jitter = 0;
	ts_table_reap(&t);
	deferred = atomic_long_read(&t.deferred_frees);
	printf("# %ld of %ld frees deferred, %ld samples, lowest pending_frees %ld (locker: %ld)\n",
	       deferred, i, st.samples, st.min, st.locker_min);
	CHECK(st.min >= 0 && st.locker_min >= 0);
	CHECK(atomic_long_read(&t.pending_frees) == 0);
	CHECK(deferred >= PF_MIN_DEFERRED);	/* the locker did contend */
	ts_table_destroy(&t);
	CHECK(live_blocks == 0);
	return 0;
}

/*
 * The shim's lockdep_assert_held() must catch a caller that does not hold
 * the cluster lock, including when another thread holds it: otherwise the
 * asserts in cluster.c prove nothing natively. Each case runs in a child.
 */
enum { HOLD_NONE, HOLD_OTHER, HOLD_SELF };

static void *hold_lock(void *arg)
{
	struct ts_table *t = arg;

	ts_cluster_lock(t, 0);
	return NULL;	/* exits holding it: the owner is gone, not us */
}

/*
 * Peek slot 0 in a child holding the lock as @hold says.  Returns its wait
 * status; *@said: whether its stderr reported a lock "not held".
 */
static int peek_status(int hold, int *said)
{
	struct rlimit no_core = { 0, 0 };
	struct ts_table t;
	char msg[512];
	int status, fds[2];
	ssize_t n, len = 0;
	pthread_t th;
	pid_t pid;

	*said = 0;
	fflush(stdout);
	if (pipe(fds))
		return -1;
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		setrlimit(RLIMIT_CORE, &no_core);	/* the abort is expected */
		dup2(fds[1], STDERR_FILENO);
		close(fds[0]);
		close(fds[1]);
		if (ts_table_init(&t, 1000, release, NULL))
			_exit(3);
		if (hold == HOLD_OTHER &&
		    (pthread_create(&th, NULL, hold_lock, &t) || pthread_join(th, NULL)))
			_exit(3);
		if (hold == HOLD_SELF)
			ts_cluster_lock(&t, 0);
		ts_slot_peek(&t.clusters[0], 0);
		_exit(0);
	}
	close(fds[1]);
	while (len < (ssize_t)sizeof(msg) - 1 &&
	       (n = read(fds[0], msg + len, sizeof(msg) - 1 - len)) > 0)
		len += n;
	close(fds[0]);
	msg[len] = 0;
	*said = strstr(msg, "ts_slot_peek: lock &c->lock not held") != NULL;
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

static int test_assert_held(void)
{
	int st, said;

	st = peek_status(HOLD_NONE, &said);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT && said);
	st = peek_status(HOLD_OTHER, &said);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT && said);
	st = peek_status(HOLD_SELF, &said);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0 && !said);
	return 0;
}

static void run(const char *name, int (*fn)(void))
{
	int ret = fn();

	printf("%sok %d - %s\n", ret ? "not " : "", ++test_nr, name);
	failures += !!ret;
}

static const struct {
	const char *name;
	int (*fn)(void);
} tests[] = {
	{ "cluster: init sizes, short last cluster, metadata <= 16 B/slot", test_init },
	{ "cluster: free/partial/full list moves", test_lists },
	{ "cluster: overwrite releases old contents, same-filled uses none", test_overwrite_and_same },
	{ "cluster: replace installs a moved copy only over the expected handle", test_replace },
	{ "cluster: free notify frees now or defers, never loses a later write", test_free_notify },
	{ "cluster: concurrent writers, readers and notifiers keep counts exact", test_concurrent },
	{ "cluster: pending_frees never reads below zero under contention",
	  test_pending_frees_never_negative },
	{ "cluster: a slot access without its cluster lock aborts (shim assert)",
	  test_assert_held },
};

int main(void)
{
	size_t i;

	/* Line-buffered: a sanitizer abort must not lose the results before it. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("TAP version 13\n1..%zu\n", sizeof(tests) / sizeof(tests[0]));
	for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
		run(tests[i].name, tests[i].fn);
	return failures ? 1 : 0;
}
