/*
 * test_split_zap.c - huge pmds after a collapse: split puts the withdrawn
 * table back with one PTE per subpage; zap (MADV_DONTNEED, munmap) frees
 * the deposited table and the huge page; a partial zap splits first.
 */
#include "thp_test.h"

/* A huge pmd at e->hpage over a written pattern; returns the deposit. */
static uint64_t huge_setup(struct mm_env *e, uint64_t *hpfn)
{
	uint64_t table;

	check_ok(thpsim_mm_mmap_anon(e->mm, e->hpage, e->hpage, NULL));
	thp_write_pattern(e, e->hpage, e->geo.entries);
	table = thp_walk(e, e->hpage).table_pfn[1];
	check_eq(thpsim_collapse_anon(e->mm, e->hpage), THPSIM_SCAN_SUCCEED);
	*hpfn = thp_walk(e, e->hpage).pfn;
	check_eq(page_info(e->m, table).pt_state, THPSIM_PT_DEPOSITED);
	return table;
}

Test(split_zap, split_repopulates_the_withdrawn_table, .timeout = 30)
{
	struct mm_env e;
	uint64_t table, hpfn;
	thpsim_page_info_t in;
	thpsim_mm_stats_t st;

	mm_env_setup(&e, "2x8", 12, 64);
	table = huge_setup(&e, &hpfn);
	check_ok(thpsim_split_huge_pmd(e.mm, e.hpage + 3 * e.page));
	for (uint64_t i = 0; i < e.geo.entries; i++) {
		thpsim_walk_t w = thp_walk(&e, e.hpage + i * e.page);

		cr_assert(!w.huge && w.present && w.write);
		check_eq(w.table_pfn[1], table);	/* the withdrawn one */
		check_eq(w.pfn, hpfn + i);
		check_eq(page_info(e.m, hpfn + i).mapcount, 1);
	}
	in = page_info(e.m, table);
	check_eq(in.pt_state, THPSIM_PT_LIVE);
	check_eq(in.pt_addr, e.hpage);
	check_eq(page_info(e.m, hpfn).refcount, (int)e.geo.entries);
	thp_check_pattern(&e, e.hpage, e.geo.entries);
	check_err(thpsim_split_huge_pmd(e.mm, e.hpage), -THPSIM_EFAULT);
	/* Zapping the PTEs one by one frees the huge page at the last. */
	check_ok(thpsim_mm_madvise_dontneed(e.mm, e.hpage, e.hpage - e.page));
	check_eq(page_info(e.m, hpfn).kind, THPSIM_PAGE_HUGE);
	check_ok(thpsim_mm_madvise_dontneed(e.mm, e.hpage + e.hpage - e.page,
					    e.page));
	check_eq(page_info(e.m, hpfn).kind, THPSIM_PAGE_FREE);
	thpsim_mm_stats(e.mm, &st);
	check_eq(st.anon_pages, 0);
	mm_env_teardown(&e);
}

Test(split_zap, zap_frees_the_deposit_and_the_huge_page, .timeout = 30)
{
	struct mm_env e;
	struct thp_events *ev;
	uint64_t table, hpfn, gen;
	thpsim_mm_stats_t st;

	mm_env_setup(&e, "2x8", 12, 64);
	table = huge_setup(&e, &hpfn);
	gen = page_info(e.m, table).generation;
	ev = thp_events_start();
	check_ok(thpsim_mm_madvise_dontneed(e.mm, e.hpage, e.hpage));
	thp_events_stop(ev);
	check_eq(page_info(e.m, table).pt_state, THPSIM_PT_FREED);
	check_eq(page_info(e.m, table).generation, gen + 1);
	check_eq(page_info(e.m, hpfn).kind, THPSIM_PAGE_FREE);
	check_eq(thp_events_count(ev, THPSIM_EV_WITHDRAW, NULL), 1);
	check_eq(thp_events_count(ev, THPSIM_EV_TABLE_FREE, "pte_free"), 1);
	check_eq(thp_events_count(ev, THPSIM_EV_ZAP, NULL), 1);
	thpsim_mm_stats(e.mm, &st);
	check_eq(st.anon_pages, 0);
	check_eq(st.nr_tables[1], 0);
	cr_assert(!thp_walk_present(&e, e.hpage));
	free(ev);
	mm_env_teardown(&e);
}

Test(split_zap, partial_munmap_splits_first, .timeout = 30)
{
	struct mm_env e;
	uint64_t table, hpfn;

	mm_env_setup(&e, "2x8", 12, 64);
	table = huge_setup(&e, &hpfn);
	/* Unmap the middle two pages: the rest stays, mapped by PTEs. */
	check_ok(thpsim_mm_munmap(e.mm, e.hpage + 3 * e.page, 2 * e.page));
	check_eq(page_info(e.m, table).pt_state, THPSIM_PT_LIVE);
	thp_check_pattern(&e, e.hpage, 3);
	thp_check_pattern(&e, e.hpage + 5 * e.page, 3);
	check_eq(page_info(e.m, hpfn).refcount, 6);
	check_ok(thpsim_mm_munmap(e.mm, e.hpage, e.hpage));
	check_ok(thpsim_machine_rcu_barrier(e.m));	/* mmu_gather's RCU batch */
	check_eq(page_info(e.m, hpfn).kind, THPSIM_PAGE_FREE);
	mm_env_teardown(&e);
}

Test(split_zap, exit_frees_huge_pmds_and_deposits, .timeout = 30)
{
	struct mm_env e;
	uint64_t hpfn;

	mm_env_setup(&e, "4x512", 12, 2048);
	(void)huge_setup(&e, &hpfn);
	check_eq(page_info(e.m, hpfn).order, 9);
	thp_check_pattern(&e, e.hpage, 512);
	/* mm_env_teardown checks that no frame stays in use. */
	mm_env_teardown(&e);
}
