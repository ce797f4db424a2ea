/*
 * thpsim/scale.h - the virtual-time engine: 2 to 256 simulated CPUs on one
 * OS thread (docs/SCALE.md).
 *
 * The deterministic scheduler runs one fiber per simulated CPU and always
 * steps the runnable thread with the smallest virtual clock (ties: the
 * lower thread index), so a run is a discrete-event simulation, exactly
 * reproducible from its configuration and seed.  Every scheduling point
 * and every event of the model costs virtual nanoseconds, from a *cost
 * table* (data: built-in tables or a file).  The mm code runs unchanged;
 * only the layer below it keeps the clocks.
 *
 * Contention rules (machine/vclock.c): an IPI costs its sender one send
 * per target and the sender waits for the slowest ack; an unmasked target
 * runs the handler at send + delivery and loses that time from its own
 * work; a masked target acks only after it unmasks; a woken thread's
 * clock moves up to its waker's; a grace period ends no earlier than
 * gp_detect after it starts and after every reader present at its start
 * left its section (so the longest IRQ-off section sets its length).
 */
#ifndef THPSIM_SCALE_H
#define THPSIM_SCALE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* X(name, "what it costs") -- every cost is in nanoseconds. */
#define THPSIM_COSTS(X)                                                      \
	X(entry_load, "load one page-table entry (ENTRY_LOAD)")              \
	X(entry_store, "store one page-table entry (ENTRY_STORE)")           \
	X(walk_level, "GUP-fast: one level of the lockless walk")           \
	X(refcount_atomic, "one atomic on a struct page refcount")           \
	X(lock, "take an uncontended lock")                                  \
	X(unlock, "release a lock")                                          \
	X(irq_toggle, "local_irq_save or local_irq_restore")                 \
	X(rcu_read, "rcu_read_lock or rcu_read_unlock")                      \
	X(fault, "a page fault's entry and exit")                            \
	X(zap, "zap one range (entry, without the per-page work)")          \
	X(alloc, "allocate one page (a table, a huge page's head)")         \
	X(free, "free one page")                                             \
	X(ipi_send, "sender: queue and send an IPI, per target")             \
	X(ipi_delivery, "wire: send to the target's handler starting")       \
	X(ipi_handler, "target: interrupt entry, handler, exit")             \
	X(ipi_ack, "target's ack becoming visible to the waiting sender")    \
	X(tlbi_broadcast, "one broadcast TLB invalidation (TLBI IS + DSB)")  \
	X(flush_page, "local TLB flush, per page of the range")              \
	X(flush_full, "local TLB flush, the ceiling for a long range")       \
	X(copy_per_kib, "copy one KiB (collapse's copy)")                   \
	X(gp_detect, "grace period: the least time from start to end")       \
	X(rcu_callback, "run one call_rcu callback")

enum thpsim_cost {
#define THPSIM__COST_ENUM(name, doc) THPSIM_COST_##name,
	THPSIM_COSTS(THPSIM__COST_ENUM)
#undef THPSIM__COST_ENUM
	THPSIM_COST__NR
};

typedef struct thpsim_cost_table {
	char name[64];			/* "kernel-x86-64", or the file's path */
	double ns[THPSIM_COST__NR];	/* indexed by enum thpsim_cost */
} thpsim_cost_table_t;

/* Name and one-line meaning of cost i (NULL past the end). */
const char *thpsim_cost_name(unsigned i);
const char *thpsim_cost_doc(unsigned i);
/* The built-in tables: "measured", "kernel-x86-64", "kernel-arm64". */
const char *thpsim_cost_table_builtin_name(unsigned i);	/* NULL past the end */
int thpsim_cost_table_builtin(const char *name, thpsim_cost_table_t *out);
/*
 * Parse the text format (docs/SCALE.md): one `name = value_ns` a line, #
 * comments, blank lines; an optional first setting `base = TABLE` names
 * the built-in table the others override (default kernel-x86-64).  On a
 * bad line: -THPSIM_EINVAL, thpsim_errmsg() naming origin:line and the
 * bad token.
 */
int thpsim_cost_table_parse(const char *text, const char *origin,
			    thpsim_cost_table_t *out);
