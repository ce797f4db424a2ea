/*
 * thpsim/workload.h - free-running stress: the model on real pthreads,
 * real signal pseudo-IPIs and liburcu grace periods (docs/DESIGN.md section 4).
 *
 * API overview, in call order:
 *
 *   thpsim_stress_config_init(&sc);          arm64, none, 4x64, 1 walker, 1 s
 *   sc.profile = "x86"; sc.fix = "ipi-sync"; sc.stall_ns = 200000; ...
 *   thpsim_stress_run(&sc, &res);            runs for sc.duration_ns
 *     thpsim_stress_stop();                  (from a SIGINT handler) end early
 *   res.verdict                              the oracle's judgement
 *   res.counters                             IPIs, grace periods, frees, ...
 *
 * Threads, each a registered simulated CPU; all but the idle ones run the
 * one address space:
 * walkers loop GUP-fast (pin, read and check the bytes, unpin) over an
 * anonymous range and a shmem file range; a khugepaged thread collapses
 * both, one after the other; a user thread splits and zaps the anonymous
 * range and refaults it, and replaces the file (munmap, new file, mmap,
 * refault) once it was collapsed, so that collapses keep coming; idle CPUs
 * (sc.idle_cpus) never run the mm: they sleep and take interrupts, so the
 * sync IPI reaches them and the mm's TLB flush does not.  The
 * oracle judges the event stream as it comes; the IPI watchdog turns a
 * stuck wait into a DEADLOCK finding.  One stress run per process at a
 * time (the scheduling hook and the event sinks are process-wide).
 */
#ifndef THPSIM_WORKLOAD_H
#define THPSIM_WORKLOAD_H

#include <stdbool.h>
#include <stdint.h>

#include "thpsim/event.h"
#include "thpsim/lab.h"
#include "thpsim/machine.h"
#include "thpsim/mm.h"
#include "thpsim/strategy.h"

