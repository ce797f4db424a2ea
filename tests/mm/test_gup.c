/*
 * test_gup.c - GUP-fast and its fallback, single-threaded: a present page
 * is pinned (one more reference); a huge pmd gives its subpages; a none
 * pmd makes the fast path bail and the slow path fault in; a pmd changed
 * between the read and the grab (a scheduling-point hook at
 * GUP_BEFORE_GRAB) makes the recheck drop the speculative reference,
 * unless the pmd recheck knob is off; the events of a simple walk; the
 * RCU-only walker.
 */
#include "thp_test.h"

static int refcount(struct mm_env *e, uint64_t pfn)
{
	return page_info(e->m, pfn).refcount;
}

Test(gup, present_page_is_pinned, .timeout = 30)
{
	struct mm_env e;
	uint64_t pfns[4], pfn;

	mm_env_setup(&e, "4x512", 12, 64);
	check_ok(thpsim_mm_mmap_anon(e.mm, e.hpage, 4 * e.page, NULL));
	thp_write_pattern(&e, e.hpage, 4);
	pfn = thp_walk(&e, e.hpage + e.page).pfn;
	check_eq(refcount(&e, pfn), 1);
	check_eq(thpsim_gup_fast_only(e.mm, e.hpage + e.page, 1, pfns), 1);
	check_eq(pfns[0], pfn);
	check_eq(refcount(&e, pfn), 2);
	cr_assert(page_flag(page_info(e.m, pfn), THPSIM_PG_REFERENCED));
	/* GUP-fast switched this CPU to the mm. */
	cr_assert(thpsim_cpumask_test(mm_cpumask(e.mm), (unsigned)e.cpu));
	check_ok(thpsim_unpin(e.mm, pfns[0]));
	check_eq(refcount(&e, pfn), 1);
	check_eq(thpsim_gup_fast(e.mm, e.hpage, 4, pfns), 4);
	for (unsigned i = 0; i < 4; i++) {
		check_eq(pfns[i], thp_walk(&e, e.hpage + i * e.page).pfn);
		check_eq(refcount(&e, pfns[i]), 2);
	}
	check_ok(thpsim_unpin_pages(e.mm, pfns, 4));
	for (unsigned i = 0; i < 4; i++)
		check_eq(refcount(&e, pfns[i]), 1);
	check_err(thpsim_gup_fast(e.mm, e.hpage, 0, pfns), -THPSIM_EINVAL);
	check_err(thpsim_gup_fast(e.mm, e.hpage + 1, 1, pfns), -THPSIM_EINVAL);
	mm_env_teardown(&e);
}

Test(gup, huge_pmd_gives_the_subpages, .timeout = 30)
{
	struct mm_env e;
	uint64_t pfns[8], head;

	mm_env_setup(&e, "2x8", 12, 64);
	check_ok(thpsim_mm_mmap_anon(e.mm, e.hpage, e.hpage, NULL));
	thp_write_pattern(&e, e.hpage, 8);
	check_eq(thpsim_collapse_anon(e.mm, e.hpage), THPSIM_SCAN_SUCCEED);
	head = thp_walk(&e, e.hpage).pfn;
	check_eq(thpsim_gup_fast_only(e.mm, e.hpage + 2 * e.page, 3, pfns), 3);
	for (unsigned i = 0; i < 3; i++)
		check_eq(pfns[i], head + 2 + i);
	check_eq(refcount(&e, head), 1 + 3);	/* on the folio */
	for (unsigned i = 0; i < 3; i++)
		check_ok(thpsim_unpin(e.mm, pfns[i]));
	check_eq(refcount(&e, head), 1);
	mm_env_teardown(&e);
}

