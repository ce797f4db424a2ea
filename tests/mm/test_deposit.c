/*
 * test_deposit.c - pgtable_trans_huge_deposit / _withdraw: the kernel's
 * list order (T1, T2, T3 come back as T3, T1, T2), the table states, and
 * what each layout leaves in the table's bytes (generic: nothing; radix:
 * list pointers in slots 0 and 1, zeroed on withdraw).
 */
#include "arch/deposit_radix.h"
#include "thp_test.h"

#define NR_T 3

struct deposit_env {
	struct mm_env e;
	pmd_t *pmdp;
	struct page *t[NR_T];
};

static void deposit_setup(struct deposit_env *d, const char *profile,
			  bool garbage_passes)
{
	thpsim_kconfig_t kc;

	mm_env_setup(&d->e, "4x512", 12, 64);
	thp_kconfig(&d->e, profile, "none", &kc);
	kc.knobs.radix_garbage_passes = garbage_passes;
	check_ok(thpsim_mm_set_kconfig(d->e.mm, &kc));
	d->pmdp = walk_to_pmd(d->e.mm, 1UL << 30, true);
	cr_assert_not_null(d->pmdp);
	for (int i = 0; i < NR_T; i++) {
		d->t[i] = pte_alloc_one(d->e.mm);
		cr_assert_not_null(d->t[i]);
	}
}

static void deposit_all(struct deposit_env *d)
{
	spinlock_t *ptl = pmd_lock(d->e.mm, d->pmdp);

	for (int i = 0; i < NR_T; i++)
		pgtable_trans_huge_deposit(d->e.mm, d->pmdp, d->t[i]);
	spin_unlock(ptl);
	for (int i = 0; i < NR_T; i++)
		check_eq(page_pt_state(d->t[i]), THPSIM_PT_DEPOSITED);
}

static struct page *withdraw(struct deposit_env *d)
{
	spinlock_t *ptl = pmd_lock(d->e.mm, d->pmdp);
	struct page *t = pgtable_trans_huge_withdraw(d->e.mm, d->pmdp);

	spin_unlock(ptl);
	check_eq(page_pt_state(t), THPSIM_PT_DETACHED);
	return t;
}

static uint64_t slot(struct page *t, unsigned i)
{
	return ((uint64_t *)page_address(t))[i];
}

static void deposit_teardown(struct deposit_env *d)
{
	for (int i = 0; i < NR_T; i++)
		pte_free(d->e.mm, d->t[i]);
	mm_env_teardown(&d->e);
}

Test(deposit, withdraw_order_is_the_kernels, .timeout = 30)
{
	struct deposit_env d;
	struct page *got[NR_T];

	deposit_setup(&d, "arm64", false);
	deposit_all(&d);
	for (int i = 0; i < NR_T; i++)
		got[i] = withdraw(&d);
	/* Most recent first, then ring order: neither FIFO nor LIFO. */
	cr_assert_eq(got[0], d.t[2]);
	cr_assert_eq(got[1], d.t[0]);
	cr_assert_eq(got[2], d.t[1]);
	cr_assert_null(virt_to_page(d.e.mm->phys, d.pmdp)->pmd_huge_pte);
	deposit_teardown(&d);
}

Test(deposit, generic_layout_leaves_the_table_untouched, .timeout = 30)
{
	struct deposit_env d;

	deposit_setup(&d, "arm64", false);
	deposit_all(&d);
	for (int i = 0; i < NR_T; i++)
		for (unsigned s = 0; s < 512; s++)
			check_eq(slot(d.t[i], s), 0);
	for (int i = 0; i < NR_T; i++)
		(void)withdraw(&d);
	deposit_teardown(&d);
}

Test(deposit, radix_writes_slots_0_and_1_and_withdraw_zeroes_them,
     .timeout = 30)
{
	struct deposit_env d;
	struct page *t;

	deposit_setup(&d, "ppc64-radix", false);
	deposit_all(&d);
	for (int i = 0; i < NR_T; i++) {
		struct page *next = list_entry(d.t[i]->lru.next, struct page, lru);
		struct page *prev = list_entry(d.t[i]->lru.prev, struct page, lru);

		check_eq(slot(d.t[i], 0), radix_list_word(page_to_pfn(next), false));
		check_eq(slot(d.t[i], 1), radix_list_word(page_to_pfn(prev), false));
		/* Non-PTE data that fails the access check. */
		cr_assert(!pte_access_permitted(__pte(slot(d.t[i], 0)), false));
		check_eq(slot(d.t[i], 2), 0);
	}
	t = withdraw(&d);
	check_eq(slot(t, 0), 0);
	check_eq(slot(t, 1), 0);
	/* The two left point at each other now. */
	check_eq(slot(d.t[0], 0), radix_list_word(page_to_pfn(d.t[1]), false));
	check_eq(slot(d.t[1], 0), radix_list_word(page_to_pfn(d.t[0]), false));
	(void)withdraw(&d);
	t = withdraw(&d);
	check_eq(slot(t, 0), 0);
	check_eq(slot(t, 1), 0);
	deposit_teardown(&d);
}

Test(deposit, radix_garbage_passes_looks_present_outside_the_arena,
     .timeout = 30)
{
	struct deposit_env d;
	pte_t pte;

	deposit_setup(&d, "ppc64-radix", true);
	deposit_all(&d);
	pte = __pte(slot(d.t[0], 0));
	cr_assert(pte_access_permitted(pte, false));
	cr_assert(!pfn_valid(d.e.mm->phys, pte_pfn(pte)));
	for (int i = 0; i < NR_T; i++)
		(void)withdraw(&d);
	deposit_teardown(&d);
}

Test(deposit, a_collapse_deposits_on_the_pmd_tables_list, .timeout = 30)
{
	struct mm_env e;
	struct thp_events *ev;
	const thpsim_event_t *dep;
	thpsim_walk_t w;
	uint64_t table;

	mm_env_setup(&e, "3x4", 12, 64);
	thp_kconfig(&e, "ppc64-radix", "none", NULL);
	check_ok(thpsim_mm_mmap_anon(e.mm, e.hpage, e.hpage, NULL));
	thp_write_pattern(&e, e.hpage, 4);
	w = thp_walk(&e, e.hpage);
	table = w.table_pfn[1];
	ev = thp_events_start();
	check_eq(thpsim_collapse_anon(e.mm, e.hpage), THPSIM_SCAN_SUCCEED);
	thp_events_stop(ev);
	dep = thp_events_find(ev, 0, THPSIM_EV_DEPOSIT);
	cr_assert_not_null(dep);
	check_eq(dep->pfn, table);
	check_eq(dep->pfn2, w.table_pfn[2]);
	cr_assert_str_eq(dep->what, "radix");
	/* The deposited table's slot 0 points at itself (a ring of one). */
	check_eq(((uint64_t *)pfn_to_virt(e.mm->phys, table))[0],
		 radix_list_word(table, false));
	free(ev);
	mm_env_teardown(&e);
}
