/*
 * test_mmu_gather.c - freeing a table through mmu_gather, per profile:
 * an RCU batch frees it after a grace period; a failed batch page takes
 * tlb_remove_table_one (a sync IPI, then an immediate free); tables freed
 * like pages go after the flush; tlb_remove_table_sync_one() is an empty
 * stub without RCU table free (and real with mutant sync-not-stubbed).
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
	check_ok(thpsim_mm_munmap(g.e.mm, g.e.hpage, g.e.page));
	check_eq(page_info(g.e.m, pfn).pt_state,
		 rcu ? THPSIM_PT_DETACHED : THPSIM_PT_FREED);
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
