/*
 * mm/pgtable-generic.c - the generic pmd operations of THP: collapse
 * flush, invalidate, the deposit list of page tables under huge pmds, and
 * the 6.6 RCU-deferred table free.
 *
 * Deposited tables (docs/KERNEL-NOTES.md section 3): a huge pmd keeps a spare
 * PTE table "deposited" so that a later split cannot fail for lack of
 * memory.  The list is per PMD-table page (struct page pmd_huge_pte,
 * protected by the pmd lock) and the tables are not tied to an address:
 * withdrawing for a split at B may return the table a collapse at A
 * deposited (scenario S5), and zap frees whichever it withdraws (S1).
 * The list operations are the kernel's exactly, so deposits T1, T2, T3
 * come back as T3, T1, T2 (most recent first, then ring order).
 *
 * The ppc64-radix layout keeps the linkage in the table itself: slots 0
 * and 1 hold the ring's next/prev pointers while deposited (arch/
 * deposit_radix.h), so a walker still inside the table reads non-PTE data
 * there (scenario S3).  These stores are not PTE stores: they are reported
 * by the DEPOSIT / WITHDRAW events, not as ENTRY_SET.
 */
#include "arch/deposit_radix.h"
#include "mm/internal.h"

/*
 * Models mm/pgtable-generic.c: pmdp_collapse_flush() (Linux 6.1): clear
 * the pmd, then flush the TLB (x86 6.1 passes freed_tables=false).  From
 * here the table is unhooked: a GUP-fast walker that read the pmd before
 * may still be inside it, which is what its pmd recheck (see
 * gup_pte_range()) and the fixes (tlb_remove_table_sync_one(), a fresh
 * deposit table) are about.
 */
pmd_t pmdp_collapse_flush(struct vm_area_struct *vma, unsigned long address,
			  pmd_t *pmdp)
{
	struct mm_struct *mm = vma->vm_mm;
	pmd_t pmd;

	sched_point(COLLAPSE_BEFORE_FLUSH);
	pmd = pmdp_huge_get_and_clear(mm, address, pmdp);
	BUG_ON(pmd_trans_huge(pmd));
	if (pmd_present(pmd)) {
		struct page *table = pfn_to_page(mm->phys, pmd_pfn(pmd));

		if (table)
			page_pt_set_state(table, THPSIM_PT_DETACHED, 0);
	}
	flush_tlb_range(vma, address, address + HPAGE_PMD_SIZE(mm));
	return pmd;
}

/*
 * Models mm/pgtable-generic.c: pmdp_invalidate() (Linux 6.1): the huge
 * pmd becomes not-present (still huge) and the TLB is flushed, before a
 * split withdraws the deposited table ("critical for some architectures
 * (Power)").  On x86 the flush is the "IPI from THP splitting" that
 * GUP-fast's interrupts-off section also holds off (scenario S12).
 */
pmd_t pmdp_invalidate(struct vm_area_struct *vma, unsigned long address,
		      pmd_t *pmdp)
{
	pmd_t old = pmdp_establish(vma, address, pmdp,
				   pmd_mkinvalid(pmdp_get(pmdp)));

	flush_tlb_range(vma, address, address + HPAGE_PMD_SIZE(vma->vm_mm));
	return old;
}

static void pte_free_now(struct rcu_head *head)
{
	pt_free_page(container_of(head, struct page, rcu_head));
}

/*
 * Models mm/pgtable-generic.c: pte_free_defer() (Linux 6.6): free after
 * an RCU grace period, whatever the architecture, so both interrupts-off
 * walkers (GUP-fast) and RCU-only walkers (6.5+ pte_offset_map(), see
 * thpsim_rcu_walk()) are done with the table first.  The caller has
 * unhooked it.
 */
void pte_free_defer(struct mm_struct *mm, struct page *table)
{
	emit(.kind = THPSIM_EV_TABLE_FREE, .pfn = page_to_pfn(table),
	     .level = table->pt_level, .what = "pte_free_defer");
	if (page_pt_state(table) != THPSIM_PT_DETACHED)
		page_pt_set_state(table, THPSIM_PT_DETACHED, 0);
	mm_dec_nr_tables(mm, table->pt_level);
	call_rcu(&table->rcu_head, pte_free_now);
}

/* ---- deposit / withdraw ---------------------------------------------- */