#ifdef __cplusplus
extern "C" {
#endif

#define THPSIM_STRESS_WALKERS_MAX 16
/* The control thread, khugepaged, the user, walkers, idle CPUs. */
#define THPSIM_STRESS_CPUS_MAX (3 + THPSIM_STRESS_WALKERS_MAX + THPSIM_IDLE_CPUS_MAX)

struct thpsim_stress_counters;

typedef struct thpsim_stress_config {
	const char *profile;		/* [arm64] */
	const char *fix;		/* [none] */
	thpsim_geometry_t geometry;	/* [4x64, 4 KiB pages] */
	thpsim_knobs_t knobs;		/* [pmd recheck on, ...] */
	unsigned walkers;		/* 1..THPSIM_STRESS_WALKERS_MAX [1] */
	uint64_t duration_ns;		/* [1 s] */
	/* A walker stalls stall_ns inside one GUP-fast IRQ-off section in
	 * stall_every (its walk passes counted per walker), once in that
	 * section: after its pmd read, before any grab (0: never).  On a
	 * guest profile (x86-kvm-pv) the walker's vCPU is marked preempted
	 * while it stalls: the PV flush skips it, other IPIs wait for it. */
	uint64_t stall_ns;		/* [0] */
	unsigned stall_every;		/* 1.. [1] */
	uint64_t seed;			/* walkers' address choice [1] */
	thpsim_ipi_backend_t ipi;	/* the empty sync IPI [signal] */
	uint64_t grace_ns;		/* bound on the wind-down [2 s] */
	unsigned idle_cpus;		/* 0..THPSIM_IDLE_CPUS_MAX [0] */
	/* Periodic statistics: progress(counters so far, arg) from the
	 * calling thread every progress_ns while the run goes (0: never). */
	uint64_t progress_ns;		/* [0] */
	void (*progress)(const struct thpsim_stress_counters *so_far, void *arg);
	void *progress_arg;
	/* Every event the oracle judges, to on_event(ev, on_event_arg), from
	 * the thread that emitted it, one at a time (emission is serialized
	 * during a stress run), after the oracle saw it; IPI_RUN is not
	 * passed on (it comes from signal handlers).  It must be quick and
	 * must not call the model (thpsim/observe.h) [NULL]. */
	thpsim_event_fn on_event;
	void *on_event_arg;
} thpsim_stress_config_t;

typedef struct thpsim_stress_counters {
	double elapsed_s;		/* wall time the threads ran */
	uint64_t walks;			/* GUP-fast calls */
	uint64_t pages_pinned;		/* pages they returned */
	uint64_t bytes_bad;		/* pinned pages whose bytes differed */
	uint64_t collapses_ok;		/* COLLAPSE_END with SCAN_SUCCEED */
	uint64_t collapses_failed;	/* other COLLAPSE_END */
	uint64_t splits, zaps, refaults, file_swaps;
	uint64_t ipi_sent, ipi_acked;	/* thpsim_machine_stats() */
	uint64_t membarriers, watchdog_fires;
	uint64_t grace_periods;		/* RCU grace periods seen to end */
	uint64_t tables_freed_now;	/* TABLE_FREE, freed at once */
	uint64_t tables_freed_rcu;	/* TABLE_FREE, after a grace period */
	uint64_t stalls;		/* stalls injected (one per section at most) */
	uint64_t irq_off_sections;	/* walkers' IRQ-off sections (passes) */
	uint64_t irq_off_max_ns;	/* the longest of them, measured */
	uint64_t unhooked_reads;	/* verdict.nr_unhooked_reads (lab.h) */
	uint64_t events;		/* events judged by the oracle */
	uint64_t events_skipped;	/* IPI_RUN from signal context */
} thpsim_stress_counters_t;

/* One CPU of the run and the interrupts it took (thpsim_irq_counts_t). */
typedef struct thpsim_stress_cpu {
	int cpu;			/* its id */
	const char *role;		/* "control", "khugepaged", "user",
					   "walker", "idle" */
	unsigned idx;			/* walker / idle CPU number, from 0 */
	bool in_mm;			/* it ran the mm (in mm_cpumask) */
	thpsim_irq_counts_t irqs;
} thpsim_stress_cpu_t;

typedef struct thpsim_stress_result {
	thpsim_verdict_t verdict;
	thpsim_stress_counters_t counters;
	unsigned nr_cpus;		/* rows of cpus[], by CPU id */
	thpsim_stress_cpu_t cpus[THPSIM_STRESS_CPUS_MAX];
	bool interrupted;		/* thpsim_stress_stop() ended it */
	char deadlock[512];		/* the watchdog's report, if any */
} thpsim_stress_result_t;

void thpsim_stress_config_init(thpsim_stress_config_t *sc);
/*
 * Run the stress workload.  0 on a completed run whatever its outcome;
 * -THPSIM_EINVAL naming a bad profile, fix, geometry or count;
 * -THPSIM_EINTERNAL when the run itself failed (setup error, or a thread
 * that did not stop within grace_ns: then its resources are leaked and the
 * process should exit).
 */
int thpsim_stress_run(const thpsim_stress_config_t *sc,
		      thpsim_stress_result_t *out);
/* End the run in progress early.  Async-signal-safe. */
void thpsim_stress_stop(void);
/*
 * Did a completed run exercise the race?  NULL when it did; else why
 * not, in words ("0 pages pinned").  Exercised means all three of: the
 * walkers pinned pages (pages_pinned > 0), a collapse completed while
 * they ran (collapses_ok > 0), and a walker read an entry of a table that
 * was unhooked or replaced during its walk (unhooked_reads > 0).  A run
 * without them proves nothing, whatever its outcome; `thpsim stress`
 * exits 5 for it (a violation still exits 1).  NULL r: "no result".
 */
const char *thpsim_stress_vacuous(const thpsim_stress_result_t *r);

#ifdef __cplusplus
}
#endif
#endif /* THPSIM_WORKLOAD_H */
