/*
 * test_pgtable.c - entry encoding at the x86-64 bit positions, entry
 * accessors and their scheduling points, and the life cycle (state,
 * generation, poison) of page-table frames.
 */
#include "mm/internal.h"
#include "mm_test.h"

#define POISON64 UINT64_C(0x6b6b6b6b6b6b6b6b)

Test(pgtable, pte_bits_x86, .timeout = 60)
{
	pte_t pte = mk_pte(0x12345, PAGE_SHARED);

	check_eq(pte_val(pte), (UINT64_C(0x12345) << 12) | 0x1 | 0x2 | 0x4 |
				       0x20 | (UINT64_C(1) << 63));
	cr_assert(pte_present(pte) && pte_write(pte) && pte_young(pte));
	cr_assert(!pte_dirty(pte) && !pte_special(pte) && !pte_none(pte));
	check_eq(pte_pfn(pte), 0x12345);
	check_eq(pte_val(pte_mkdirty(pte)) ^ pte_val(pte), UINT64_C(1) << 6);
	check_eq(pte_val(pte_mkspecial(pte)) ^ pte_val(pte), UINT64_C(1) << 9);
	check_eq(pte_val(pte_wrprotect(pte)) ^ pte_val(pte), UINT64_C(1) << 1);
	cr_assert(pte_access_permitted(pte, true));

	pte = mk_pte(7, PAGE_READONLY);
	cr_assert(!pte_write(pte));
	cr_assert(pte_access_permitted(pte, false));
	cr_assert(!pte_access_permitted(pte, true));
	cr_assert(!pte_access_permitted(__pte(pte_val(pte) & ~UINT64_C(4)),
					false), "no user bit must deny");
	cr_assert(pte_none(__pte(0)) && !pte_present(__pte(0)));
}

Test(pgtable, pfn_round_trips, .timeout = 60)
{
	static const unsigned long pfns[] = {
		0, 1, 2, 0xfff, 0x1000, 0xfffff, 0x123456789UL, PTE_PFN_MAX,
	};

	for (size_t i = 0; i < sizeof(pfns) / sizeof(pfns[0]); i++) {
		pte_t pte = mk_pte(pfns[i], PAGE_SHARED);
		pmd_t huge = mk_huge_pmd(pfns[i], PAGE_SHARED);
		pmd_t table = pmd_mktable(pfns[i]);

		check_eq(pte_pfn(pte), pfns[i]);
		check_eq(pmd_pfn(huge), pfns[i]);
		check_eq(pmd_pfn(table), pfns[i]);
		check_eq(pxd_pfn(pxd_mktable(pfns[i])), pfns[i]);
		/* The pfn sits in bits 12..51 only. */
		check_eq((pte_val(pte) & PTE_PFN_MASK) >> 12, pfns[i]);
		check_eq(pte_val(pte) & PTE_FLAGS_MASK,
			 pgprot_val(PAGE_SHARED));
	}
	/* A pfn beyond 40 bits cannot leak into the flag bits. */
	check_eq(pte_val(mk_pte(PTE_PFN_MAX + 1, PAGE_NONE)), 0);
	check_eq(PTE_PFN_MASK, UINT64_C(0x000ffffffffff000));
}

Test(pgtable, pmd_bits_x86, .timeout = 60)
{
	pmd_t huge = mk_huge_pmd(0x200, PAGE_SHARED);
	pmd_t table = pmd_mktable(5);
	pmd_t poison = __pmd(POISON64);

	check_eq(pmd_val(huge) & (UINT64_C(1) << 7), UINT64_C(1) << 7);
	cr_assert(pmd_trans_huge(huge) && pmd_present(huge) && !pmd_bad(huge));
	cr_assert(pmd_write(huge));
	check_eq(pmd_pfn(huge), 0x200);

	check_eq(pmd_val(table), (UINT64_C(5) << 12) | 0x67);
	cr_assert(!pmd_trans_huge(table) && pmd_present(table));
	cr_assert(!pmd_bad(table) && !pmd_none(table));
	check_eq(pmd_val(table), pxd_val(pxd_mktable(5)));
	cr_assert(!pxd_bad(pxd_mktable(5)) && pxd_present(pxd_mktable(5)));

	/* Invalidated for a split: not present, still huge and "present". */
	huge = __pmd(pmd_val(huge) & ~UINT64_C(1));
	cr_assert(pmd_trans_huge(huge) && pmd_present(huge));

	/* A poisoned (freed) table read as a pmd or upper entry is bad. */
	cr_assert(pmd_bad(poison) && !pmd_trans_huge(poison));
	cr_assert(pxd_bad(__pxd(POISON64)));
	cr_assert(pmd_none(__pmd(0)) && !pmd_bad(__pmd(0)));
	/* ... and read as a PTE it is "present" with a pfn far outside any
	 * arena: consumers must bounds-check. */
	cr_assert(pte_present(__pte(POISON64)));
	check_eq(pte_pfn(__pte(POISON64)), UINT64_C(0x6b6b6b6b6b6b6b6b) >> 12 &
						   PTE_PFN_MAX);
}

