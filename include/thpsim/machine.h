/*
 * thpsim/machine.h - the simulated machine: CPUs, soft interrupt mask,
 * pseudo-IPIs, scheduling points, RCU glue, physical memory.
 *
 * API overview, in call order:
 *
 *   thpsim_machine_config_init(&cfg);        defaults (x86-64-like, 4 KiB pages)
 *   thpsim_machine_create(&cfg, &m);         arena of frames, per-CPU slots, IPI signal
 *     thpsim_cpu_register(m, &id);           in each pthread that is a CPU
 *       thpsim_irq_save() / thpsim_irq_restore(flags)
 *                                            soft mask: IPIs arriving meanwhile pend
 *       thpsim_smp_call_function_many(m, &mask, fn, info, wait)
 *                                            pseudo-IPI by signal; waits for acks
 *       thpsim_ipi_sync(m, &mask)            the empty sync IPI (signal or membarrier)
 *       thpsim_cpu_idle_enter()/exit()       an idle CPU still takes IPIs
 *     thpsim_cpu_unregister();
 *   thpsim_machine_destroy(m);
 *
 * Every simulated CPU is a registered pthread.  Interrupt disabling is a soft
 * mask (a per-CPU depth, no system call); a pseudo-IPI that arrives while the
 * mask is held is recorded as pending and runs when the mask drops to zero.
 * IPI functions run in signal context: they must be async-signal-safe.
 */
#ifndef THPSIM_MACHINE_H
#define THPSIM_MACHINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "thpsim/errors.h"
#include "thpsim/sched_points.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Largest number of simulated CPUs one machine can have. */
#define THPSIM_NR_CPUS_MAX 256

typedef struct thpsim_machine thpsim_machine_t;

/* A set of CPU ids (bit i = CPU i). */
typedef struct thpsim_cpumask {
	uint64_t bits[THPSIM_NR_CPUS_MAX / 64];
} thpsim_cpumask_t;

static inline void thpsim_cpumask_clear(thpsim_cpumask_t *m)
{
	for (unsigned i = 0; i < THPSIM_NR_CPUS_MAX / 64; i++)
		m->bits[i] = 0;
}
static inline void thpsim_cpumask_set(thpsim_cpumask_t *m, unsigned cpu)
{
	if (cpu >= THPSIM_NR_CPUS_MAX)
		return;
	m->bits[cpu / 64] |= UINT64_C(1) << (cpu % 64);
}
static inline void thpsim_cpumask_unset(thpsim_cpumask_t *m, unsigned cpu)
{
	if (cpu >= THPSIM_NR_CPUS_MAX)
		return;
	m->bits[cpu / 64] &= ~(UINT64_C(1) << (cpu % 64));
}
static inline bool thpsim_cpumask_test(const thpsim_cpumask_t *m, unsigned cpu)
{
	return cpu < THPSIM_NR_CPUS_MAX && (m->bits[cpu / 64] >> (cpu % 64)) & 1;
}

/* How the empty synchronisation IPI (fn == NULL) reaches the other CPUs. */
typedef enum thpsim_ipi_backend {
	THPSIM_IPI_SIGNAL = 0,	/* pthread_kill + handler ack (default) */
	THPSIM_IPI_MEMBARRIER,	/* membarrier(PRIVATE_EXPEDITED) + wait for
				   each masked CPU's section counter to move */
} thpsim_ipi_backend_t;

/* Allocation kinds for failure injection. */
typedef enum thpsim_alloc_kind {
	THPSIM_ALLOC_DATA = 0,	/* ordinary data page (fault-in) */
	THPSIM_ALLOC_TABLE,	/* page-table page */
	THPSIM_ALLOC_BATCH,	/* the mmu_gather batch page */
	THPSIM_ALLOC_HUGE,	/* compound (THP) page */
	THPSIM_ALLOC__NR
} thpsim_alloc_kind_t;

typedef struct thpsim_machine_config {
	unsigned nr_cpus;	/* CPU slots, 1..THPSIM_NR_CPUS_MAX [64] */
	int ipi_signal;		/* real-time signal for pseudo-IPIs,
				   SIGRTMIN..SIGRTMAX; 0 = SIGRTMIN+4 */
	thpsim_ipi_backend_t sync_backend; /* for the empty sync IPI */
	uint64_t watchdog_ns;	/* bound on any IPI wait [2 s] */
	size_t nr_frames;	/* physical frames [4096] */
	unsigned page_shift;	/* page size = 1 << page_shift, 6..16 [12] */
	bool guest;		/* vCPUs a host can preempt [false]: an IPI to
				   a preempted vCPU is taken only when it runs
				   again, and it is not quiescent for RCU
				   meanwhile (a profile's `guest` flag) */
} thpsim_machine_config_t;

