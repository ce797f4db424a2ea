/*
 * machine/sched.h - named scheduling points and the blocking primitive.
 *
 * Every shared access of the mm layer passes a named point:
 *
 *	sched_point(GUP_AFTER_PMD_READ);
 *
 * Free mode (no hook installed) costs one predicted-not-taken branch on a
 * global.  A hook (stall injection in free mode, the deterministic
 * scheduler later) sees the point's id and may stall or switch threads.
 *
 * Blocking goes through sched_wait()/sched_wake() on a 32-bit word, futex
 * style: free mode maps them to the futex system call, the deterministic
 * scheduler (a later layer) installs ops that park the fiber instead and so
 * knows who waits on what.  Locks, IPI acks and RCU waits are all built on
 * this pair, which is what makes them "sched-aware".
 */
#ifndef THPSIM_MACHINE_SCHED_H
#define THPSIM_MACHINE_SCHED_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "thpsim/machine.h"

/* The points themselves: thpsim/sched_points.h (THPSIM_SCHED_POINTS). */

/* Installed hook, NULL in plain free mode. */
extern thpsim_sched_hook_fn thpsim__sched_hook;
extern void *thpsim__sched_hook_arg;

#define sched_point(P)                                                       \
	do {                                                                 \
		if (__builtin_expect(thpsim__sched_hook != 0, 0))            \
			thpsim__sched_hook(THPSIM_SP_##P,                    \
					   thpsim__sched_hook_arg);          \
	} while (0)

/*
 * Read-modify-writes of the model's shared words (refcounts, mapcounts,
 * page flags, counters).  While the deterministic scheduler runs
 * (thpsim__serial), one OS thread executes every simulated CPU and
 * switches between them only at scheduling points, so a plain relaxed
 * load and store is already atomic against every other simulated CPU; the
 * locked instruction bought nothing and a zapped PTE paid five of them.
 * Free mode (real pthreads) keeps the locked RMW.  (One deterministic
 * run at a time per process, and no free-mode run beside it: the event
 * sinks and the scheduler hooks are process-wide already.)  Each returns
 * the old value, as atomic_fetch_OP().
 */
extern bool thpsim__serial;
#define thpsim__serial_rmw(obj, OP, v)                                       \
	__extension__({                                                      \
		__typeof__(obj) o_ = (obj);                                  \
		__typeof__(atomic_load_explicit(o_, memory_order_relaxed))   \
			old_ = atomic_load_explicit(o_, memory_order_relaxed); \
		atomic_store_explicit(o_, old_ OP(v), memory_order_relaxed); \
		old_;                                                        \
	})
#define sched_fetch_add(obj, v)                                              \
	(thpsim__serial ? thpsim__serial_rmw(obj, +, v) : atomic_fetch_add(obj, v))
#define sched_fetch_sub(obj, v)                                              \
	(thpsim__serial ? thpsim__serial_rmw(obj, -, v) : atomic_fetch_sub(obj, v))
#define sched_fetch_or(obj, v)                                               \
	(thpsim__serial ? thpsim__serial_rmw(obj, |, v) : atomic_fetch_or(obj, v))
#define sched_fetch_and(obj, v)                                              \
	(thpsim__serial ? thpsim__serial_rmw(obj, &, v) : atomic_fetch_and(obj, v))

/*
 * Shared-object access log, for partial-order reduction (docs/VERIFY.md):
 * sched_access(ptr, write) says the running step reads or writes the
 * shared object at ptr (an entry, a struct page, a lock, a CPU's IRQ or
 * IPI state, RCU state).  A pointer into the simulated physical memory or
 * its struct page array names the whole frame (always as a write), an
 * entry pointer passed to sched_access_entry() its slot.  Only the deterministic
 * scheduler installs a hook, and only while a DPOR policy asks for the
 * log: otherwise this is one predicted-not-taken branch, as sched_point().
 */
typedef void (*thpsim_sched_access_fn)(const void *obj, uint64_t key,
				       bool write);
extern thpsim_sched_access_fn thpsim__sched_access_hook;

#define sched_access(obj, write)                                             \
	do {                                                                 \
		if (__builtin_expect(thpsim__sched_access_hook != 0, 0))     \
			thpsim__sched_access_hook((obj), 0, (write));        \
	} while (0)
/* Frame pfn, named by number (events carry pfns). */
#define SCHED_KEY_FRAME (UINT64_C(8) << 60)
#define sched_access_pfn(pfn, write)                                         \
	do {                                                                 \
		if (__builtin_expect(thpsim__sched_access_hook != 0, 0))     \
			thpsim__sched_access_hook(NULL,                      \
				SCHED_KEY_FRAME | (uint64_t)(pfn), (write)); \
	} while (0)