/* A built-in name, else a file to parse. */
int thpsim_cost_table_load(const char *spec, thpsim_cost_table_t *out);
/*
 * Measure this host: the pseudo-IPI round trip (thpsim_ipi_selftest, p50,
 * split into send / delivery / handler / ack as the built-in `measured`
 * table is), memcpy per KiB, an atomic, a mutex; the rest as `measured`.
 * Timing, so it differs run to run: write it out and keep the file.
 * Spawns a helper CPU thread for a moment.
 */
int thpsim_cost_table_calibrate(thpsim_cost_table_t *out);
/* Write t in the text format (parses back to the same table). */
int thpsim_cost_table_write(const thpsim_cost_table_t *t, FILE *f);

/* ---- workloads and runs ---------------------------------------------- */

/* Workload names: "khugepaged-scan", "fork-storm", "dontneed-storm". */
const char *thpsim_scale_workload_name(unsigned i);	/* NULL past the end */
const char *thpsim_scale_workload_doc(unsigned i);

typedef struct thpsim_scale_config {
	const char *workload;
	unsigned cpus;			/* simulated CPUs, 2..THPSIM_SCALE_CPUS_MAX */
	const char *fix;		/* strategy name */
	const char *profile;		/* profile name */
	thpsim_cost_table_t costs;	/* default kernel-x86-64 */
	unsigned ops;			/* collapses (khugepaged-scan) or
					   table frees per CPU (the storms) */
	unsigned walkers;		/* GUP-fast walkers (khugepaged-scan) */
	uint64_t walk_interval_ns;	/* mean time between a walker's pins */
	uint64_t user_quantum_ns;	/* user work between a thread's points */
	uint64_t seed;			/* jitters the walkers' intervals */
	const char *geometry;		/* "LxE[/page_shift]"; NULL: 4x512 */
	bool no_sync;			/* storms: the baseline, where the
					   mmu_gather batch never fails and
					   no table free pays the sync */
	bool fail_table_batch;		/* khugepaged-scan, dontneed-storm:
					   every mmu_gather batch-page
					   allocation fails (the knob), so a
					   table freed through mmu_gather takes
					   the fallback (fork-storm: always,
					   unless no_sync) */
} thpsim_scale_config_t;

#define THPSIM_SCALE_CPUS_MAX 256

/* Defaults: khugepaged-scan, 2 CPUs, ipi-sync, x86-paravirt, 100 ops. */
void thpsim_scale_config_init(thpsim_scale_config_t *c);

typedef struct thpsim_scale_result {
	unsigned cpus;
	uint64_t ops;			/* collapses done / table-freeing ops */
	uint64_t ops_ok;		/* collapses that succeeded */
	uint64_t makespan_ns;		/* virtual time of the whole run */
	uint64_t op_p50_ns, op_p99_ns;	/* collapse (or op) latency */
	/* Interrupts on all CPUs per op (khugepaged-scan: per collapse that
	 * succeeded, as the published figures count; a failed attempt's
	 * interrupts count too); CAL: function calls other than TLB
	 * shootdowns, TLB: shootdowns (x86 counts a shootdown in both). */
	double cal_per_op, tlb_per_op;
	double cal_per_cpu, tlb_per_cpu; /* interrupts per CPU, whole run */
	double stolen_ns_per_op;	/* handler time on other CPUs, per op
					   as above */
	uint64_t walk_p99_ns;		/* walker (GUP-fast) duration p99 */
	uint64_t walks;
	uint64_t grace_periods;
	uint64_t gp_mean_ns;
	uint64_t rcu_pending_peak;	/* bytes of tables awaiting RCU free */
	double rcu_pending_mean;	/* time-weighted over the run */
	double throughput;		/* ops per virtual second */
	uint64_t steps;			/* scheduler steps */
} thpsim_scale_result_t;

/* One run.  0, or -THPSIM_EINVAL (bad config: thpsim_errmsg() says). */
int thpsim_scale_run(const thpsim_scale_config_t *c, thpsim_scale_result_t *r);
/* Nothing allocated today; call it anyway (future fields). */
void thpsim_scale_result_fini(thpsim_scale_result_t *r);

#ifdef __cplusplus
}
#endif
#endif /* THPSIM_SCALE_H */