Test(gup, none_pmd_falls_back_to_the_slow_path, .timeout = 30)
{
	struct mm_env e;
	struct thp_events *ev;
	uint64_t pfns[3];
	const thpsim_event_t *bail;

	mm_env_setup(&e, "3x4", 12, 64);
	/* The pmd table exists (a page of the pmd before), our pmd is none. */
	check_ok(thpsim_mm_mmap_anon(e.mm, 0, 2 * e.hpage, NULL));
	check_ok(thpsim_mm_fault(e.mm, 0, true));
	ev = thp_events_start();
	check_eq(thpsim_gup_fast_only(e.mm, e.hpage, 3, pfns), 0);
	bail = thp_events_find(ev, 0, THPSIM_EV_WALK_BAIL);
	cr_assert_not_null(bail);
	check_eq(bail->level, 2);
	cr_assert(!thp_walk_present(&e, e.hpage));
	/* The slow path faults the pages in. */
	check_eq(thpsim_gup_fast(e.mm, e.hpage, 3, pfns), 3);
	thp_events_stop(ev);
	for (unsigned i = 0; i < 3; i++) {
		check_eq(pfns[i], thp_walk(&e, e.hpage + i * e.page).pfn);
		check_eq(refcount(&e, pfns[i]), 2);
		check_ok(thpsim_unpin(e.mm, pfns[i]));
	}
	cr_assert(ev->n > 0);
	/* A range leaving the VMA stops where the VMA does. */
	check_eq(thpsim_gup_fast(e.mm, 2 * e.hpage - e.page, 2, pfns), 1);
	check_ok(thpsim_unpin(e.mm, pfns[0]));
	free(ev);
	mm_env_teardown(&e);
}

/* The hook: clear the pmd once, between the pmd read and the grab. */
struct pmd_changer {
	struct mm_env *e;
	pmd_t *pmdp;
	pmd_t saved;
	int fired;
};

static struct pmd_changer changer;

static void change_pmd_before_grab(int point, void *arg)
{
	struct pmd_changer *c = arg;

	if (point != THPSIM_SP_GUP_BEFORE_GRAB || c->fired++)
		return;
	c->saved = pmdp_get(c->pmdp);
	pmd_clear(c->e->mm, c->e->hpage, c->pmdp);
}

static void run_changed_pmd(struct mm_env *e, bool recheck, int expect)
{
	thpsim_kconfig_t kc;
	uint64_t pfns[1], pfn;
	struct thp_events *ev;
	spinlock_t *ptl;

	thp_kconfig(e, "arm64", "none", &kc);
	kc.knobs.pmd_recheck = recheck;
	check_ok(thpsim_mm_set_kconfig(e->mm, &kc));
	pfn = thp_walk(e, e->hpage).pfn;
	changer = (struct pmd_changer){ .e = e,
		.pmdp = walk_to_pmd(e->mm, e->hpage, false) };
	ev = thp_events_start();
	thpsim_sched_set_hook(change_pmd_before_grab, &changer);
	check_eq(thpsim_gup_fast_only(e->mm, e->hpage, 1, pfns), expect);
	thpsim_sched_set_hook(NULL, NULL);
	thp_events_stop(ev);
	check_eq(changer.fired > 0, 1);
	if (recheck) {
		/* The speculative reference was dropped again. */
		check_eq(refcount(e, pfn), 1);
		check_eq(thp_events_count(ev, THPSIM_EV_WALK_UNGRAB, NULL), 1);
		check_eq(thp_events_find(ev, 0, THPSIM_EV_WALK_RECHECK)->arg, 0);
		check_eq(thp_events_find(ev, 0, THPSIM_EV_WALK_RECHECK)->level, 2);
	} else {
		/* Only the PTE was rechecked, and it had not changed. */
		check_eq(pfns[0], pfn);
		check_eq(refcount(e, pfn), 2);
		check_ok(thpsim_unpin(e->mm, pfn));
		check_eq(thp_events_count(ev, THPSIM_EV_WALK_RECHECK, NULL), 1);
	}
	ptl = pmd_lock(e->mm, changer.pmdp);
	set_pmd_at(e->mm, e->hpage, changer.pmdp, changer.saved);
	spin_unlock(ptl);
	free(ev);
}

Test(gup, recheck_mismatch_drops_the_reference, .timeout = 30)
{
	struct mm_env e;

	mm_env_setup(&e, "2x8", 12, 64);
	check_ok(thpsim_mm_mmap_anon(e.mm, e.hpage, e.hpage, NULL));
	thp_write_pattern(&e, e.hpage, 1);
	run_changed_pmd(&e, true, 0);
	run_changed_pmd(&e, false, 1);
	mm_env_teardown(&e);
}