void thpsim_machine_config_init(thpsim_machine_config_t *cfg);
/*
 * Create a machine.  Fails with -THPSIM_EINVAL (bad value, named in
 * thpsim_errmsg()), -THPSIM_ENOSYS (membarrier backend asked for but the
 * syscall is missing) or -THPSIM_ENOMEM.
 */
int thpsim_machine_create(const thpsim_machine_config_t *cfg,
			  thpsim_machine_t **out);
/* All CPUs must have unregistered. */
void thpsim_machine_destroy(thpsim_machine_t *m);
const thpsim_machine_config_t *thpsim_machine_config(const thpsim_machine_t *m);

/* ---- CPUs ------------------------------------------------------------- */

/* Make the calling pthread a simulated CPU; *id receives its number. */
int thpsim_cpu_register(thpsim_machine_t *m, int *id);
/* Leave the machine; IRQs must be unmasked.  Runs pending IPIs first. */
int thpsim_cpu_unregister(void);
/* The calling thread's CPU id, or -1 when it is not a CPU. */
int thpsim_cpu_id(void);
/* The set of CPUs registered now. */
void thpsim_cpu_online_mask(thpsim_machine_t *m, thpsim_cpumask_t *out);
/*
 * Idle: the CPU is parked (blocked in a system call, say).  It still takes
 * and acks IPIs; profiles may treat idle CPUs specially.
 */
void thpsim_cpu_idle_enter(void);
void thpsim_cpu_idle_exit(void);
bool thpsim_cpu_is_idle(thpsim_machine_t *m, int cpu);
/*
 * vCPU preemption (KVM PV flush skips preempted vCPUs).  On a guest
 * machine (cfg.guest) IPIs to a preempted vCPU pend until it is resumed;
 * resuming it from its own thread with interrupts on takes them at once,
 * from another thread kicks it.
 */
void thpsim_cpu_set_preempted(thpsim_machine_t *m, int cpu, bool preempted);
bool thpsim_cpu_is_preempted(thpsim_machine_t *m, int cpu);

/*
 * Interrupts a CPU took, by kind, as x86's /proc/interrupts counts them:
 * CAL every function-call IPI (the empty sync IPI and TLB-flush IPIs
 * alike: __sysvec_call_function), TLB the shootdowns among them
 * (flush_tlb_func on a remote CPU).  One per call taken (the kernel
 * counts one per interrupt, which may carry several queued calls); a
 * membarrier sync counts one CAL on each CPU it covered.  Counted from
 * machine creation, per slot, whoever holds it.
 */
typedef struct thpsim_irq_counts {
	uint64_t cal;
	uint64_t tlb;
} thpsim_irq_counts_t;

/* 0, or -THPSIM_EINVAL for a NULL machine or a cpu outside its slots. */
int thpsim_cpu_irq_counts(thpsim_machine_t *m, int cpu,
			  thpsim_irq_counts_t *out);

/* ---- Interrupts (soft mask) ------------------------------------------ */

/* Where code masked interrupts: reported by the watchdog. */
typedef struct thpsim_site {
	const char *func;
	const char *file;
	int line;
} thpsim_site_t;

/*
 * A static object, not a compound literal: the watchdog reads the site
 * from another thread, possibly after the masking block has ended.
 */
#if defined(__GNUC__)
#define THPSIM_SITE_HERE                                                     \
	({                                                                   \
		static const thpsim_site_t thpsim__site_ = {                 \
			__func__, __FILE__, __LINE__                         \
		};                                                           \
		&thpsim__site_;                                              \
	})
#else
#define THPSIM_SITE_HERE                                                     \
	(&(const thpsim_site_t){ __func__, __FILE__, __LINE__ })
#endif

unsigned long thpsim__irq_save(const thpsim_site_t *site);
void thpsim__irq_restore(unsigned long flags);
/* Mask interrupts on this CPU; returns the previous state for restore. */
#define thpsim_irq_save() thpsim__irq_save(THPSIM_SITE_HERE)
#define thpsim_irq_restore(flags) thpsim__irq_restore(flags)
bool thpsim_irqs_disabled(void);

/* ---- Pseudo-IPIs -------------------------------------------------------- */

/* Runs on the target CPU in signal context: async-signal-safe code only. */
typedef void (*thpsim_smp_call_func_t)(void *info);

/*
 * Run fn(info) on every CPU in mask except the caller.  With wait, return
 * when every target has run it.  fn == NULL is the empty sync IPI.  IRQs of
 * the caller must be unmasked (-THPSIM_EDEADLK otherwise).  A wait longer
 * than the watchdog bound returns -THPSIM_ETIMEDOUT after reporting (see
 * thpsim_machine_set_watchdog).  Targets not online are ignored.
 */
int thpsim_smp_call_function_many(thpsim_machine_t *m,
				  const thpsim_cpumask_t *mask,
				  thpsim_smp_call_func_t fn, void *info,
				  bool wait);
