/*
 * machine/lock.h - sched-aware locks with lockdep-like owner tracking.
 *
 * Lock order (outermost first), as in the kernel's mm (mm/rmap.c's list):
 *	mmap_lock (rwsem)
 *	  page lock (PG_locked: lock_page() sleeps, machine/page_lock.c;
 *	             the anon collapse only trylocks it under the rmap lock)
 *	    anon_vma->rwsem / mapping->i_mmap_rwsem
 *	      pmd lock (mm->page_table_lock)
 *	        pte lock (split PTL in the table's struct page)
 *	          phys allocator lock (internal, never blocks, never yields)
 * The pte lock nests inside the pmd lock (collapse_huge_page takes the pmd
 * lock, then the pte lock of the table it is about to detach).
 *
 * Every acquire and release passes the LOCK / UNLOCK scheduling point and
 * blocks through sched_wait(), so a deterministic scheduler sees lock
 * waits.  The holder is recorded per CPU (up to THPSIM_HELD_LOCKS_MAX locks)
 * so lockdep_assert_held() can check "held by me"; a failed assertion calls
 * thpsim__bug(), which aborts unless a test installed a handler.
 */
#ifndef THPSIM_MACHINE_LOCK_H
#define THPSIM_MACHINE_LOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "thpsim/errors.h"

#define THPSIM_HELD_LOCKS_MAX 16

typedef struct spinlock {
	_Atomic uint32_t state;	/* 0 free, 1 locked, 2 locked + waiters */
	_Atomic int owner;	/* CPU id of the holder, -1 when free */
	const char *name;
} spinlock_t;

struct rw_semaphore {
	_Atomic uint32_t state;	/* readers count, or RWSEM_WRITER bit */
	_Atomic uint32_t seq;	/* bumped on every release, futex word */
	_Atomic uint32_t waiters;
	_Atomic int owner;	/* writer's CPU id, -1 otherwise */
	const char *name;
};

void spin_lock_init(spinlock_t *lock, const char *name);
void spin_lock(spinlock_t *lock);
bool spin_trylock(spinlock_t *lock);
void spin_unlock(spinlock_t *lock);
bool spin_is_locked(spinlock_t *lock);

void init_rwsem(struct rw_semaphore *sem, const char *name);
void down_read(struct rw_semaphore *sem);
bool down_read_trylock(struct rw_semaphore *sem);
void up_read(struct rw_semaphore *sem);
void down_write(struct rw_semaphore *sem);
bool down_write_trylock(struct rw_semaphore *sem);
void up_write(struct rw_semaphore *sem);
bool rwsem_is_locked(struct rw_semaphore *sem);

/* Does the calling CPU hold it (for the rwsem: in any mode)? */
bool lock_is_held(const void *lock);
bool rwsem_is_write_held_by_me(struct rw_semaphore *sem);

/*
 * Report a broken invariant (thpsim/errors.h: thpsim_set_bug_handler):
 * ends the deterministic run it happens in, else prints and aborts.
 * thpsim__set_bug_handler() (tests only) installs a handler after which
 * execution continues past the broken invariant; NULL removes it.
 */
void thpsim__set_bug_handler(thpsim_bug_fn fn);
void thpsim__bug(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define BUG_ON(cond)                                                         \
	do {                                                                 \
		if (__builtin_expect(!!(cond), 0))                           \
			thpsim__bug(__FILE__, __LINE__, "BUG_ON(%s)", #cond); \
	} while (0)

#define lockdep_assert_held(l)                                               \
	do {                                                                 \
		if (!lock_is_held(l))                                        \
			thpsim__bug(__FILE__, __LINE__,                      \
				    "lock %s not held by this CPU", #l);     \
	} while (0)
#define lockdep_assert_held_write(sem)                                       \
	do {                                                                 \
		if (!rwsem_is_write_held_by_me(sem))                         \
			thpsim__bug(__FILE__, __LINE__,                      \
				    "rwsem %s not write-held by this CPU", #sem); \
	} while (0)

#endif /* THPSIM_MACHINE_LOCK_H */
