/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ts_shim.h - the few kernel primitives module/cluster.c and the inline
 * helpers of module/stage.h use, for building them in user space (native unit tests, sanitizers, callgrind).  Semantics
 * follow the kernel's: spinlocks are real spinlocks, bit operations are
 * atomic, list_head is a circular doubly linked list.
 */
#ifndef TS_SHIM_H
#define TS_SHIM_H

#include <errno.h>
#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;

#define BITS_PER_LONG	(8 * (int)sizeof(long))
#define BIT(nr)		(1UL << (nr))
#define min_t(type, a, b)	((type)(a) < (type)(b) ? (type)(a) : (type)(b))
#define min(a, b)		((a) < (b) ? (a) : (b))

/*
 * spinlock, recording its owner (the locking thread) so that
 * lockdep_assert_held() checks the caller holds it, not just anyone. The
 * owner is the address of errno, which is per thread and the same in
 * every source file (a static __thread here would not be).
 */
typedef struct { int locked; const void *owner; } spinlock_t;
#define ts_shim_self	(*(const char *)&errno)

static inline void spin_lock_init(spinlock_t *l)
{
	l->locked = 0;
	l->owner = NULL;
}
static inline bool spin_trylock(spinlock_t *l)
{
	if (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))
		return false;
	__atomic_store_n(&l->owner, &ts_shim_self, __ATOMIC_RELAXED);
	return true;
}
static inline void spin_lock(spinlock_t *l)
{
	while (!spin_trylock(l))
		sched_yield();
}
static inline void spin_unlock(spinlock_t *l)
{
	__atomic_store_n(&l->owner, NULL, __ATOMIC_RELAXED);
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}
#ifdef TS_SHIM_COST	/* bench/native: cost as in a kernel without lockdep */
#define lockdep_assert_held(l)	do { } while (0)
#else
#define lockdep_assert_held(l)							\
	do {									\
		if (__atomic_load_n(&(l)->owner, __ATOMIC_RELAXED) !=	\
		    &ts_shim_self) {						\
			fprintf(stderr, "%s:%d: %s: lock %s not held\n",	\
				__FILE__, __LINE__, __func__, #l);		\
			abort();						\
		}								\
	} while (0)
#endif

/*
 * Jitter: while a test sets ts_shim_jitter, one atomic read-modify-write
 * or bit operation in 4 pauses for a moment afterwards (a per-thread
 * pseudo-random choice), so that a window between two of them, a few
 * nanoseconds natively, stays open long enough for other threads to run
 * into it. Off by default; it changes timing only, never results.
 */
extern int ts_shim_jitter;
static inline void ts_shim_pause(void)
{
	static __thread unsigned int x = 2463534242u;
	volatile int i;

	if (!__atomic_load_n(&ts_shim_jitter, __ATOMIC_RELAXED))
		return;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	if (x % 4)
		return;
	for (i = 0; i < 5000; i++)
		;
}
#define TS_RMW(op)	({ __typeof__(op) __r = (op); ts_shim_pause(); __r; })

/* atomics */
typedef struct { int counter; } atomic_t;
typedef struct { long counter; } atomic_long_t;
#define atomic_read(a)		__atomic_load_n(&(a)->counter, __ATOMIC_RELAXED)
#define atomic_set(a, v)	__atomic_store_n(&(a)->counter, (v), __ATOMIC_RELAXED)
#define atomic_inc(a)		TS_RMW(__atomic_add_fetch(&(a)->counter, 1, __ATOMIC_SEQ_CST))
#define atomic_dec(a)		TS_RMW(__atomic_sub_fetch(&(a)->counter, 1, __ATOMIC_SEQ_CST))
#define atomic_long_read	atomic_read
#define atomic_long_set		atomic_set
#define atomic_long_inc		atomic_inc
#define atomic_long_dec		atomic_dec
#define atomic_long_add(v, a)	TS_RMW(__atomic_add_fetch(&(a)->counter, (v), __ATOMIC_SEQ_CST))
#define atomic_long_sub(v, a)	TS_RMW(__atomic_sub_fetch(&(a)->counter, (v), __ATOMIC_SEQ_CST))

/* bit operations on unsigned long bitmaps */
#define TS_BIT_WORD(nr)	((nr) / BITS_PER_LONG)
#define TS_BIT_MASK(nr)	(1UL << ((nr) % BITS_PER_LONG))
static inline bool test_bit(unsigned int nr, const unsigned long *addr)
{
	return __atomic_load_n(&addr[TS_BIT_WORD(nr)], __ATOMIC_RELAXED) & TS_BIT_MASK(nr);
}
static inline bool test_and_set_bit(unsigned int nr, unsigned long *addr)
{
	return TS_RMW(__atomic_fetch_or(&addr[TS_BIT_WORD(nr)], TS_BIT_MASK(nr),
					__ATOMIC_SEQ_CST) & TS_BIT_MASK(nr));
}
static inline bool test_and_clear_bit(unsigned int nr, unsigned long *addr)
{
	return TS_RMW(__atomic_fetch_and(&addr[TS_BIT_WORD(nr)], ~TS_BIT_MASK(nr),
					 __ATOMIC_SEQ_CST) & TS_BIT_MASK(nr));
}

/* lists */
struct list_head { struct list_head *next, *prev; };
static inline void INIT_LIST_HEAD(struct list_head *h) { h->next = h->prev = h; }
static inline void list_add_tail(struct list_head *n, struct list_head *h)
{
	n->prev = h->prev;
	n->next = h;
	h->prev->next = n;
	h->prev = n;
}
static inline void list_del(struct list_head *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
}
static inline void list_move_tail(struct list_head *n, struct list_head *h)
{
	list_del(n);
	list_add_tail(n, h);
}

/* memory and time */
static inline size_t array_size(size_t n, size_t size)
{
	size_t r;

	return __builtin_mul_overflow(n, size, &r) ? SIZE_MAX : r;
}

#define GFP_KERNEL	0u
#define __GFP_NORETRY	0u
#define __GFP_NOWARN	0u
#define __GFP_ZERO	0u
/* Every caller passes __GFP_ZERO. */
#define __vmalloc(size, gfp)	calloc(1, (size))
#define vfree(p)	free(p)
#define cond_resched()	sched_yield()
extern unsigned long ts_shim_clock;
#define ts_now()	(__atomic_add_fetch(&ts_shim_clock, 1, __ATOMIC_RELAXED))

#endif /* TS_SHIM_H */
