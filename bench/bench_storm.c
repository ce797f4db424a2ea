/*
 * bench_storm.c - B5, deferred freeing under collapse storms (fresh-table,
 * at 4x16): the benchmark thread collapses one pmd range R times a second
 * (R = 0: back to back) while a helper CPU runs GUP-fast over another
 * range of the same mm, holding grace periods off with its interrupts-off
 * sections.  A physical-memory observer times each page table from the
 * moment it is unhooked (LIVE -> DETACHED, at the collapse flush) until
 * the allocator gets it back: the grace-period latency as the freeing
 * path sees it.  Counters: gp_p50_ns ... (that latency), peak_pending_bytes
 * (the most table bytes unhooked but not yet freed at once),
 * collapses_per_s, and model_bytes = collapses/s x mean latency x table
 * size (Little's law: the mean bytes pending the model predicts).
 */
#include <stdio.h>

#include "bench.h"
#include "machine/rcu.h"

struct pending {
	_Atomic uint64_t since[BENCH_NR_FRAMES];
	_Atomic int64_t now, peak;
	_Atomic bool tracking;		/* time newly unhooked tables */
	thpsim_hist_t *h;		/* under hist_lock */
	pthread_mutex_t hist_lock;
};

static struct pending pend = { .hist_lock = PTHREAD_MUTEX_INITIALIZER };

static void observe(const thpsim_phys_event_t *ev, void *arg)
{
	uint64_t t0;
	int64_t now, peak;

	(void)arg;
	if (ev->pfn >= BENCH_NR_FRAMES)
		return;
	if (ev->what == THPSIM_PHYS_EV_PT_STATE &&
	    ev->pt_old_state == THPSIM_PT_LIVE &&
	    ev->pt_state == THPSIM_PT_DETACHED) {
		if (!atomic_load(&pend.tracking))
			return;
		atomic_store(&pend.since[ev->pfn], bench_now_ns());
		now = atomic_fetch_add(&pend.now, 1) + 1;
		peak = atomic_load(&pend.peak);
		while (now > peak &&
		       !atomic_compare_exchange_weak(&pend.peak, &peak, now))
			;
	} else if (ev->what == THPSIM_PHYS_EV_FREE ||
		   (ev->what == THPSIM_PHYS_EV_PT_STATE &&
		    ev->pt_state == THPSIM_PT_LIVE)) {
		/* Freed, or hooked back in (an isolate failure). */
		t0 = atomic_exchange(&pend.since[ev->pfn], 0);
		if (!t0)
			return;
		atomic_fetch_sub(&pend.now, 1);
		if (ev->what != THPSIM_PHYS_EV_FREE)
			return;
		pthread_mutex_lock(&pend.hist_lock);
		thpsim_hist_record(pend.h, bench_now_ns() - t0);
		pthread_mutex_unlock(&pend.hist_lock);
	}
}

static void bm_storm(gbench_state_t *st, void *arg)
{
	const char *profile = arg;
	int rate = (int)gbench_state_arg(st, 0), r;
	uint64_t next, t0, t1, done = 0, gp_waits = 0;
	struct bench_crew c;
	struct bench_mm b;
	thpsim_hist_summary_t s;

	if (!bench_cpu_enter(st))
		return;
	if (!bench_mm_create(st, &b, "4x16", profile, "fresh-table", 2))
		goto out;
	if (!bench_crew_start(st, &c, 1, bench_crew_gup, &b, true))
		goto out_mm;
	for (unsigned i = 0; i < BENCH_NR_FRAMES; i++)
		atomic_store(&pend.since[i], 0);
	atomic_store(&pend.now, 0);
	atomic_store(&pend.peak, 0);
	pend.h = thpsim_hist_create();
	atomic_store(&pend.tracking, true);
	thpsim_phys_set_observer(bench_machine, observe, NULL);
	t0 = next = bench_now_ns();
	while (gbench_keep_running_batch(st, 1)) {
		if (rate) {
			next += 1000000000u / (uint64_t)rate;
			if (next > bench_now_ns())
				bench_sleep_until(next);
		}
		r = thpsim_collapse_anon(b.mm, bench_mm_range(&b, 0));
		if (r == THPSIM_SCAN_ALLOC_HUGE_PAGE_FAIL) {
			/* The arena is full of tables pending a grace
			 * period: that is the storm's cost; wait it out. */
			gp_waits++;
			rcu_barrier();
			r = thpsim_collapse_anon(b.mm, bench_mm_range(&b, 0));
		}
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
	t1 = bench_now_ns();
	atomic_store(&pend.tracking, false);
	bench_crew_stop(&c);
	/* Let every table of the run reach the allocator before judging. */
	rcu_barrier();
	bench_mm_destroy(&b);
	thpsim_phys_set_observer(bench_machine, NULL, NULL);
	pthread_mutex_lock(&pend.hist_lock);
	thpsim_hist_summary(pend.h, &s);
	bench_hist_counters(st, "gp", pend.h);
	thpsim_hist_destroy(pend.h);
	pend.h = NULL;
	pthread_mutex_unlock(&pend.hist_lock);
	{
		double per_s = (double)done * 1e9 / (double)(t1 - t0);

		gbench_counter(st, "rate", rate, GBENCH_DEFAULT);
		gbench_counter(st, "collapses_per_s", per_s, GBENCH_DEFAULT);
		gbench_counter(st, "peak_pending_bytes",
			       (double)atomic_load(&pend.peak) * (double)b.page,
			       GBENCH_DEFAULT);
		gbench_counter(st, "model_bytes",
			       per_s * s.mean * 1e-9 * (double)b.page,
			       GBENCH_DEFAULT);
		gbench_counter(st, "tables_timed", (double)s.count,
			       GBENCH_DEFAULT);
		gbench_counter(st, "gp_waits", (double)gp_waits,
			       GBENCH_DEFAULT);
	}
	goto out;
out_mm:
	bench_mm_destroy(&b);
out:
	thpsim_cpu_unregister();
}

static const char *const profiles[] = { "arm64", "ppc64-radix" };

void bench_register_storm(void)
{
	char name[64];
	gbench_t *g;

	for (unsigned p = 0; p < 2; p++) {
		snprintf(name, sizeof(name), "storm/%s/fresh-table",
			 profiles[p]);
		g = gbench_register(name, bm_storm, (void *)profiles[p]);
		gbench_arg_name(g, "rate");
		gbench_arg(g, 100);
		gbench_arg(g, 1000);
		gbench_arg(g, 0);
		gbench_real_time(g);
		gbench_unit(g, GBENCH_US);
	}
}