/*
 * A page-table entry, by frame and slot: entries of one table are
 * independent objects.  An entry access also reads its frame's key, so
 * that what changes the frame as a whole (its struct page, its state, a
 * free: always writes of the frame key) conflicts with every entry in it.
 */
#define SCHED_KEY_ENTRY (UINT64_C(15) << 60)
#define SCHED_ENTRY_SLOT_BITS 16	/* page_shift <= 16: slots < 2^13 */
#define sched_entry_key(pfn, slot)                                           \
	(SCHED_KEY_ENTRY | (uint64_t)(pfn) << SCHED_ENTRY_SLOT_BITS |        \
	 (uint64_t)(slot))
#define sched_access_entry(entryp, write)                                    \
	do {                                                                 \
		if (__builtin_expect(thpsim__sched_access_hook != 0, 0))     \
			thpsim__sched_access_hook((entryp), SCHED_KEY_ENTRY, \
						  (write));                  \
	} while (0)
/* Any other key (the caller makes it the same in every run). */
#define sched_access_key(key, write)                                         \
	do {                                                                 \
		if (__builtin_expect(thpsim__sched_access_hook != 0, 0))     \
			thpsim__sched_access_hook(NULL, (key), (write));     \
	} while (0)
/* Whether vCPU n of a guest machine is preempted by the host (its own
 * object: an IPI kick or an IRQ change of that CPU does not touch it). */
#define SCHED_KEY_VCPU (UINT64_C(5) << 60)
#define sched_access_vcpu(cpu_id, write)                                     \
	sched_access_key(SCHED_KEY_VCPU | (uint64_t)(cpu_id), (write))
/* The oracle's record of CPU n's page-table walk (machine/event.c). */
#define SCHED_KEY_WALK (UINT64_C(7) << 60)
/* A lock: its frame when it lives in one (split page-table locks), else
 * its name (locks of one name are one object: coarser, still sound). */
uint64_t thpsim__sched_name_key(const char *name);
#define sched_access_lock(lock, name, write)                                 \
	do {                                                                 \
		if (__builtin_expect(thpsim__sched_access_hook != 0, 0))     \
			thpsim__sched_access_hook((lock),                    \
				thpsim__sched_name_key(name), (write));      \
	} while (0)

/*
 * Block while *word == val, at most timeout_ns (0 = no bound).  Returns 0
 * when woken or the value differed, -THPSIM_ETIMEDOUT on timeout.
 * Spurious returns are allowed: callers re-check in a loop.
 */
int sched_wait(_Atomic uint32_t *word, uint32_t val, uint64_t timeout_ns);
/* Wake up to n waiters on word (INT32_MAX: all).  Async-signal-safe. */
void sched_wake(_Atomic uint32_t *word, int n);

/*
 * Like sched_wait(), telling the scheduler what the wait is for ("pte
 * lock", "IPI ack") and which CPU it waits on (-1: nobody in particular),
 * so a deterministic run can report a deadlock as "who waits on whom".
 */
struct sched_wait_info {
	const char *what;
	int owner_cpu;
};
int sched_wait_for(_Atomic uint32_t *word, uint32_t val, uint64_t timeout_ns,
		   const struct sched_wait_info *info);

struct cpu;

/*
 * How threads block and how an IPI reaches its target.  Free mode
 * (thpsim__sched_free_backend, the default) blocks on futexes and kicks a
 * target with pthread_kill; the deterministic scheduler swaps in a backend
 * that parks fibers and runs a target's queued calls on its behalf.
 * Swapped only while no free-running CPU thread is active.
 */
struct sched_backend {
	const char *name;
	int (*wait)(_Atomic uint32_t *word, uint32_t val, uint64_t timeout_ns,
		    const struct sched_wait_info *info);
	void (*wake)(_Atomic uint32_t *word, int n);	/* async-signal-safe */
	void (*kick)(struct cpu *target);	/* deliver the IPI */
};
extern const struct sched_backend thpsim__sched_free_backend;
extern const struct sched_backend *thpsim__sched_backend;

static inline bool sched_is_free_running(void)
{
	return thpsim__sched_backend == &thpsim__sched_free_backend;
}

/* Polite busy-wait step (the x86 PAUSE hint: lets the sibling run). */
static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#else
	__asm__ __volatile__("" ::: "memory");
#endif
}

/* Monotonic clock in nanoseconds. */
uint64_t thpsim__now_ns(void);

#endif /* THPSIM_MACHINE_SCHED_H */
