/*
 * bench_collapse.c - B3 and B4, at the small geometry 4x16 (16 pages per
 * pmd, so the copy does not drown the strategies).
 *
 *   collapse/PROFILE/STRATEGY/walkers:N
 *	B3: latency of one thpsim_collapse_anon (manual time: the collapse
 *	alone; the reset, MADV_DONTNEED + fault-in, is not timed), with N
 *	helper CPUs running GUP-fast over another pmd range of the same mm.
 *	The sync overhead of a strategy is its latency minus "none"'s at the
 *	same profile and N (bench/report.sh computes it).
 *   disrupt/PROFILE/STRATEGY/rate:R
 *	B4: GUP-fast throughput (time per page) of the benchmark thread
 *	while a helper CPU collapses another range R times a second (R = 0:
 *	no collapses, the reference); counters ipis_per_collapse (pseudo-IPI
 *	handlers run per collapse) and collapses_per_s achieved.
 */
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"
#include "machine/rcu.h"

#define GEO "4x16"
#define GUP_NR 16

struct coll_case {
	const char *profile, *strategy;
};

static uint64_t ipis_handled(void)
{
	thpsim_machine_stats_t ms;

	thpsim_machine_stats(bench_machine, &ms);
	return ms.ipi_handled;
}

/*
 * With THPSIM_BENCH_CDF_DIR set, write the latency histogram of the run
 * to DIR/collapse-PROFILE-STRATEGY-wN.csv (bench/report.sh plots the
 * CDFs from it; the framework's last call, the measured one, wins).
 */
static void write_cdf(const struct coll_case *cc, int n, const thpsim_hist_t *h)
{
	const char *dir = getenv("THPSIM_BENCH_CDF_DIR");
	char path[512], name[96];
	FILE *f;

	if (!dir || !*dir)
		return;
	snprintf(name, sizeof(name), "%s/%s/walkers:%d", cc->profile,
		 cc->strategy, n);
	snprintf(path, sizeof(path), "%s/collapse-%s-%s-w%d.csv", dir,
		 cc->profile, cc->strategy, n);
	f = fopen(path, "w");
	if (!f)
		return;
	thpsim_hist_write_csv(h, name, f);
	fclose(f);
}

static void bm_collapse(gbench_state_t *st, void *arg)
{
	const struct coll_case *cc = arg;
	int n = (int)gbench_state_arg(st, 0), r;
	thpsim_hist_t *h = thpsim_hist_create();
	struct bench_crew c;
	struct bench_mm b;
	uint64_t a, ipis = 0, done = 0, gp_waits = 0;

	if (!h || !bench_cpu_enter(st)) {
		thpsim_hist_destroy(h);
		return;
	}
	if (!bench_mm_create(st, &b, GEO, cc->profile, cc->strategy, 2))
		goto out;
	a = bench_mm_range(&b, 0);
	if (!bench_crew_start(st, &c, n, bench_crew_gup, &b, true))
		goto out_mm;
	while (gbench_keep_running_batch(st, 1)) {
		uint64_t i0 = ipis_handled(), t0 = bench_now_ns(), t1;

		r = thpsim_collapse_anon(b.mm, a);
		t1 = bench_now_ns();
		ipis += ipis_handled() - i0;
		if (r == THPSIM_SCAN_ALLOC_HUGE_PAGE_FAIL) {
			/*
			 * Tables still waiting for a grace period fragment
			 * the arena: let them be freed, then try again (the
			 * wait is not timed; counted as "gp_waits").
			 */
			gp_waits++;
			rcu_barrier();
			i0 = ipis_handled();
			t0 = bench_now_ns();
			r = thpsim_collapse_anon(b.mm, a);
			t1 = bench_now_ns();
			ipis += ipis_handled() - i0;
		}
		gbench_set_iteration_time(st, (double)(t1 - t0) * 1e-9);
		if (r != THPSIM_SCAN_SUCCEED) {
			gbench_error(st, thpsim_scan_result_name(r));
			break;
		}
		thpsim_hist_record(h, t1 - t0);
		done++;
		if (bench_mm_reset(&b, 0)) {
			gbench_error(st, thpsim_errmsg());
			break;
		}
	}
	bench_crew_stop(&c);
	bench_hist_counters(st, NULL, h);
	write_cdf(cc, n, h);
	gbench_counter(st, "gp_waits", (double)gp_waits, GBENCH_DEFAULT);
	gbench_counter(st, "walkers", n, GBENCH_DEFAULT);
	gbench_counter(st, "ipis_per_collapse",
		       done ? (double)ipis / (double)done : 0, GBENCH_DEFAULT);
out_mm:
	bench_mm_destroy(&b);
out:
	thpsim_cpu_unregister();
	thpsim_hist_destroy(h);
}