/* All other online CPUs. */
int thpsim_smp_call_function(thpsim_machine_t *m, thpsim_smp_call_func_t fn,
			     void *info, bool wait);
int thpsim_smp_call_function_single(thpsim_machine_t *m, int cpu,
				    thpsim_smp_call_func_t fn, void *info,
				    bool wait);
/*
 * The empty synchronous IPI to mask (minus self): returns once no target
 * can still be inside an IRQ-masked section begun before the call.  Uses
 * the machine's sync_backend.
 */
int thpsim_ipi_sync(thpsim_machine_t *m, const thpsim_cpumask_t *mask);

/* A wait that overran the watchdog bound. */
typedef struct thpsim_watchdog_report {
	int sender;		/* CPU that waited */
	int cpu;		/* CPU that did not ack */
	unsigned irq_depth;	/* its mask depth when reported */
	thpsim_site_t masked_at; /* where it masked interrupts (func NULL:
				    not masked, e.g. not scheduled) */
	uint64_t waited_ns;
} thpsim_watchdog_report_t;

typedef void (*thpsim_watchdog_fn)(const thpsim_watchdog_report_t *r,
				   void *arg);
/* Set the bound and a handler (NULL: print to stderr). */
void thpsim_machine_set_watchdog(thpsim_machine_t *m, uint64_t bound_ns,
				 thpsim_watchdog_fn fn, void *arg);
/* The last report, if any: returns false when the watchdog never fired. */
bool thpsim_machine_last_watchdog(thpsim_machine_t *m,
				  thpsim_watchdog_report_t *out);

typedef struct thpsim_machine_stats {
	uint64_t ipi_sent;	/* calls queued to a target */
	uint64_t ipi_signals;	/* pthread_kill issued */
	uint64_t ipi_handled;	/* calls run on a target */
	uint64_t ipi_deferred;	/* arrivals while the target was masked */
	uint64_t ipi_waits_slept; /* sender waits that went to futex sleep */
	uint64_t membarriers;	/* membarrier syscalls */
	uint64_t watchdog_fires;
} thpsim_machine_stats_t;

void thpsim_machine_stats(thpsim_machine_t *m, thpsim_machine_stats_t *out);

/* ---- RCU ------------------------------------------------------------- */

/*
 * Wait until every RCU callback queued before the call has run (the
 * kernel's rcu_barrier()): page tables freed through mmu_gather's RCU
 * batch (munmap on profiles with MMU_GATHER_RCU_TABLE_FREE) are back in
 * the frame pool when it returns.  The calling thread must be a registered
 * CPU of m with interrupts unmasked (a masked section holds the grace
 * period off): -THPSIM_ENOTCPU, -THPSIM_EINVAL (m NULL or another
 * machine's CPU) or -THPSIM_EDEADLK otherwise.
 */
int thpsim_machine_rcu_barrier(thpsim_machine_t *m);

/* ---- Self-check ------------------------------------------------------ */

/* Percentiles of one measured series, in nanoseconds. */
typedef struct thpsim_latency {
	uint64_t p50_ns;
	uint64_t p99_ns;
	uint64_t max_ns;
} thpsim_latency_t;

typedef struct thpsim_ipi_selftest {
	unsigned rounds;
	thpsim_latency_t raw_signal;	/* floor: pthread_kill + handler ack */
	thpsim_latency_t call_single;	/* smp_call_function_single, wait=1 */
	thpsim_latency_t sync_signal;	/* thpsim_ipi_sync by signal */
	bool membarrier_ok;		/* the two below were measured */
	thpsim_latency_t raw_membarrier; /* floor: membarrier(PRIVATE_EXPEDITED) */
	thpsim_latency_t sync_membarrier; /* thpsim_ipi_sync by membarrier */
} thpsim_ipi_selftest_t;

/*
 * Measure IPI round trips against their floors: spawns one spinning target
 * CPU (a free slot is needed) and measures rounds of each series on the
 * calling thread (registered for the duration if it is not a CPU).  Uses
 * ipi_signal + 1 (or - 1 at SIGRTMAX) for the raw floor and restores its
 * disposition.  Timing only, never a correctness check.
 */
int thpsim_ipi_selftest(thpsim_machine_t *m, unsigned rounds,
			thpsim_ipi_selftest_t *out);

/* ---- Scheduling points ---------------------------------------------------- */

/*
 * A hook called at every named scheduling point while installed (free
 * mode: used to inject stalls; the deterministic scheduler installs its
 * own).  With no hook a point costs one predicted branch.
 */
typedef void (*thpsim_sched_hook_fn)(int point, void *arg);
void thpsim_sched_set_hook(thpsim_sched_hook_fn fn, void *arg);
/* The points, their names and thpsim_sched_point_parse():
 * thpsim/sched_points.h (included above). */

#ifdef __cplusplus
}
#endif
#endif /* THPSIM_MACHINE_H */
