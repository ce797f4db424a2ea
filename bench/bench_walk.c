/*
 * bench_walk.c - B1, the walker: GUP-fast per page on hot tables.
 *
 *   walk/unprotected       the raw 4-level chase of 16 pages, no protection
 *   walk/softmask          the same inside thpsim_irq_save/restore (the
 *                          design: no system call)
 *   walk/sigmask           the same inside pthread_sigmask block/unblock
 *                          (the slow baseline the soft mask replaces)
 *   gup/PROFILE/STRATEGY   thpsim_gup_fast_only of 16 pages + unpin, on a
 *                          faulted-in 4x512 range (the default geometry)
 *
 * Every figure is per page; floor/chase (bench_floor.c) is the ratio's
 * denominator.  One walk section covers 16 pages, as one GUP-fast call.
 */
#include <signal.h>
#include <stdio.h>

#include "bench.h"

#define SECTION 16

static volatile uint64_t sink;

static uint64_t chase_section(unsigned first)
{
	uint64_t acc = 0;

	for (unsigned i = 0; i < SECTION; i++)
		acc += bench_chase(bench_chase_addr((first + i) % CHASE_PAGES));
	return acc;
}

enum protect { P_NONE, P_SOFTMASK, P_SIGMASK };

static void bm_walk(gbench_state_t *st, void *arg)
{
	enum protect p = (enum protect)(uintptr_t)arg;
	sigset_t all, old;
	uint64_t acc = 0;
	unsigned first = 0;

	if (p == P_SOFTMASK && !bench_cpu_enter(st))
		return;
	sigfillset(&all);
	(void)bench_chase(0);
	while (gbench_keep_running_batch(st, SECTION)) {
		unsigned long flags;

		switch (p) {
		case P_NONE:
			acc += chase_section(first);
			break;
		case P_SOFTMASK:
			flags = thpsim_irq_save();
			acc += chase_section(first);
			thpsim_irq_restore(flags);
			break;
		case P_SIGMASK:
			pthread_sigmask(SIG_BLOCK, &all, &old);
			acc += chase_section(first);
			pthread_sigmask(SIG_SETMASK, &old, NULL);
			break;
		}
		first = (first + SECTION) % CHASE_PAGES;
	}
	sink = acc;
	if (p == P_SOFTMASK)
		thpsim_cpu_unregister();
	gbench_label(st, "per page, 16 pages per section");
}

struct gup_case {
	const char *profile, *strategy;
};

static void bm_gup(gbench_state_t *st, void *arg)
{
	const struct gup_case *gc = arg;
	struct bench_mm b;
	uint64_t pfns[SECTION], a;
	unsigned off = 0;
	int got;

	if (!bench_cpu_enter(st))
		return;
	if (!bench_mm_create(st, &b, "4x512", gc->profile, gc->strategy, 1))
		goto out;
	a = bench_mm_range(&b, 0);
	while (gbench_keep_running_batch(st, SECTION)) {
		got = thpsim_gup_fast_only(b.mm, a + (uint64_t)off * b.page,
					   SECTION, pfns);
		if (got != SECTION) {
			gbench_error(st, "GUP-fast did not get every page");
			break;
		}
		thpsim_unpin_pages(b.mm, pfns, SECTION);
		off = (off + SECTION) % b.nr_pages;
	}
	bench_mm_destroy(&b);
	gbench_label(st, "per page, 16 pages per call + unpin, 4x512");
out:
	thpsim_cpu_unregister();
}

static const char *const profiles[] = { "arm64", "ppc64-radix", "x86" };
static const char *const strategies[] = { "none", "ipi-sync", "fresh-table",
					  "pte-free-defer" };
static struct gup_case cases[3][4];

void bench_register_walk(void)
{
	char name[96];

	gbench_register("walk/unprotected", bm_walk, (void *)(uintptr_t)P_NONE);
	gbench_register("walk/softmask", bm_walk,
			(void *)(uintptr_t)P_SOFTMASK);
	gbench_register("walk/sigmask", bm_walk, (void *)(uintptr_t)P_SIGMASK);
	for (unsigned p = 0; p < 3; p++)
		for (unsigned s = 0; s < 4; s++) {
			cases[p][s] = (struct gup_case){ profiles[p],
							 strategies[s] };
			snprintf(name, sizeof(name), "gup/%s/%s", profiles[p],
				 strategies[s]);
			gbench_register(name, bm_gup, &cases[p][s]);
		}
}
