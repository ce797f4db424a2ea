/*
 * machine/internal.h - what the machine layer's own files share: the
 * machine object, the call-single-data descriptor and the internal entry
 * points between cpu.c, irq.c, ipi.c, ipi_membarrier.c and machine.c.
 * Nothing above the machine layer includes this file.
 */
#ifndef THPSIM_MACHINE_INTERNAL_H
#define THPSIM_MACHINE_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "thpsim/machine.h"
#include "machine/cpu.h"

struct phys;

/*
 * One pending call from a sender CPU to a target CPU: the kernel's
 * call_single_data, one per (sender, target) pair as in its per-CPU cfd.
 * flags is the handshake word (and the futex the sender sleeps on):
 *
 *	CSD_LOCK	in flight; the sender may not refill it
 *	CSD_SYNC	wait=1 call: released only after fn returned
 *	CSD_WAITING	the sender sleeps on flags: releaser must wake it
 *	CSD_RUNNING	the target is running fn now (cannot be withdrawn)
 *	CSD_CANCEL	the sender gave up (watchdog): do not run fn
 */
enum {
	CSD_LOCK = 1u << 0,
	CSD_SYNC = 1u << 1,
	CSD_WAITING = 1u << 2,
	CSD_RUNNING = 1u << 3,
	CSD_CANCEL = 1u << 4,
};

struct call_single_data {
	struct call_single_data *next;	/* target's call_queue linkage */
	thpsim_smp_call_func_t fn;
	void *info;
	_Atomic uint32_t flags;
	int src;			/* sending CPU */
	int dst;			/* target CPU */
};

/* X(name): the machine's event counters (thpsim_machine_stats_t). */
#define MACHINE_STATS(X)                                                     \
	X(ipi_sent)                                                          \
	X(ipi_signals)                                                       \
	X(ipi_handled)                                                       \
	X(ipi_deferred)                                                      \
	X(ipi_waits_slept)                                                   \
	X(membarriers)                                                       \
	X(watchdog_fires)

struct machine_stats {
#define MACHINE_STAT_FIELD(name) _Atomic uint64_t name;
	MACHINE_STATS(MACHINE_STAT_FIELD)
#undef MACHINE_STAT_FIELD
};

/* Relaxed: counters are read only as a snapshot.  Async-signal-safe. */
#define machine_stat_inc(m, name)                                            \
	atomic_fetch_add_explicit(&(m)->stats.name, 1, memory_order_relaxed)

struct thpsim_machine {
	thpsim_machine_config_t cfg;
	struct cpu *cpus;		/* cfg.nr_cpus slots, cache aligned */
	struct call_single_data *csd_pool; /* nr_cpus x nr_cpus */
	struct phys *phys;

	/* Slot allocation and the watchdog's handler and last report. */
	pthread_mutex_t lock;
	_Atomic uint64_t watchdog_ns;
	thpsim_watchdog_fn watchdog_fn;
	void *watchdog_arg;
	bool watchdog_fired;
	thpsim_watchdog_report_t watchdog_last;

	struct machine_stats stats;
};

/*
 * irq_depth is written by its own CPU (thread and signal handler) and read
 * by the watchdog from other threads: relaxed atomics, with signal fences
 * that order it against the handler on the same thread (no CPU fence).
 */
static inline unsigned irq_depth_read(const struct cpu *c)
{
	return __atomic_load_n(&c->irq_depth, __ATOMIC_RELAXED);
}

static inline void irq_depth_set(struct cpu *c, unsigned depth)
{
	atomic_signal_fence(memory_order_seq_cst);
	__atomic_store_n(&c->irq_depth, depth, __ATOMIC_RELAXED);
	atomic_signal_fence(memory_order_seq_cst);
}

/*
 * How long a waiting sender spins before it sleeps: a little above the
 * measured pthread_kill round trip to a spinning target (TOOLCHAIN.md:
 * 10-14 us), so an answer already on its way is not paid for with two
 * futex calls, while a target that needs the sender's core gets it soon.
 */
#define THPSIM_IPI_SPIN_NS 20000u

/* ipi.c */
int thpsim__ipi_install(int sig);
void thpsim__ipi_kick_signal(struct cpu *target);
/*
 * Does c's soft mask defer an IPI arriving now (irq_depth, unless mutant
 * ipi-ignores-mask)?  Every delivery decision asks this, the deterministic
 * kick included.
 */
bool thpsim__ipi_deferred(const struct cpu *c);
/* Run every queued call on c, IRQs masked meanwhile (see irq.c). */
void thpsim__ipi_run_queue(struct cpu *c);
int thpsim__ipi_check_caller(thpsim_machine_t *m, struct cpu **self);

/* ipi_membarrier.c */
int thpsim__membarrier_setup(void);
int thpsim__ipi_sync_membarrier(thpsim_machine_t *m,
				const thpsim_cpumask_t *mask);
/* The system call, replaceable by tests (ENOSYS simulation). */
extern long (*thpsim__membarrier)(int cmd, unsigned int flags, int cpu_id);

/* machine.c */
void thpsim__watchdog_report(thpsim_machine_t *m, int sender, int cpu,
			     uint64_t waited_ns);
uint64_t thpsim__watchdog_bound(thpsim_machine_t *m);
uint64_t thpsim__ipi_deadline(thpsim_machine_t *m, uint64_t start);

#endif /* THPSIM_MACHINE_INTERNAL_H */
