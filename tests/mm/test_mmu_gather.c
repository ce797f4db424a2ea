/*
 * test_mmu_gather.c - freeing a table through mmu_gather, per profile:
 * an RCU batch frees it after a grace period; a failed batch page takes
 * tlb_remove_table_one (a sync IPI, then an immediate free); tables freed
 * like pages go after the flush; tlb_remove_table_sync_one() is an empty
 * stub without RCU table free (and real with mutant sync-not-stubbed);
 * pte_free_tlb() adds one page to the range; nested gathers flush the
 * whole mm; zap_huge_pmd() frees the huge page after the flush.
 * A second CPU thread is registered so that a sync IPI has a target.
 */
#include "thp_test.h"

struct gather_env {
	struct mm_env e;
	struct cpu_thread other;
	thpsim_kconfig_t kc;
};

static void gather_setup(struct gather_env *g, const char *profile)
{
	mm_env_setup(&g->e, "2x8", 12, 64);
	thp_kconfig(&g->e, profile, "none", &g->kc);
	cpu_thread_start(&g->other, g->e.m, busy_body, NULL);
}

static void gather_teardown(struct gather_env *g)
{
	cpu_thread_join(&g->other);
	rcu_barrier();
	mm_env_teardown(&g->e);
}

/* One mmu_gather round freeing a fresh table; returns it. */
static struct page *free_one_table(struct gather_env *g)
{
	struct mmu_gather tlb;
	struct page *t = pte_alloc_one(g->e.mm);

	cr_assert_not_null(t);
	tlb_gather_mmu(&tlb, g->e.mm);
	pte_free_tlb(&tlb, t, g->e.hpage);
	tlb_finish_mmu(&tlb);
	return t;
}

Test(mmu_gather, rcu_batch_frees_after_the_grace_period, .timeout = 30)
{
	struct gather_env g;
	uint64_t sent, pfn;
	thpsim_mm_stats_t st;

	gather_setup(&g, "arm64");
	sent = thp_ipi_sent(g.e.m);
	pfn = page_to_pfn(free_one_table(&g));
	check_eq(page_info(g.e.m, pfn).pt_state, THPSIM_PT_DETACHED);
	thpsim_mm_stats(g.e.mm, &st);
	check_eq(st.nr_tables[1], 0);	/* uncounted when unhooked */
	rcu_barrier();
	check_eq(page_info(g.e.m, pfn).pt_state, THPSIM_PT_FREED);
	check_eq(thp_ipi_sent(g.e.m), sent);	/* broadcast: no IPI at all */
	gather_teardown(&g);
}

static void check_fallback(struct gather_env *g)
{
	uint64_t sent = thp_ipi_sent(g->e.m);
	uint64_t pfn = page_to_pfn(free_one_table(g));

	/* tlb_remove_table_one: the sync IPI reached the other CPU ... */
	check_eq(thp_ipi_sent(g->e.m), sent + 1);
	/* ... and the table was freed at once, no grace period. */
	check_eq(page_info(g->e.m, pfn).pt_state, THPSIM_PT_FREED);
}

Test(mmu_gather, batch_failure_takes_the_ipi_path, .timeout = 30)
{
	struct gather_env g;

	gather_setup(&g, "arm64");
	check_ok(thpsim_phys_inject_failure(g.e.m, THPSIM_ALLOC_BATCH, 0, 1));
	check_fallback(&g);
	/* The knob does the same, every time. */
	g.kc.knobs.fail_table_batch = true;
	check_ok(thpsim_mm_set_kconfig(g.e.mm, &g.kc));
	check_fallback(&g);
	check_fallback(&g);
	gather_teardown(&g);
}

Test(mmu_gather, after_flush_profiles_ignore_the_batch_knob, .timeout = 30)
{
	struct gather_env g;
	uint64_t sent, pfn;

	gather_setup(&g, "x86");
	g.kc.knobs.fail_table_batch = true;
	check_ok(thpsim_mm_set_kconfig(g.e.mm, &g.kc));
	sent = thp_ipi_sent(g.e.m);
	pfn = page_to_pfn(free_one_table(&g));
	/* tlb_remove_page: freed right after the flush, no sync IPI (the
	 * other CPU does not run the mm, so the flush IPIs nobody). */
	check_eq(page_info(g.e.m, pfn).pt_state, THPSIM_PT_FREED);
	check_eq(thp_ipi_sent(g.e.m), sent);
	gather_teardown(&g);
}

Test(mmu_gather, sync_one_is_a_stub_without_rcu_table_free, .timeout = 30)
{
	struct gather_env g;
	uint64_t sent;

	gather_setup(&g, "x86");
	sent = thp_ipi_sent(g.e.m);
	tlb_remove_table_sync_one(g.e.mm);
	check_eq(thp_ipi_sent(g.e.m), sent);
	thp_kconfig(&g.e, "broadcast-norcu", "none", NULL);
	tlb_remove_table_sync_one(g.e.mm);
	check_eq(thp_ipi_sent(g.e.m), sent);
	/* x86-paravirt has RCU table free: a real IPI. */
	thp_kconfig(&g.e, "x86-paravirt", "none", NULL);
	tlb_remove_table_sync_one(g.e.mm);
	check_eq(thp_ipi_sent(g.e.m), sent + 1);
	gather_teardown(&g);
}

