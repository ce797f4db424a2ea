/*
 * thp_test.h - helpers for the THP suites (collapse, deposit, split/zap,
 * mmu_gather, TLB, GUP, strategies): kernel configuration, byte patterns,
 * an event recorder and the internal headers those suites reach into.
 */
#ifndef THPSIM_TESTS_THP_TEST_H
#define THPSIM_TESTS_THP_TEST_H

#include <stdlib.h>

#include "mm_test.h"
#include "thpsim/event.h"
#include "thpsim/strategy.h"
#include "machine/event.h"
#include "machine/internal.h"
#include "machine/rcu.h"
#include "machine/sched.h"
#include "mm/internal.h"

/* Configure e's mm: profile and strategy by name, default knobs. */
static inline void thp_kconfig(struct mm_env *e, const char *profile,
			       const char *strategy, thpsim_kconfig_t *out)
{
	thpsim_kconfig_t kc;

	thpsim_kconfig_default(&kc);
	kc.profile = thpsim_profile_find(profile);
	cr_assert_not_null(kc.profile, "profile %s: %s", profile,
			   thpsim_errmsg());
	kc.strategy = thpsim_strategy_find(strategy);
	cr_assert_not_null(kc.strategy, "strategy %s: %s", strategy,
			   thpsim_errmsg());
	if (out)
		*out = kc;
	check_ok(thpsim_mm_set_kconfig(e->mm, &kc));
}

static inline unsigned char thp_byte(uint64_t addr, size_t i)
{
	return (unsigned char)((addr >> 6) * 131 + i * 7 + 3);
}

/* Write a pattern (a function of the address) to npages pages at addr. */
static inline void thp_write_pattern(struct mm_env *e, uint64_t addr,
				     uint64_t npages)
{
	unsigned char *buf = malloc(e->page);

	cr_assert_not_null(buf);
	for (uint64_t p = 0; p < npages; p++) {
		uint64_t a = addr + p * e->page;

		for (size_t i = 0; i < e->page; i++)
			buf[i] = thp_byte(a, i);
		check_ok(thpsim_mm_write(e->mm, a, buf, e->page));
	}
	free(buf);
}

/* Read npages pages back through the page tables; the pattern must hold. */
static inline void thp_check_pattern(struct mm_env *e, uint64_t addr,
				     uint64_t npages)
{
	unsigned char *buf = malloc(e->page);

	cr_assert_not_null(buf);
	for (uint64_t p = 0; p < npages; p++) {
		uint64_t a = addr + p * e->page;

		check_ok(thpsim_mm_read(e->mm, a, buf, e->page));
		for (size_t i = 0; i < e->page; i++)
			cr_assert_eq(buf[i], thp_byte(a, i),
				     "page 0x%llx byte %zu: %u, expected %u",
				     (unsigned long long)a, i, buf[i],
				     thp_byte(a, i));
	}
	free(buf);
}

/* The frame's bytes must hold the pattern of address a. */
static inline void thp_check_frame(struct mm_env *e, uint64_t pfn, uint64_t a)
{
	unsigned char *buf = malloc(e->page);

	cr_assert_not_null(buf);
	check_ok(thpsim_phys_read(e->m, pfn, 0, buf, e->page));
	for (size_t i = 0; i < e->page; i++)
		cr_assert_eq(buf[i], thp_byte(a, i), "frame %llu byte %zu",
			     (unsigned long long)pfn, i);
	free(buf);
}

static inline thpsim_walk_t thp_walk(struct mm_env *e, uint64_t addr)
{
	thpsim_walk_t w;

	check_ok(thpsim_mm_walk(e->mm, addr, &w));
	return w;
}

/* Is a page mapped at addr (no failure when not)? */
static inline bool thp_walk_present(struct mm_env *e, uint64_t addr)
{
	thpsim_walk_t w;

	return thpsim_mm_walk(e->mm, addr, &w) == 0 && w.present;
}

/* ---- an event recorder ------------------------------------------------ */

#define THP_EVENTS_MAX 4096

struct thp_events {
	pthread_mutex_t lock;
	size_t n;
	thpsim_event_t ev[THP_EVENTS_MAX];
};

static inline void thp_events_sink(const thpsim_event_t *ev, void *arg)
{
	struct thp_events *r = arg;

	pthread_mutex_lock(&r->lock);
	if (r->n < THP_EVENTS_MAX)
		r->ev[r->n++] = *ev;
	pthread_mutex_unlock(&r->lock);
}

static inline struct thp_events *thp_events_start(void)
{
	struct thp_events *r = calloc(1, sizeof(*r));

	cr_assert_not_null(r);
	pthread_mutex_init(&r->lock, NULL);
	check_ok(event_subscribe(thp_events_sink, r));
	return r;
}

static inline void thp_events_stop(struct thp_events *r)
{
	event_unsubscribe(thp_events_sink, r);
}

/* How many events of kind (with what, when non-NULL) were recorded. */
static inline size_t thp_events_count(struct thp_events *r,
				      enum thpsim_event_kind kind,
				      const char *what)
{
	size_t n = 0;

	for (size_t i = 0; i < r->n; i++)
		if (r->ev[i].kind == kind &&
		    (!what || (r->ev[i].what && !strcmp(r->ev[i].what, what))))
			n++;
	return n;
}

/* The first recorded event of kind at or after index from, or NULL. */
static inline const thpsim_event_t *thp_events_find(struct thp_events *r,
						    size_t from,
						    enum thpsim_event_kind kind)
{
	for (size_t i = from; i < r->n; i++)
		if (r->ev[i].kind == kind)
			return &r->ev[i];
	return NULL;
}

/* ---- an action at one scheduling point (single-threaded tests) ------- */

/* fn(arg) runs the first time any thread passes point (THPSIM_SP_x). */
struct thp_at_point {
	int point;
	void (*fn)(void *arg);
	void *arg;
	int fired;
};

static inline void thp_at_point_hook(int point, void *arg)
{
	struct thp_at_point *a = arg;

	if (point == a->point && !a->fired++)
		a->fn(a->arg);
}

static inline void thp_at_point_arm(struct thp_at_point *a)
{
	a->fired = 0;
	thpsim_sched_set_hook(thp_at_point_hook, a);
}

static inline void thp_at_point_disarm(void)
{
	thpsim_sched_set_hook(NULL, NULL);
}

/* ---- helper CPUs -------------------------------------------------------- */

/* Body: run arg (an mm) and spin with interrupts on until stopped. */
static inline void thp_mm_runner(struct cpu_thread *t)
{
	/* No cr_assert off the test's thread: the test checks the mask. */
	(void)thpsim_mm_switch(t->arg);
	while (!atomic_load(&t->stop))
		;
	(void)thpsim_mm_unuse(t->arg);
}

static inline uint64_t thp_ipi_sent(thpsim_machine_t *m)
{
	thpsim_machine_stats_t s;

	thpsim_machine_stats(m, &s);
	return s.ipi_sent;
}

#endif
