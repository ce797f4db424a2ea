/*
 * lock.c - spinlock and rw_semaphore on sched_wait(), with owner tracking.
 *
 * Spinlock: a three-state futex mutex (0 free, 1 locked, 2 locked with
 * possible sleepers), as in Drepper's "Futexes Are Tricky": an uncontended
 * lock and unlock are one atomic each, and only an unlock that saw state 2
 * pays the wake system call.  A simulated "spin" lock must sleep after a
 * short spin: with two cores and more CPU threads than cores, the holder is
 * often descheduled and pure spinning would burn whole time slices
 * (TOOLCHAIN.md, last floor).
 *
 * rw_semaphore: one state word (reader count or the writer bit, plus a
 * "writer waiting" bit that stops new readers so a writer is not starved)
 * and a separate sequence word that every release bumps.  Sleepers wait on
 * the sequence, so a release never has to know who sleeps, only whether
 * anyone does (the waiters count).
 *
 * Held locks are recorded in the calling CPU's held[] list for
 * lockdep_assert_held().  Threads that are not CPUs are not tracked; for
 * them lock_is_held() can only say "held by someone".
 */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "machine/cpu.h"
#include "machine/detsched.h"
#include "machine/lock.h"
#include "machine/sched.h"

#define SPIN_TRIES 200

#define RWSEM_WRITER 0x80000000u
#define RWSEM_WRITER_WAIT 0x40000000u
#define RWSEM_READERS 0x3fffffffu

void thpsim_bug_abort(const char *msg, const char *file, int line)
{
	fprintf(stderr, "thpsim: BUG at %s:%d: %s\n", file, line, msg);
	fflush(NULL);
	abort();
}

/* Tests: record and go on.  Users: told first, then the default. */
static _Atomic thpsim_bug_fn test_handler;
static _Atomic thpsim_bug_fn user_handler;

void thpsim__set_bug_handler(thpsim_bug_fn fn)
{
	atomic_store(&test_handler, fn);
}

void thpsim_set_bug_handler(thpsim_bug_fn fn)
{
	atomic_store(&user_handler, fn);
}

void thpsim__bug(const char *file, int line, const char *fmt, ...)
{
	thpsim_bug_fn fn = atomic_load(&test_handler);
	char msg[512];
	va_list ap;

	const char *lib = strstr(file, "/lib/");

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (lib)
		file = lib + 1;	/* "lib/machine/phys.c", from the source root */
	if (fn) {
		fn(msg, file, line);
		return;
	}
	fn = atomic_load(&user_handler);
	if (fn)
		fn(msg, file, line);
	/* Inside a deterministic run: ends the run, does not return. */
	detsched_recover_bug(msg, file, line);
	thpsim_bug_abort(msg, file, line);
}

/* ---- held-lock record ------------------------------------------------- */

static int my_cpu_id(void)
{
	struct cpu *c = this_cpu();

	return c ? c->id : -1;
}

static void held_push(const void *lock, const char *name)
{
	struct cpu *c = this_cpu();

	if (!c)
		return;
	if (c->nr_held >= THPSIM_HELD_LOCKS_MAX) {
		thpsim__bug(__FILE__, __LINE__,
			    "CPU %d takes lock %s while holding %d locks (max %d)",
			    c->id, name, (int)c->nr_held,
			    THPSIM_HELD_LOCKS_MAX);
		return;
	}
	c->held[c->nr_held++] = lock;
}

/* strict: releasing a lock this CPU does not hold is a bug. */
static void held_pop(const void *lock, const char *name, bool strict)
{
	struct cpu *c = this_cpu();
	unsigned i;

	if (!c)
		return;
	for (i = c->nr_held; i-- > 0;) {
		if (c->held[i] != lock)
			continue;
		memmove(&c->held[i], &c->held[i + 1],
			(c->nr_held - i - 1) * sizeof(c->held[0]));
		c->nr_held--;
		return;
	}
	if (strict)
		thpsim__bug(__FILE__, __LINE__,
			    "CPU %d releases lock %s that it does not hold",
			    c->id, name);
}

/*
 * Both lock types start with their state word; a non-zero state (ignoring
 * the rwsem's writer-waiting bit) means "held by someone".
 */
static bool held_by_anyone(const void *lock)
{
	const _Atomic uint32_t *state = lock;

	return (atomic_load(state) & ~RWSEM_WRITER_WAIT) != 0;
}

bool lock_is_held(const void *lock)
{
	struct cpu *c = this_cpu();
	unsigned i;

	if (!c)
		return held_by_anyone(lock);
	for (i = 0; i < c->nr_held; i++)
		if (c->held[i] == lock)
			return true;
	return false;
}