Test(mmu_gather, mutant_sync_not_stubbed_sends_it, .timeout = 30)
{
	struct gather_env g;
	uint64_t sent;

	setenv("THPSIM_MUTANT", "sync-not-stubbed", 1);
	gather_setup(&g, "broadcast-norcu");
	sent = thp_ipi_sent(g.e.m);
	tlb_remove_table_sync_one(g.e.mm);
	check_eq(thp_ipi_sent(g.e.m), sent + 1);
	unsetenv("THPSIM_MUTANT");
	gather_teardown(&g);
}

Test(mmu_gather, a_full_batch_is_flushed, .timeout = 30)
{
	enum { N = 10 };
	struct mm_env e;
	struct mmu_gather tlb;
	struct page *t[N];
	thpsim_phys_stats_t st;

	/* 64-byte pages: a batch page holds 7 tables. */
	mm_env_setup(&e, "2x8", 6, 64);
	thp_kconfig(&e, "arm64", "none", NULL);
	tlb_gather_mmu(&tlb, e.mm);
	for (int i = 0; i < N; i++) {
		t[i] = pte_alloc_one(e.mm);
		cr_assert_not_null(t[i]);
		pte_free_tlb(&tlb, t[i], 0);
	}
	thpsim_phys_stats(e.m, &st);
	check_eq(st.allocs[THPSIM_ALLOC_BATCH], 2);	/* 7, then 3 */
	tlb_finish_mmu(&tlb);
	rcu_barrier();
	for (int i = 0; i < N; i++)
		check_eq(page_pt_state(t[i]), THPSIM_PT_FREED);
	thpsim_phys_stats(e.m, &st);
	check_eq(st.used[THPSIM_PAGE_BATCH], 0);
	mm_env_teardown(&e);
}

/*
 * munmap's free_pgtables() frees through mmu_gather (mm/memory.c
 * free_pte_range() -> pte_free_tlb(), 6.1): after a grace period where the
 * profile has MMU_GATHER_RCU_TABLE_FREE, right after the flush elsewhere.
 */
static void munmap_table(const char *profile, bool rcu)
{
	struct gather_env g;
	uint64_t pfn, v = 42;
	thpsim_walk_t w;

	gather_setup(&g, profile);
	check_ok(thpsim_mm_mmap_anon(g.e.mm, g.e.hpage, g.e.page, NULL));
	check_ok(thpsim_mm_write(g.e.mm, g.e.hpage, &v, sizeof(v)));
	check_ok(thpsim_mm_walk(g.e.mm, g.e.hpage, &w));
	pfn = w.table_pfn[1];
	/* A reader holds the grace period off, so "after a grace period"
	 * is checked, not how fast liburcu's callback thread is. */
	rcu_read_lock();
	check_ok(thpsim_mm_munmap(g.e.mm, g.e.hpage, g.e.page));
	check_eq(page_info(g.e.m, pfn).pt_state,
		 rcu ? THPSIM_PT_DETACHED : THPSIM_PT_FREED);
	rcu_read_unlock();
	check_ok(thpsim_machine_rcu_barrier(g.e.m));
	check_eq(page_info(g.e.m, pfn).pt_state, THPSIM_PT_FREED);
	gather_teardown(&g);
}

Test(mmu_gather, munmap_tables_rcu_arm64, .timeout = 30)
{
	munmap_table("arm64", true);
}

Test(mmu_gather, munmap_tables_after_flush_x86, .timeout = 30)
{
	munmap_table("x86", false);
}

Test(mmu_gather, machine_rcu_barrier_errors, .timeout = 30)
{
	struct mm_env e;

	mm_env_setup(&e, "2x8", 12, 64);
	check_err(thpsim_machine_rcu_barrier(NULL), -THPSIM_EINVAL);
	local_irq_disable();
	check_err(thpsim_machine_rcu_barrier(e.m), -THPSIM_EDEADLK);
	local_irq_enable();
	check_ok(thpsim_machine_rcu_barrier(e.m));
	mm_env_teardown(&e);
}

/* The one TLB_FLUSH event recorded (there must be exactly one). */
static thpsim_event_t one_flush(struct thp_events *ev)
{
	const thpsim_event_t *f = thp_events_find(ev, 0, THPSIM_EV_TLB_FLUSH);

	check_eq(thp_events_count(ev, THPSIM_EV_TLB_FLUSH, NULL), 1);
	cr_assert_not_null(f);
	return *f;
}

/* 6.1's pte_free_tlb(): tlb_flush_pmd_range(tlb, address, PAGE_SIZE) and
 * freed_tables, not the pmd's whole span. */
