/*
 * bench.h - what the C benchmark files share: the machine, CPU threads,
 * a crew of helper CPU threads, address spaces in a given configuration,
 * and histogram percentiles exported as counters.
 */
#ifndef THPSIM_BENCH_H
#define THPSIM_BENCH_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "thpsim/thpsim.h"
#include "gbench.h"

/* The machine every benchmark thread registers with (bench/main.c). */
extern thpsim_machine_t *bench_machine;
/* Frames of its arena and its page shift (4 KiB pages). */
#define BENCH_NR_FRAMES 16384

/*
 * Register the calling benchmark thread as a CPU (false, with the error
 * reported to the framework, on failure); pair with thpsim_cpu_unregister()
 * before the benchmark function returns: its thread may exit.
 */
bool bench_cpu_enter(gbench_state_t *st);

/* A spin-wait hint (pause on x86). */
static inline void bench_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#else
	atomic_signal_fence(memory_order_seq_cst);
#endif
}

uint64_t bench_now_ns(void);
void bench_sleep_until(uint64_t ns);

/* Exported as counters NAME_p50_ns, _p90_ns, _p99_ns, _max_ns, _mean_ns
 * ("p50_ns", ... when prefix is NULL or empty). */
void bench_hist_counters(gbench_state_t *st, const char *prefix,
			 const thpsim_hist_t *h);

/* ---- a crew of helper threads, each a registered CPU ------------------ */

#define BENCH_CREW_MAX 8

struct bench_crew;
/* Runs on helper idx until bench_crew_stopping(); may keep counts. */
typedef void (*bench_crew_fn)(struct bench_crew *c, int idx);

struct bench_crew {
	int n;
	bench_crew_fn fn;
	void *arg;
	bool cpu;			/* register each helper as a CPU */
	pthread_t thread[BENCH_CREW_MAX];
	int cpu_id[BENCH_CREW_MAX];
	_Atomic uint64_t count[BENCH_CREW_MAX];	/* the helper's own tally */
	_Atomic int ready;
	_Atomic int err;
	_Atomic bool stop;
};

/* Start n helpers and wait until each runs; false (error reported) on
 * failure, with nothing left running. */
bool bench_crew_start(gbench_state_t *st, struct bench_crew *c, int n,
		      bench_crew_fn fn, void *arg, bool cpu);
static inline bool bench_crew_stopping(struct bench_crew *c)
{
	return atomic_load_explicit(&c->stop, memory_order_relaxed);
}
void bench_crew_stop(struct bench_crew *c);
void bench_crew_mask(const struct bench_crew *c, thpsim_cpumask_t *mask);
uint64_t bench_crew_total(struct bench_crew *c);
/* A helper that spins with interrupts unmasked. */
void bench_crew_spin(struct bench_crew *c, int idx);

/* ---- address spaces ------------------------------------------------------ */

struct bench_mm {
	thpsim_mm_t *mm;
	uint64_t page, hpage;
	unsigned nr_pages;	/* pages per pmd */
};

/*
 * An mm of geometry geo ("4x16", ...) configured with profile and
 * strategy, with nr_ranges pmd ranges mapped anonymous and faulted in from
 * address hpage on (range i at (i + 1) * hpage).  Caller is a CPU.
 */
bool bench_mm_create(gbench_state_t *st, struct bench_mm *b, const char *geo,
		     const char *profile, const char *strategy,
		     unsigned nr_ranges);
uint64_t bench_mm_range(const struct bench_mm *b, unsigned i);
/* Fault every page of range i in (writes). */
int bench_mm_populate(struct bench_mm *b, unsigned i);
/* Back to small pages after a collapse: MADV_DONTNEED then populate. */
int bench_mm_reset(struct bench_mm *b, unsigned i);
void bench_mm_destroy(struct bench_mm *b);

/* A walker helper: GUP-fast (fast only) over range arg's pmd 1, forever. */
void bench_crew_gup(struct bench_crew *c, int idx);

/* ---- the raw 4-level pointer chase (bench_floor.c) ------------------ */

/* Geometry 4x512, 4 KiB pages, like the default mm: one pmd range of 512
 * pages mapped, hot. */
#define CHASE_PAGES 512
/* The page "mapped" at page index i of the range: four dependent loads. */
uint64_t bench_chase(uint64_t addr);
/* Address of page i of the chased range. */
uint64_t bench_chase_addr(unsigned i);

void bench_register_irq(void);
void bench_register_floor(void);
void bench_register_walk(void);
void bench_register_ipi(void);
void bench_register_urcu(void);
void bench_register_collapse(void);
void bench_register_irqs(void);
void bench_register_storm(void);
void bench_register_explore(void);
void bench_register_scale(void);
void bench_register_explore_policy(void);

#endif
