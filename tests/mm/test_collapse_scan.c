/*
 * test_collapse_scan.c - khugepaged's scan (hpage_collapse_scan_pmd,
 * Linux 6.1) refuses a range under the PTE lock, before anything is
 * allocated, unhooked or flushed: a locked page, a pinned page, no
 * referenced page, too many shared pages, too many swap entries; with
 * the 6.1 default tunables (max_ptes_swap HPAGE_PMD_NR / 8,
 * max_ptes_shared HPAGE_PMD_NR / 2).
 */
#include "thp_test.h"

#define NR 8	/* geometry 2x8: HPAGE_PMD_NR */

struct scan_env {
	struct mm_env e;
	uint64_t addr;
	struct page *pages[NR];
	struct thp_events *ev;
};

static void scan_setup(struct scan_env *s)
{
	mm_env_setup(&s->e, "2x8", 12, 64);
	s->addr = s->e.hpage;
	check_ok(thpsim_mm_mmap_anon(s->e.mm, s->addr, s->e.hpage, NULL));
	thp_write_pattern(&s->e, s->addr, NR);
	for (unsigned i = 0; i < NR; i++)
		s->pages[i] = pfn_to_page(s->e.mm->phys,
					  thp_walk(&s->e, s->addr + i * s->e.page).pfn);
}

/* Collapse with the event recorder on; the result. */
static int scan_collapse(struct scan_env *s)
{
	int result;

	s->ev = thp_events_start();
	result = thpsim_collapse_anon(s->e.mm, s->addr);
	thp_events_stop(s->ev);
	return result;
}

/* The scan refused: no huge page, no pmd store, no flush, no isolate. */
static void check_refused_before_flush(struct scan_env *s, int result,
				       int expected)
{
	cr_assert_eq(result, expected, "%s, expected %s",
		     thpsim_scan_result_name(result),
		     thpsim_scan_result_name(expected));
	check_eq(thp_events_count(s->ev, THPSIM_EV_TLB_FLUSH, NULL), 0);
	check_eq(thp_events_count(s->ev, THPSIM_EV_ENTRY_SET, NULL), 0);
	check_eq(thp_events_count(s->ev, THPSIM_EV_ISOLATE, NULL), 0);
	check_eq(thp_events_count(s->ev, THPSIM_EV_FRAME_ALLOC, NULL), 0);
	cr_assert(!thp_walk(&s->e, s->addr).huge);
	free(s->ev);
	s->ev = NULL;
}

/* Rewrite the PTE mapping addr (under its lock). */
static void pte_rewrite(struct scan_env *s, uint64_t addr,
			pte_t (*fn)(pte_t))
{
	struct mm_struct *mm = s->e.mm;
	pmd_t *pmd = walk_to_pmd(mm, addr, false);
	spinlock_t *ptl;
	pte_t *ptep;

	cr_assert_not_null(pmd);
	ptep = pte_offset_map_lock(mm, pmd, addr, &ptl);
	cr_assert_not_null(ptep);
	set_pte_at(mm, addr, ptep, fn(ptep_get(ptep)));
	pte_unmap_unlock(ptep, ptl);
}

static pte_t mkold(pte_t pte) { return __pte(pte.pte & ~_PAGE_ACCESSED); }
static pte_t mkyoung(pte_t pte) { return pte_mkyoung(pte); }
static pte_t unpresent(pte_t pte) { return __pte(pte.pte & ~_PAGE_PRESENT); }
static pte_t present(pte_t pte) { return __pte(pte.pte | _PAGE_PRESENT); }

static void scan_done(struct scan_env *s)
{
	check_eq(thpsim_collapse_anon(s->e.mm, s->addr), THPSIM_SCAN_SUCCEED);
	thp_check_pattern(&s->e, s->addr, NR);
	mm_env_teardown(&s->e);
}

Test(collapse_scan, locked_page_refused_before_the_flush, .timeout = 30)
{
	struct scan_env s;

	scan_setup(&s);
	cr_assert(trylock_page(s.pages[5]));
	check_refused_before_flush(&s, scan_collapse(&s), THPSIM_SCAN_PAGE_LOCK);
	unlock_page(s.pages[5]);
	scan_done(&s);
}

Test(collapse_scan, pinned_page_refused_before_the_flush, .timeout = 30)
{
	struct scan_env s;

	scan_setup(&s);
	get_page(s.pages[0]);	/* a GUP pin taken before the scan */
	check_refused_before_flush(&s, scan_collapse(&s), THPSIM_SCAN_PAGE_COUNT);
	put_page(s.pages[0]);
	scan_done(&s);
}