/* ---- spinlock ----------------------------------------------------------- */

void spin_lock_init(spinlock_t *lock, const char *name)
{
	atomic_init(&lock->state, 0);
	atomic_init(&lock->owner, -1);
	lock->name = name;
}

static bool spin_cas(spinlock_t *lock, uint32_t from, uint32_t to)
{
	return atomic_compare_exchange_strong_explicit(&lock->state, &from, to,
						       memory_order_acquire,
						       memory_order_relaxed);
}

static void spin_lock_slow(spinlock_t *lock)
{
	uint32_t c;
	int i;

	for (i = 0; i < SPIN_TRIES; i++) {
		cpu_relax();
		if (!atomic_load_explicit(&lock->state, memory_order_relaxed) &&
		    spin_cas(lock, 0, 1))
			return;
	}
	/*
	 * Announce a sleeper with state 2 before sleeping: spin_unlock()
	 * sees 2 and wakes one.  A thread that takes the lock through this
	 * path leaves it at 2 even if nobody else waits (one spare wake,
	 * never a lost one).
	 */
	c = atomic_exchange_explicit(&lock->state, 2, memory_order_acquire);
	while (c != 0) {
		struct sched_wait_info info = {
			.what = lock->name,
			.owner_cpu = atomic_load_explicit(&lock->owner,
							  memory_order_relaxed),
		};

		sched_wait_for(&lock->state, 2, 0, &info);
		c = atomic_exchange_explicit(&lock->state, 2,
					     memory_order_acquire);
	}
}

void spin_lock(spinlock_t *lock)
{
	sched_point(LOCK);
	sched_access_lock(lock, lock->name, true);
	if (!spin_cas(lock, 0, 1))
		spin_lock_slow(lock);
	atomic_store_explicit(&lock->owner, my_cpu_id(), memory_order_relaxed);
	held_push(lock, lock->name);
}

bool spin_trylock(spinlock_t *lock)
{
	sched_point(LOCK);
	sched_access_lock(lock, lock->name, true);
	if (!spin_cas(lock, 0, 1))
		return false;
	atomic_store_explicit(&lock->owner, my_cpu_id(), memory_order_relaxed);
	held_push(lock, lock->name);
	return true;
}

void spin_unlock(spinlock_t *lock)
{
	int me = my_cpu_id();
	int owner = atomic_load_explicit(&lock->owner, memory_order_relaxed);

	sched_access_lock(lock, lock->name, true);
	if (atomic_load(&lock->state) == 0) {
		thpsim__bug(__FILE__, __LINE__, "spin_unlock of unlocked %s",
			    lock->name);
		return;
	}
	if (me >= 0 && owner != me)
		thpsim__bug(__FILE__, __LINE__,
			    "CPU %d unlocks %s held by CPU %d", me, lock->name,
			    owner);
	held_pop(lock, lock->name, true);
	atomic_store_explicit(&lock->owner, -1, memory_order_relaxed);
	/* 2 (sleepers possible) becomes 1 here: reset and wake one. */
	if (atomic_fetch_sub_explicit(&lock->state, 1,
				      memory_order_release) != 1) {
		atomic_store_explicit(&lock->state, 0, memory_order_release);
		sched_wake(&lock->state, 1);
	}
	sched_point(UNLOCK);
}

bool spin_is_locked(spinlock_t *lock)
{
	sched_access_lock(lock, lock->name, false);
	return atomic_load(&lock->state) != 0;
}

/* ---- rw_semaphore --------------------------------------------------- */

void init_rwsem(struct rw_semaphore *sem, const char *name)
{
	atomic_init(&sem->state, 0);
	atomic_init(&sem->seq, 0);
	atomic_init(&sem->waiters, 0);
	atomic_init(&sem->owner, -1);
	sem->name = name;
}

bool down_read_trylock(struct rw_semaphore *sem)
{
	uint32_t s = atomic_load_explicit(&sem->state, memory_order_relaxed);

	sched_access_lock(sem, sem->name, true);
	do {
		if (s & (RWSEM_WRITER | RWSEM_WRITER_WAIT))
			return false;
	} while (!atomic_compare_exchange_weak_explicit(&sem->state, &s, s + 1,
							memory_order_acquire,
							memory_order_relaxed));
	held_push(sem, sem->name);
	return true;
}