/* ---- B4 -------------------------------------------------------------- */

struct collapser {
	struct bench_mm *b;
	int rate;
	_Atomic uint64_t done, failed, ipis;
};

static void collapser_main(struct bench_crew *c, int idx)
{
	struct collapser *k = c->arg;
	uint64_t next = bench_now_ns(), period = 1000000000u / (uint64_t)k->rate;
	uint64_t a = bench_mm_range(k->b, 0);

	(void)idx;
	while (!bench_crew_stopping(c)) {
		uint64_t i0, now = bench_now_ns();
		int r;

		next += period;
		if (next < now)
			next = now;
		/* In slices, so that stopping is never 100 ms late. */
		while (now < next && !bench_crew_stopping(c)) {
			bench_sleep_until(next < now + 1000000 ? next :
					  now + 1000000);
			now = bench_now_ns();
		}
		if (bench_crew_stopping(c))
			break;
		i0 = ipis_handled();
		r = thpsim_collapse_anon(k->b->mm, a);
		atomic_fetch_add(&k->ipis, ipis_handled() - i0);
		if (r == THPSIM_SCAN_SUCCEED) {
			atomic_fetch_add(&k->done, 1);
			bench_mm_reset(k->b, 0);
		} else {
			atomic_fetch_add(&k->failed, 1);
		}
	}
}

static void bm_disrupt(gbench_state_t *st, void *arg)
{
	const struct coll_case *cc = arg;
	struct collapser k = { .rate = (int)gbench_state_arg(st, 0) };
	uint64_t pfns[GUP_NR], a, t0, t1;
	struct bench_crew c;
	struct bench_mm b;
	unsigned off = 0;

	if (!bench_cpu_enter(st))
		return;
	if (!bench_mm_create(st, &b, GEO, cc->profile, cc->strategy, 2))
		goto out;
	k.b = &b;
	a = bench_mm_range(&b, 1);
	if (!bench_crew_start(st, &c, k.rate ? 1 : 0, collapser_main, &k, true))
		goto out_mm;
	t0 = bench_now_ns();
	while (gbench_keep_running_batch(st, GUP_NR)) {
		int got = thpsim_gup_fast_only(b.mm, a + (uint64_t)off * b.page,
					       GUP_NR, pfns);

		if (got > 0)
			thpsim_unpin_pages(b.mm, pfns, (unsigned)got);
		off = (off + GUP_NR) % b.nr_pages;
	}
	t1 = bench_now_ns();
	bench_crew_stop(&c);
	gbench_counter(st, "rate", k.rate, GBENCH_DEFAULT);
	gbench_counter(st, "collapses_per_s",
		       (double)atomic_load(&k.done) * 1e9 / (double)(t1 - t0),
		       GBENCH_DEFAULT);
	gbench_counter(st, "ipis_per_collapse",
		       atomic_load(&k.done) ? (double)atomic_load(&k.ipis) /
				       (double)atomic_load(&k.done) : 0,
		       GBENCH_DEFAULT);
	gbench_counter(st, "failed_collapses", (double)atomic_load(&k.failed),
		       GBENCH_DEFAULT);
out_mm:
	bench_mm_destroy(&b);
out:
	thpsim_cpu_unregister();
}

static const char *const profiles[] = { "arm64", "ppc64-radix", "x86" };
static const char *const strategies[] = { "none", "ipi-sync", "fresh-table" };
static struct coll_case cases[3][3];

void bench_register_collapse(void)
{
	char name[96];
	gbench_t *g;

	for (unsigned p = 0; p < 3; p++)
		for (unsigned s = 0; s < 3; s++) {
			cases[p][s] = (struct coll_case){ profiles[p],
							  strategies[s] };
			snprintf(name, sizeof(name), "collapse/%s/%s",
				 profiles[p], strategies[s]);
			g = gbench_register(name, bm_collapse, &cases[p][s]);
			gbench_arg_name(g, "walkers");
			gbench_dense_range(g, 0, 3);
			gbench_manual_time(g);
			gbench_unit(g, GBENCH_US);
		}
	for (unsigned p = 0; p < 3; p += 2)
		for (unsigned s = 0; s < 3; s++) {
			snprintf(name, sizeof(name), "disrupt/%s/%s",
				 profiles[p], strategies[s]);
			g = gbench_register(name, bm_disrupt, &cases[p][s]);
			gbench_arg_name(g, "rate");
			gbench_arg(g, 0);
			gbench_arg(g, 10);
			gbench_arg(g, 100);
			gbench_arg(g, 1000);
			gbench_real_time(g);
		}
}