Test(gup, events_of_a_simple_walk, .timeout = 30)
{
	static const enum thpsim_event_kind expect[] = {
		THPSIM_EV_WALK_BEGIN, THPSIM_EV_IRQ_OFF,
		THPSIM_EV_WALK_READ, THPSIM_EV_WALK_READ, THPSIM_EV_WALK_READ,
		THPSIM_EV_WALK_GRAB, THPSIM_EV_WALK_RECHECK,
		THPSIM_EV_WALK_RECHECK, THPSIM_EV_WALK_PIN, THPSIM_EV_IRQ_ON,
		THPSIM_EV_WALK_END,
	};
	struct mm_env e;
	struct thp_events *ev;
	thpsim_walk_t w;
	uint64_t pfn;
	size_t k = 0;

	mm_env_setup(&e, "3x4", 12, 64);
	check_ok(thpsim_mm_mmap_anon(e.mm, e.hpage, e.hpage, NULL));
	thp_write_pattern(&e, e.hpage, 1);
	w = thp_walk(&e, e.hpage);
	ev = thp_events_start();
	check_eq(thpsim_gup_fast_only(e.mm, e.hpage, 1, &pfn), 1);
	thp_events_stop(ev);
	for (size_t i = 0; i < ev->n; i++) {
		const thpsim_event_t *x = &ev->ev[i];

		if (x->kind == THPSIM_EV_FRAME_ALLOC || x->kind == THPSIM_EV_NOTE)
			continue;
		cr_assert(k < sizeof(expect) / sizeof(expect[0]),
			  "extra event %s", thpsim_event_kind_name(x->kind));
		cr_assert_eq(x->kind, expect[k], "event %zu: %s, expected %s",
			     k, thpsim_event_kind_name(x->kind),
			     thpsim_event_kind_name(expect[k]));
		if (x->kind == THPSIM_EV_WALK_READ) {
			unsigned level = 3 - (unsigned)(k - 2);

			check_eq(x->level, level);
			check_eq(x->pfn, w.table_pfn[level]);
			check_eq(x->val, w.entry[level]);
			check_eq(x->arg, THPSIM_PT_LIVE);
			check_eq(x->gen, page_info(e.m, x->pfn).generation);
			check_eq(x->addr, e.hpage);
		}
		if (x->kind == THPSIM_EV_WALK_GRAB || x->kind == THPSIM_EV_WALK_PIN)
			check_eq(x->pfn2, pfn);
		if (x->kind == THPSIM_EV_WALK_RECHECK)
			check_eq(x->arg, 1);
		if (x->kind == THPSIM_EV_WALK_BEGIN)
			check_eq(x->arg, THPSIM_WALKER_GUP_FAST);
		k++;
	}
	check_eq(k, sizeof(expect) / sizeof(expect[0]));
	check_ok(thpsim_unpin(e.mm, pfn));
	free(ev);
	mm_env_teardown(&e);
}

Test(gup, rcu_walker_reads_a_pte, .timeout = 30)
{
	struct mm_env e;
	struct thp_events *ev;
	uint64_t pte;

	mm_env_setup(&e, "4x512", 12, 64);
	check_ok(thpsim_mm_mmap_anon(e.mm, e.hpage, e.page, NULL));
	check_err(thpsim_rcu_walk(e.mm, e.hpage, &pte), -THPSIM_EFAULT);
	thp_write_pattern(&e, e.hpage, 1);
	ev = thp_events_start();
	check_ok(thpsim_rcu_walk(e.mm, e.hpage, &pte));
	thp_events_stop(ev);
	check_eq(pte_pfn(__pte(pte)), thp_walk(&e, e.hpage).pfn);
	check_eq(thp_events_find(ev, 0, THPSIM_EV_WALK_BEGIN)->arg,
		 THPSIM_WALKER_RCU);
	check_eq(thp_events_count(ev, THPSIM_EV_WALK_READ, NULL), 4);
	check_eq(thp_events_count(ev, THPSIM_EV_IRQ_OFF, NULL), 0);
	free(ev);
	mm_env_teardown(&e);
}