static bool write_trylock(struct rw_semaphore *sem)
{
	uint32_t s = atomic_load_explicit(&sem->state, memory_order_relaxed);

	sched_access_lock(sem, sem->name, true);
	/* Taking the lock clears the waiting bit; other writers re-set it. */
	while ((s & ~RWSEM_WRITER_WAIT) == 0) {
		if (atomic_compare_exchange_weak_explicit(&sem->state, &s,
							  RWSEM_WRITER,
							  memory_order_acquire,
							  memory_order_relaxed))
			return true;
	}
	return false;
}

bool down_write_trylock(struct rw_semaphore *sem)
{
	if (!write_trylock(sem))
		return false;
	atomic_store_explicit(&sem->owner, my_cpu_id(), memory_order_relaxed);
	held_push(sem, sem->name);
	return true;
}

/*
 * Sleep until the next release.  The sequence is read before the state is
 * re-checked, so a release between the check and the futex call changes
 * the sequence and the futex returns at once (no lost wake-up).
 */
static void rwsem_wait(struct rw_semaphore *sem, bool writer)
{
	uint32_t seq = atomic_load_explicit(&sem->seq, memory_order_acquire);
	uint32_t s = atomic_load(&sem->state);
	struct sched_wait_info info;

	sched_access_lock(sem, sem->name, true);
	if (writer) {
		if ((s & ~RWSEM_WRITER_WAIT) == 0)
			return;
		if (!(s & RWSEM_WRITER_WAIT))
			atomic_fetch_or(&sem->state, RWSEM_WRITER_WAIT);
	} else if (!(s & (RWSEM_WRITER | RWSEM_WRITER_WAIT))) {
		return;
	}
	info.what = sem->name;
	info.owner_cpu = atomic_load_explicit(&sem->owner,
					      memory_order_relaxed);
	atomic_fetch_add(&sem->waiters, 1);
	sched_wait_for(&sem->seq, seq, 0, &info);
	atomic_fetch_sub(&sem->waiters, 1);
}

static void rwsem_release_wake(struct rw_semaphore *sem)
{
	sched_access_lock(sem, sem->name, true);
	/* Pairs with the waiters increment in rwsem_wait(): both are RMWs. */
	atomic_fetch_add(&sem->seq, 1);
	if (atomic_load(&sem->waiters))
		sched_wake(&sem->seq, INT32_MAX);
}

void down_read(struct rw_semaphore *sem)
{
	sched_point(LOCK);
	while (!down_read_trylock(sem))
		rwsem_wait(sem, false);
}

void up_read(struct rw_semaphore *sem)
{
	if ((atomic_load(&sem->state) & RWSEM_READERS) == 0) {
		thpsim__bug(__FILE__, __LINE__, "up_read of %s without readers",
			    sem->name);
		return;
	}
	/* A reader may be released by another thread (up_read_non_owner). */
	held_pop(sem, sem->name, false);
	atomic_fetch_sub_explicit(&sem->state, 1, memory_order_release);
	rwsem_release_wake(sem);
	sched_point(UNLOCK);
}

void down_write(struct rw_semaphore *sem)
{
	sched_point(LOCK);
	while (!write_trylock(sem))
		rwsem_wait(sem, true);
	atomic_store_explicit(&sem->owner, my_cpu_id(), memory_order_relaxed);
	held_push(sem, sem->name);
}

void up_write(struct rw_semaphore *sem)
{
	int me = my_cpu_id();
	int owner = atomic_load_explicit(&sem->owner, memory_order_relaxed);

	if (!(atomic_load(&sem->state) & RWSEM_WRITER)) {
		thpsim__bug(__FILE__, __LINE__, "up_write of %s not write-held",
			    sem->name);
		return;
	}
	if (me >= 0 && owner != me)
		thpsim__bug(__FILE__, __LINE__,
			    "CPU %d up_writes %s held by CPU %d", me, sem->name,
			    owner);
	held_pop(sem, sem->name, true);
	atomic_store_explicit(&sem->owner, -1, memory_order_relaxed);
	atomic_fetch_and_explicit(&sem->state, ~RWSEM_WRITER,
				  memory_order_release);
	rwsem_release_wake(sem);
	sched_point(UNLOCK);
}

bool rwsem_is_locked(struct rw_semaphore *sem)
{
	sched_access_lock(sem, sem->name, false);
	return (atomic_load(&sem->state) & ~RWSEM_WRITER_WAIT) != 0;
}

bool rwsem_is_write_held_by_me(struct rw_semaphore *sem)
{
	int me = my_cpu_id();

	sched_access_lock(sem, sem->name, false);
	if (!(atomic_load(&sem->state) & RWSEM_WRITER))
		return false;
	return me < 0 || atomic_load(&sem->owner) == me;
}