Test(collapse_scan, no_referenced_page_refused, .timeout = 30)
{
	struct scan_env s;

	scan_setup(&s);
	for (unsigned i = 0; i < NR; i++)
		pte_rewrite(&s, s.addr + i * s.e.page, mkold);
	check_refused_before_flush(&s, scan_collapse(&s),
				   THPSIM_SCAN_LACK_REFERENCED_PAGE);
	/* PG_referenced on one page is enough... */
	SetPageReferenced(s.pages[6]);
	s.ev = thp_events_start();
	check_eq(thpsim_collapse_anon(s.e.mm, s.addr), THPSIM_SCAN_SUCCEED);
	thp_events_stop(s.ev);
	free(s.ev);
	thp_check_pattern(&s.e, s.addr, NR);
	mm_env_teardown(&s.e);
}

Test(collapse_scan, one_young_pte_is_enough, .timeout = 30)
{
	struct scan_env s;

	scan_setup(&s);
	for (unsigned i = 0; i < NR; i++)
		pte_rewrite(&s, s.addr + i * s.e.page, mkold);
	pte_rewrite(&s, s.addr + 2 * s.e.page, mkyoung);
	scan_done(&s);
}

/* A page mapped once more elsewhere (a fork's child): mapcount and
 * refcount up by one, so the refcount check still passes. */
static void share(struct page *page, int d)
{
	atomic_fetch_add(&page->_mapcount, d);
	if (d > 0)
		get_page(page);
	else
		put_page(page);
}

Test(collapse_scan, too_many_shared_pages_refused, .timeout = 30)
{
	struct scan_env s;

	scan_setup(&s);
	/* max_ptes_shared is NR / 2 = 4: five shared pages are too many. */
	for (unsigned i = 0; i < NR / 2 + 1; i++)
		share(s.pages[i], 1);
	check_refused_before_flush(&s, scan_collapse(&s),
				   THPSIM_SCAN_EXCEED_SHARED_PTE);
	for (unsigned i = 0; i < NR / 2 + 1; i++)
		share(s.pages[i], -1);
	scan_done(&s);
}

Test(collapse_scan, too_many_swap_entries_refused, .timeout = 30)
{
	struct scan_env s;

	scan_setup(&s);
	/* max_ptes_swap is NR / 8 = 1: two non-present entries are too
	 * many (the model has no swap; any non-present, non-none PTE reads
	 * as a swap entry, as is_swap_pte() says). */
	pte_rewrite(&s, s.addr + 1 * s.e.page, unpresent);
	pte_rewrite(&s, s.addr + 4 * s.e.page, unpresent);
	check_refused_before_flush(&s, scan_collapse(&s),
				   THPSIM_SCAN_EXCEED_SWAP_PTE);
	/* One is within the limit: the scan passes, and with no swap-in
	 * modelled the isolate refuses the entry after the flush. */
	pte_rewrite(&s, s.addr + 4 * s.e.page, present);
	s.ev = thp_events_start();
	check_eq(thpsim_collapse_anon(s.e.mm, s.addr),
		 THPSIM_SCAN_PTE_NON_PRESENT);
	thp_events_stop(s.ev);
	cr_assert_geq(thp_events_count(s.ev, THPSIM_EV_TLB_FLUSH, NULL), 1);
	free(s.ev);
	pte_rewrite(&s, s.addr + 1 * s.e.page, present);
	scan_done(&s);
}

/* ---- the isolate checks again after the flush ------------------------ */

static void all_old(void *arg)
{
	struct scan_env *s = arg;

	for (unsigned i = 0; i < NR; i++)
		pte_rewrite(s, s->addr + i * s->e.page, mkold);
}

static void share_five(void *arg)
{
	struct scan_env *s = arg;

	for (unsigned i = 0; i < NR / 2 + 1; i++)
		share(s->pages[i], 1);
}

/* What changes between the scan and the isolate (the scan ran with the
 * PTE lock, then dropped it and the mmap lock) is caught after the flush,
 * and the old table goes back. */
Test(collapse_scan, isolate_rechecks_referenced_and_shared, .timeout = 30)
{
	struct scan_env s;
	struct thp_at_point at = { .point = THPSIM_SP_COLLAPSE_AFTER_SCAN,
				   .arg = &s };

	scan_setup(&s);
	at.fn = all_old;
	thp_at_point_arm(&at);
	check_eq(scan_collapse(&s), THPSIM_SCAN_LACK_REFERENCED_PAGE);
	thp_at_point_disarm();
	cr_assert_geq(thp_events_count(s.ev, THPSIM_EV_TLB_FLUSH, NULL), 1);
	free(s.ev);
	cr_assert(!thp_walk(&s.e, s.addr).huge);
	SetPageReferenced(s.pages[0]);
	at.fn = share_five;
	thp_at_point_arm(&at);
	check_eq(scan_collapse(&s), THPSIM_SCAN_EXCEED_SHARED_PTE);
	thp_at_point_disarm();
	cr_assert_geq(thp_events_count(s.ev, THPSIM_EV_TLB_FLUSH, NULL), 1);
	free(s.ev);
	for (unsigned i = 0; i < NR / 2 + 1; i++)
		share(s.pages[i], -1);
	scan_done(&s);
}
