/*
 * bench_irqs.c - B7: who a collapse interrupts, per CPU, at geometry 4x16.
 *
 *   irqs/PROFILE/STRATEGY/idle:N
 *	One walker CPU runs GUP-fast over another pmd range of the mm while
 *	the benchmark thread collapses; N idle CPUs (registered, interrupts
 *	on, never running the mm) sleep.  Time: one collapse (manual, as
 *	B3).  Counters, per collapse and as /proc/interrupts counts them
 *	(CAL every function-call IPI taken, TLB the shootdowns among them):
 *	walker_cal, walker_tlb (the walker's CPU, in mm_cpumask), idle_cal,
 *	idle_tlb (mean over the idle CPUs).  The sync IPI of ipi-sync goes
 *	to every online CPU, idle ones included; the x86 flush only to the
 *	mm's CPUs: idle_tlb stays 0 while idle_cal counts the syncs.
 */
#include <stdio.h>
#include <time.h>

#include "bench.h"
#include "machine/rcu.h"

#define GEO "4x16"
#define IDLE_MAX 4

struct irqs_case {
	const char *profile, *strategy;
};

/* An idle CPU: sleeps in 1 ms slices, taking whatever IPI comes. */
static void crew_idle(struct bench_crew *c, int idx)
{
	(void)idx;
	thpsim_cpu_idle_enter();
	while (!bench_crew_stopping(c)) {
		struct timespec t = { 0, 1000000 };

		nanosleep(&t, NULL);	/* an IPI cuts it short: fine */
	}
	thpsim_cpu_idle_exit();
}

/* Sum of the interrupts the crew's CPUs took so far. */
static thpsim_irq_counts_t crew_irqs(const struct bench_crew *c)
{
	thpsim_irq_counts_t sum = { 0, 0 }, one;

	for (int i = 0; i < c->n; i++)
		if (c->cpu_id[i] >= 0 &&
		    !thpsim_cpu_irq_counts(bench_machine, c->cpu_id[i], &one)) {
			sum.cal += one.cal;
			sum.tlb += one.tlb;
		}
	return sum;
}

static void bm_irqs(gbench_state_t *st, void *arg)
{
	const struct irqs_case *ic = arg;
	int nidle = (int)gbench_state_arg(st, 0), r;
	thpsim_irq_counts_t w0, w1, i0, i1;
	struct bench_crew walker, idle;
	struct bench_mm b;
	uint64_t a, done = 0;

	if (!bench_cpu_enter(st))
		return;
	if (!bench_mm_create(st, &b, GEO, ic->profile, ic->strategy, 2))
		goto out;
	a = bench_mm_range(&b, 0);
	if (!bench_crew_start(st, &walker, 1, bench_crew_gup, &b, true))
		goto out_mm;
	if (!bench_crew_start(st, &idle, nidle, crew_idle, NULL, true))
		goto out_walker;
	w0 = crew_irqs(&walker);
	i0 = crew_irqs(&idle);
	while (gbench_keep_running_batch(st, 1)) {
		uint64_t t0 = bench_now_ns(), t1;

		r = thpsim_collapse_anon(b.mm, a);
		t1 = bench_now_ns();
		if (r == THPSIM_SCAN_ALLOC_HUGE_PAGE_FAIL) {
			rcu_barrier();	/* tables waiting for a grace period */
			t0 = bench_now_ns();
			r = thpsim_collapse_anon(b.mm, a);
			t1 = bench_now_ns();
		}
		gbench_set_iteration_time(st, (double)(t1 - t0) * 1e-9);
		if (r != THPSIM_SCAN_SUCCEED) {
			gbench_error(st, thpsim_scan_result_name(r));
			break;
		}
		done++;
		if (bench_mm_reset(&b, 0)) {
			gbench_error(st, thpsim_errmsg());
			break;
		}
	}
	/* The resets (zap: flush) count too: per collapse-and-reset. */
	w1 = crew_irqs(&walker);
	i1 = crew_irqs(&idle);
	bench_crew_stop(&idle);
	if (done) {
		double d = (double)done, di = d * (nidle ? nidle : 1);

		gbench_counter(st, "walker_cal", (double)(w1.cal - w0.cal) / d, GBENCH_DEFAULT);
		gbench_counter(st, "walker_tlb", (double)(w1.tlb - w0.tlb) / d, GBENCH_DEFAULT);
		gbench_counter(st, "idle_cal", (double)(i1.cal - i0.cal) / di, GBENCH_DEFAULT);
		gbench_counter(st, "idle_tlb", (double)(i1.tlb - i0.tlb) / di, GBENCH_DEFAULT);
	}
	gbench_counter(st, "idle_cpus", nidle, GBENCH_DEFAULT);
out_walker:
	bench_crew_stop(&walker);
out_mm:
	bench_mm_destroy(&b);
out:
	thpsim_cpu_unregister();
}

static const char *const profiles[] = { "arm64", "x86", "x86-paravirt" };
static const char *const strategies[] = { "none", "ipi-sync", "fresh-table" };
static struct irqs_case cases[3][3];

void bench_register_irqs(void)
{
	char name[96];
	gbench_t *g;

	for (unsigned p = 0; p < 3; p++)
		for (unsigned s = 0; s < 3; s++) {
			cases[p][s] = (struct irqs_case){ profiles[p],
							  strategies[s] };
			snprintf(name, sizeof(name), "irqs/%s/%s",
				 profiles[p], strategies[s]);
			g = gbench_register(name, bm_irqs, &cases[p][s]);
			gbench_arg_name(g, "idle");
			gbench_arg(g, 1);
			gbench_arg(g, IDLE_MAX);
			gbench_manual_time(g);
			gbench_unit(g, GBENCH_US);
		}
}