Test(mmu_gather, pte_free_tlb_adds_one_page_and_freed_tables, .timeout = 30)
{
	struct gather_env g;
	struct mmu_gather tlb;
	struct thp_events *ev;
	struct page *t;
	thpsim_event_t f;
	uint64_t addr;

	gather_setup(&g, "arm64");
	addr = g.e.hpage + 3 * g.e.page;
	t = pte_alloc_one(g.e.mm);
	cr_assert_not_null(t);
	ev = thp_events_start();
	tlb_gather_mmu(&tlb, g.e.mm);
	pte_free_tlb(&tlb, t, addr);
	tlb_finish_mmu(&tlb);
	thp_events_stop(ev);
	f = one_flush(ev);
	check_eq(f.addr, addr);
	check_eq(f.val, addr + g.e.page);
	check_eq(f.arg, 1);	/* freed_tables */
	free(ev);
	gather_teardown(&g);
}

/* mm_tlb_flush_nested(): a gather finishing while another is under way
 * flushes the whole mm, freed_tables included; alone, only its range. */
Test(mmu_gather, nested_gathers_flush_the_whole_mm, .timeout = 30)
{
	struct gather_env g;
	struct mmu_gather outer, inner;
	struct thp_events *ev;
	thpsim_event_t f;

	gather_setup(&g, "arm64");
	tlb_gather_mmu(&outer, g.e.mm);
	tlb_gather_mmu(&inner, g.e.mm);
	check_eq(atomic_load(&g.e.mm->tlb_flush_pending), 2);
	tlb_flush_pte_range(&inner, g.e.hpage, g.e.page);
	ev = thp_events_start();
	tlb_finish_mmu(&inner);
	thp_events_stop(ev);
	f = one_flush(ev);
	check_eq(f.addr, 0);
	check_eq(f.val, g.e.mm->task_size);
	check_eq(f.arg, 1);
	free(ev);
	/* The outer one is alone now and gathered nothing: no flush. */
	ev = thp_events_start();
	tlb_finish_mmu(&outer);
	thp_events_stop(ev);
	check_eq(thp_events_count(ev, THPSIM_EV_TLB_FLUSH, NULL), 0);
	free(ev);
	check_eq(atomic_load(&g.e.mm->tlb_flush_pending), 0);
	/* Alone from the start: its own range, no freed_tables. */
	tlb_gather_mmu(&outer, g.e.mm);
	tlb_flush_pte_range(&outer, g.e.hpage, g.e.page);
	ev = thp_events_start();
	tlb_finish_mmu(&outer);
	thp_events_stop(ev);
	f = one_flush(ev);
	check_eq(f.addr, g.e.hpage);
	check_eq(f.val, g.e.hpage + g.e.page);
	check_eq(f.arg, 0);
	free(ev);
	gather_teardown(&g);
}

/* Index of the first FRAME_FREE of pfn, or SIZE_MAX. */
static size_t freed_at(struct thp_events *ev, uint64_t pfn)
{
	for (size_t i = 0; i < ev->n; i++)
		if (ev->ev[i].kind == THPSIM_EV_FRAME_FREE && ev->ev[i].pfn == pfn)
			return i;
	return SIZE_MAX;
}

/*
 * zap_huge_pmd() (6.1): the deposited table is freed at once
 * (zap_deposited_table -> pte_free, before any flush: the S1 race), the
 * huge page goes through the gather and is freed after the flush.
 */
Test(mmu_gather, zap_huge_pmd_frees_the_page_after_the_flush, .timeout = 30)
{
	struct gather_env g;
	struct thp_events *ev;
	const thpsim_event_t *f;
	uint64_t addr, table, huge;
	size_t flush_at;

	gather_setup(&g, "arm64");
	addr = g.e.hpage;
	check_ok(thpsim_mm_mmap_anon(g.e.mm, addr, g.e.hpage, NULL));
	thp_write_pattern(&g.e, addr, g.e.geo.entries);
	table = thp_walk(&g.e, addr).table_pfn[1];
	check_eq(thpsim_collapse_anon(g.e.mm, addr), THPSIM_SCAN_SUCCEED);
	huge = thp_walk(&g.e, addr).pfn;
	check_eq(page_info(g.e.m, table).pt_state, THPSIM_PT_DEPOSITED);
	ev = thp_events_start();
	check_ok(thpsim_mm_madvise_dontneed(g.e.mm, addr, g.e.hpage));
	thp_events_stop(ev);
	f = thp_events_find(ev, 0, THPSIM_EV_TLB_FLUSH);
	cr_assert_not_null(f);
	flush_at = (size_t)(f - ev->ev);
	cr_assert_lt(freed_at(ev, table), flush_at,
		     "the deposited table is freed before the flush");
	cr_assert_neq(freed_at(ev, huge), SIZE_MAX, "the huge page is freed");
	cr_assert_gt(freed_at(ev, huge), flush_at,
		     "the huge page is freed after the flush");
	check_eq(f->addr, addr);
	check_eq(f->val, addr + g.e.hpage);
	free(ev);
	check_eq(atomic_load(&g.e.mm->tlb_flush_pending), 0);
	gather_teardown(&g);
}
