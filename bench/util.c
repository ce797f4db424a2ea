/* util.c - helpers shared by the benchmark files (see bench.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"

bool bench_cpu_enter(gbench_state_t *st)
{
	int id;

	if (thpsim_cpu_register(bench_machine, &id) == 0)
		return true;
	gbench_error(st, thpsim_errmsg());
	return false;
}

uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void bench_sleep_until(uint64_t ns)
{
	struct timespec ts = { .tv_sec = (time_t)(ns / 1000000000u),
			       .tv_nsec = (long)(ns % 1000000000u) };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) ==
	       EINTR)
		;
}

void bench_hist_counters(gbench_state_t *st, const char *prefix,
			 const thpsim_hist_t *h)
{
	static const char *const names[] = { "p50", "p90", "p99", "max",
					     "mean" };
	thpsim_hist_summary_t s;
	double v[5];
	char name[96];

	thpsim_hist_summary(h, &s);
	v[0] = (double)s.p50;
	v[1] = (double)s.p90;
	v[2] = (double)s.p99;
	v[3] = (double)s.max;
	v[4] = s.mean;
	for (int i = 0; i < 5; i++) {
		if (prefix && *prefix)
			snprintf(name, sizeof(name), "%s_%s_ns", prefix,
				 names[i]);
		else
			snprintf(name, sizeof(name), "%s_ns", names[i]);
		gbench_counter(st, name, v[i], GBENCH_DEFAULT);
	}
}

/* ---- crew --------------------------------------------------------------- */

struct crew_start {
	struct bench_crew *c;
	int idx;
};

static void *crew_main(void *arg)
{
	struct crew_start *s = arg;
	struct bench_crew *c = s->c;
	int idx = s->idx, id = -1, err;

	free(s);
	if (c->cpu) {
		err = thpsim_cpu_register(bench_machine, &id);
		if (err) {
			atomic_store(&c->err, err);
			atomic_fetch_add(&c->ready, 1);
			return NULL;
		}
	}
	c->cpu_id[idx] = id;
	atomic_fetch_add(&c->ready, 1);
	c->fn(c, idx);
	if (c->cpu)
		thpsim_cpu_unregister();
	return NULL;
}

bool bench_crew_start(gbench_state_t *st, struct bench_crew *c, int n,
		      bench_crew_fn fn, void *arg, bool cpu)
{
	memset(c, 0, sizeof(*c));
	c->fn = fn;
	c->arg = arg;
	c->cpu = cpu;
	for (int i = 0; i < n && i < BENCH_CREW_MAX; i++) {
		struct crew_start *s = malloc(sizeof(*s));

		if (!s)
			break;
		*s = (struct crew_start){ c, i };
		if (pthread_create(&c->thread[i], NULL, crew_main, s)) {
			free(s);
			break;
		}
		c->n++;
	}
	while (atomic_load(&c->ready) < c->n)
		sched_yield();
	if (c->n == n && !atomic_load(&c->err))
		return true;
	bench_crew_stop(c);
	gbench_error(st, "cannot start the helper threads");
	return false;
}

void bench_crew_stop(struct bench_crew *c)
{
	atomic_store(&c->stop, true);
	for (int i = 0; i < c->n; i++)
		pthread_join(c->thread[i], NULL);
	c->n = 0;
}

void bench_crew_mask(const struct bench_crew *c, thpsim_cpumask_t *mask)
{
	thpsim_cpumask_clear(mask);
	for (int i = 0; i < c->n; i++)
		if (c->cpu_id[i] >= 0)
			thpsim_cpumask_set(mask, (unsigned)c->cpu_id[i]);
}

uint64_t bench_crew_total(struct bench_crew *c)
{
	uint64_t t = 0;

	for (int i = 0; i < BENCH_CREW_MAX; i++)
		t += atomic_load(&c->count[i]);
	return t;
}

void bench_crew_spin(struct bench_crew *c, int idx)
{
	(void)idx;
	while (!bench_crew_stopping(c))
		bench_relax();
}

/* ---- address spaces ------------------------------------------------------ */

bool bench_mm_create(gbench_state_t *st, struct bench_mm *b, const char *geo,
		     const char *profile, const char *strategy,
		     unsigned nr_ranges)
{
	thpsim_geometry_t g;
	thpsim_kconfig_t kc;
	int err;

	memset(b, 0, sizeof(*b));
	err = thpsim_geometry_parse(geo, &g);
	if (!err)
		err = thpsim_mm_create(bench_machine, &g, &b->mm);
	if (err)
		goto fail;
	thpsim_kconfig_default(&kc);
	kc.profile = thpsim_profile_find(profile);
	kc.strategy = thpsim_strategy_find(strategy);
	err = !kc.profile || !kc.strategy ? -THPSIM_EINVAL :
	      thpsim_mm_set_kconfig(b->mm, &kc);
	if (err)
		goto fail;
	b->page = UINT64_C(1) << g.page_shift;
	b->hpage = thpsim_geometry_hpage_size(&g);
	b->nr_pages = (unsigned)(b->hpage / b->page);
	for (unsigned i = 0; i < nr_ranges && !err; i++) {
		err = thpsim_mm_mmap_anon(b->mm, bench_mm_range(b, i), b->hpage,
					  NULL);
		if (!err)
			err = bench_mm_populate(b, i);
	}
	if (!err)
		return true;
fail:
	gbench_error(st, thpsim_errmsg());
	bench_mm_destroy(b);
	return false;
}

uint64_t bench_mm_range(const struct bench_mm *b, unsigned i)
{
	return (uint64_t)(i + 1) * b->hpage;
}

int bench_mm_populate(struct bench_mm *b, unsigned i)
{
	uint64_t a = bench_mm_range(b, i);
	int err = 0;

	for (unsigned p = 0; p < b->nr_pages && !err; p++) {
		uint64_t v = a + p * b->page;

		err = thpsim_mm_write(b->mm, a + p * b->page, &v, sizeof(v));
	}
	return err;
}

int bench_mm_reset(struct bench_mm *b, unsigned i)
{
	int err = thpsim_mm_madvise_dontneed(b->mm, bench_mm_range(b, i),
					     b->hpage);

	return err ? err : bench_mm_populate(b, i);
}

void bench_mm_destroy(struct bench_mm *b)
{
	if (b->mm)
		thpsim_mm_destroy(b->mm);
	b->mm = NULL;
}

#define GUP_NR 16

void bench_crew_gup(struct bench_crew *c, int idx)
{
	struct bench_mm *b = c->arg;
	uint64_t pfns[GUP_NR], a = bench_mm_range(b, 1), n = 0;
	unsigned nr = b->nr_pages < GUP_NR ? b->nr_pages : GUP_NR;
	unsigned off = 0;

	while (!bench_crew_stopping(c)) {
		int got = thpsim_gup_fast_only(b->mm, a + off * b->page, nr,
					       pfns);

		if (got > 0) {
			thpsim_unpin_pages(b->mm, pfns, (unsigned)got);
			n += (unsigned)got;
		}
		off = (off + nr) % b->nr_pages;
		if ((n & 1023) < nr)
			atomic_store_explicit(&c->count[idx], n,
					      memory_order_relaxed);
	}
	atomic_store(&c->count[idx], n);
}