/* The PMD-table page holding pmdp: its pmd_huge_pte heads the list. */
static struct page *pmd_table_page(struct mm_struct *mm, pmd_t *pmdp)
{
	struct page *page = virt_to_page(mm->phys, pmdp);

	BUG_ON(!page || !PageTable(page));
	return page;
}

static void radix_set_slot(struct page *table, unsigned slot, uint64_t v)
{
	phys_mark_entry_dirty(table->phys, (uint64_t *)page_address(table) + slot);
	__atomic_store_n((uint64_t *)page_address(table) + slot, v,
			 __ATOMIC_RELEASE);
}

/*
 * Radix: the list_head lives in slots 0 and 1 of every table on the ring.
 * After a list operation, store each member's next and prev pointers
 * (those of its neighbours changed too).
 */
static void radix_write_ring(struct mm_struct *mm, struct page *head)
{
	bool passes = mm_knobs(mm)->radix_garbage_passes;
	struct page *t = head;

	if (!head)
		return;
	do {
		struct page *next = list_entry(t->lru.next, struct page, lru);
		struct page *prev = list_entry(t->lru.prev, struct page, lru);

		radix_set_slot(t, 0, radix_list_word(page_to_pfn(next), passes));
		radix_set_slot(t, 1, radix_list_word(page_to_pfn(prev), passes));
		t = next;
	} while (t != head);
}

static bool deposit_is_radix(struct mm_struct *mm)
{
	return mm_profile(mm)->deposit == THPSIM_DEPOSIT_RADIX;
}

/*
 * Models mm/pgtable-generic.c: pgtable_trans_huge_deposit() (Linux 6.1)
 * and arch/powerpc/mm/book3s64/radix_pgtable.c:
 * radix__pgtable_trans_huge_deposit() (Linux 6.1) per the profile.
 * Caller holds the pmd lock.
 */
void pgtable_trans_huge_deposit(struct mm_struct *mm, pmd_t *pmdp,
				struct page *pgtable)
{
	struct page *pmd_page = pmd_table_page(mm, pmdp);

	lockdep_assert_held(pmd_lockptr(mm, pmdp));
	if (!pmd_page->pmd_huge_pte)
		INIT_LIST_HEAD(&pgtable->lru);
	else
		list_add(&pgtable->lru, &pmd_page->pmd_huge_pte->lru);
	pmd_page->pmd_huge_pte = pgtable;
	page_pt_set_state(pgtable, THPSIM_PT_DEPOSITED, 0);
	if (deposit_is_radix(mm))
		radix_write_ring(mm, pgtable);
	emit(.kind = THPSIM_EV_DEPOSIT, .pfn = page_to_pfn(pgtable),
	     .pfn2 = page_to_pfn(pmd_page), .level = 1,
	     .what = deposit_is_radix(mm) ? "radix" : "generic");
}

/*
 * Models mm/pgtable-generic.c: pgtable_trans_huge_withdraw() (Linux 6.1)
 * and radix__pgtable_trans_huge_withdraw(), which zeroes slots 0 and 1 of
 * the table it returns.  Caller holds the pmd lock; the list is not empty
 * (every huge pmd deposited one).
 */
struct page *pgtable_trans_huge_withdraw(struct mm_struct *mm, pmd_t *pmdp)
{
	struct page *pmd_page = pmd_table_page(mm, pmdp);
	struct page *pgtable = pmd_page->pmd_huge_pte;

	lockdep_assert_held(pmd_lockptr(mm, pmdp));
	BUG_ON(!pgtable);
	pmd_page->pmd_huge_pte = list_first_entry_or_null(&pgtable->lru,
							  struct page, lru);
	if (pmd_page->pmd_huge_pte)
		list_del(&pgtable->lru);
	INIT_LIST_HEAD(&pgtable->lru);
	if (deposit_is_radix(mm)) {
		radix_set_slot(pgtable, 0, 0);
		radix_set_slot(pgtable, 1, 0);
		radix_write_ring(mm, pmd_page->pmd_huge_pte);
	}
	page_pt_set_state(pgtable, THPSIM_PT_DETACHED, 0);
	emit(.kind = THPSIM_EV_WITHDRAW, .pfn = page_to_pfn(pgtable),
	     .pfn2 = page_to_pfn(pmd_page), .level = 1);
	return pgtable;
}