/* ---- accessors and tables ------------------------------------------------ */

static _Atomic int points[THPSIM_SP__NR];

static void count_point(int point, void *arg)
{
	(void)arg;
	if (point >= 0 && point < THPSIM_SP__NR)
		atomic_fetch_add(&points[point], 1);
}

Test(pgtable, accessors_pass_sched_points, .timeout = 60)
{
	struct mm_env e;
	struct page *pt;
	pte_t *ptep;

	mm_env_setup(&e, "4x512", 12, 64);
	pt = pte_alloc_one(e.mm);
	cr_assert_not_null(pt);
	ptep = (pte_t *)page_address(pt) + 3;
	thpsim_sched_set_hook(count_point, NULL);
	check_eq(pte_val(ptep_get(ptep)), 0);
	check_eq(atomic_load(&points[THPSIM_SP_ENTRY_LOAD]), 1);
	set_pte_at(e.mm, 0, ptep, mk_pte(9, PAGE_SHARED));
	check_eq(atomic_load(&points[THPSIM_SP_ENTRY_STORE]), 1);
	check_eq(pte_pfn(ptep_get_lockless(ptep)), 9);
	check_eq(pte_pfn(ptep_get_and_clear(e.mm, 0, ptep)), 9);
	check_eq(pte_val(ptep_get(ptep)), 0);
	check_eq(atomic_load(&points[THPSIM_SP_ENTRY_STORE]), 2);
	check_eq(atomic_load(&points[THPSIM_SP_ENTRY_LOAD]), 3);
	thpsim_sched_set_hook(NULL, NULL);
	/* The entry lives in the frame's bytes. */
	set_pte_at(e.mm, 0, ptep, mk_pte(11, PAGE_SHARED));
	check_eq(((uint64_t *)page_address(pt))[3], pte_val(mk_pte(11, PAGE_SHARED)));
	pte_clear(e.mm, 0, ptep);
	pte_free(e.mm, pt);
	mm_env_teardown(&e);
}

struct pt_log {
	int n;
	thpsim_phys_event_t ev[32];
};

static void pt_log_event(const thpsim_phys_event_t *ev, void *arg)
{
	struct pt_log *log = arg;

	if (log->n < 32)
		log->ev[log->n++] = *ev;
}

Test(pgtable, table_life_cycle, .timeout = 60)
{
	struct mm_env e;
	struct pt_log log = { 0 };
	const unsigned long addr = (3UL << 30) + (5UL << 21) + 0x3000;
	thpsim_page_info_t in;
	thpsim_mm_stats_t st;
	struct page *pt;
	unsigned long pfn;
	spinlock_t *ptl;
	pmd_t *pmdp;
	uint64_t gen;

	mm_env_setup(&e, "4x512", 12, 64);
	pmdp = walk_to_pmd(e.mm, addr, true);
	cr_assert_not_null(pmdp);
	thpsim_mm_stats(e.mm, &st);
	check_eq(st.nr_tables[4], 1);	/* the root */
	check_eq(st.nr_tables[3], 1);
	check_eq(st.nr_tables[2], 1);
	check_eq(st.nr_tables[1], 0);
	in = page_info(e.m, virt_to_page(e.mm->phys, pmdp) - e.mm->phys->pages);
	check_eq(in.pt_state, THPSIM_PT_LIVE);
	check_eq(in.pt_level, 2);
	check_eq(in.pt_addr, 3UL << 30);

	thpsim_phys_set_observer(e.m, pt_log_event, &log);
	pt = pte_alloc_one(e.mm);
	cr_assert_not_null(pt);
	pfn = page_to_pfn(pt);
	in = page_info(e.m, pfn);
	gen = in.generation;
	check_eq(in.kind, THPSIM_PAGE_TABLE);
	check_eq(in.pt_state, THPSIM_PT_DETACHED);
	check_eq(in.pt_level, 1);
	cr_assert(page_flag(in, THPSIM_PG_PGTABLE));
	for (unsigned i = 0; i < 512; i++)
		check_eq(((uint64_t *)page_address(pt))[i], 0);

	ptl = pmd_lock(e.mm, pmdp);
	pmd_populate(e.mm, pmdp, pt);
	spin_unlock(ptl);
	in = page_info(e.m, pfn);
	check_eq(in.pt_state, THPSIM_PT_LIVE);
	check_eq(in.pt_addr, addr & ~((2UL << 20) - 1));
	check_eq(pmd_val(pmdp_get(pmdp)), pmd_val(pmd_mktable(pfn)));
	cr_assert_eq((void *)pte_offset_kernel(e.mm, pmdp_get(pmdp), addr),
		     (void *)((uint64_t *)page_address(pt) + 3));
	check_eq((uintptr_t)pte_lockptr(e.mm, pmdp_get(pmdp)),
		 (uintptr_t)&pt->ptl);

	/* A second __pte_alloc finds the pmd filled and frees its spare. */
	check_ok(__pte_alloc(e.mm, pmdp));
	check_eq(pmd_val(pmdp_get(pmdp)), pmd_val(pmd_mktable(pfn)));
	thpsim_mm_stats(e.mm, &st);
	check_eq(st.nr_tables[1], 1);

	pmd_clear(e.mm, addr, pmdp);
	page_pt_set_state(pt, THPSIM_PT_DETACHED, 0);
	pte_free(e.mm, pt);
	in = page_info(e.m, pfn);
	check_eq(in.pt_state, THPSIM_PT_FREED);
	check_eq(in.generation, gen + 1);
	cr_assert(page_flag(in, THPSIM_PG_POISONED));
	check_eq(((uint64_t *)pfn_to_virt(e.mm->phys, pfn))[0], POISON64);
	/* The stale pmd value now decodes to a poisoned table. */
	check_eq(pte_val(*pte_offset_kernel(e.mm, pmd_mktable(pfn), 0)),
		 POISON64);

	/* LIFO: the next table reuses the frame, with a new generation. */
	pt = pte_alloc_one(e.mm);
	check_eq(page_to_pfn(pt), pfn);
	check_eq(page_generation(pt), gen + 2);
	check_eq(((uint64_t *)page_address(pt))[0], 0);
	pte_free(e.mm, pt);
	thpsim_phys_set_observer(e.m, NULL, NULL);

	/* alloc, DETACHED, LIVE, (spare: alloc, DETACHED, free), DETACHED,
	 * free, alloc, DETACHED, free. */
	check_eq(log.n, 11);
	check_eq(log.ev[0].what, THPSIM_PHYS_EV_ALLOC);
	check_eq(log.ev[1].pt_state, THPSIM_PT_DETACHED);
	check_eq(log.ev[2].pt_state, THPSIM_PT_LIVE);
	check_eq(log.ev[2].pt_level, 1);
	check_eq(log.ev[5].what, THPSIM_PHYS_EV_FREE);
	check_ne(log.ev[5].pfn, pfn);
	check_eq(log.ev[6].pt_state, THPSIM_PT_DETACHED);
	check_eq(log.ev[6].pt_old_state, THPSIM_PT_LIVE);
	check_eq(log.ev[7].what, THPSIM_PHYS_EV_FREE);
	check_eq(log.ev[7].pfn, pfn);
	check_eq(log.ev[7].pt_state, THPSIM_PT_FREED);
	check_eq(log.ev[7].generation, gen + 1);
	mm_env_teardown(&e);
}

Test(pgtable, table_alloc_failure, .timeout = 60)
{
	struct mm_env e;
	uint64_t used;
	pmd_t *pmdp;

	mm_env_setup(&e, "3x16", 12, 64);
	pmdp = walk_to_pmd(e.mm, 0x5000, true);
	cr_assert_not_null(pmdp);
	used = used_frames(e.m);
	check_ok(thpsim_phys_inject_failure(e.m, THPSIM_ALLOC_TABLE, 0, 1));
	check_err(__pte_alloc(e.mm, pmdp), -THPSIM_ENOFRAME);
	cr_assert(pmd_none(pmdp_get(pmdp)));
	check_eq(used_frames(e.m), used);
	check_ok(__pte_alloc(e.mm, pmdp));
	check_eq(used_frames(e.m), used + 1);
	/* exit_mmap frees the table no VMA covers. */
	mm_env_teardown(&e);
}

Test(pgtable, garbage_pfn_gives_no_pointer, .timeout = 60)
{
	struct mm_env e;

	mm_env_setup(&e, "2x4", 12, 16);
	cr_assert_null(pte_offset_kernel(e.mm, __pmd(POISON64), 0));
	cr_assert_null(pte_offset_kernel(e.mm, pmd_mktable(16), 0));
	cr_assert_null(pte_lockptr(e.mm, pmd_mktable(1000)));
	cr_assert_not_null(pte_offset_kernel(e.mm, pmd_mktable(15), 0));
	mm_env_teardown(&e);
}
