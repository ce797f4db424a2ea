/*
 * mm/huge_memory.c - huge pmds: split back to a PTE table, zap with the
 * deposited table.
 *
 * Both take the table deposited by the collapse (see
 * pgtable_trans_huge_deposit()), but not necessarily the one deposited
 * for this address: the list is per PMD-table page.  A split fills the
 * withdrawn table with this huge page's PTEs and makes it live again,
 * possibly at another address than its last (scenario S5); a zap frees it
 * at once with pte_free() (scenario S1).  Either is harmless only if no
 * GUP-fast walker still holds a pointer into that table from an earlier
 * life, which is what the collapse-side fixes are about.
 *
 * Refcounting (simplified from the kernel's): a huge pmd holds one
 * reference on the compound head and the head's mapcount; after a split
 * each PTE holds one reference on the head and its subpage's mapcount.
 */
#include "mm/internal.h"

/*
 * Models mm/huge_memory.c: __split_huge_pmd_locked() for an anonymous THP
 * (Linux 6.1).  Simplified: no migration entries, no soft-dirty or uffd
 * bits, no zero-page pmd, no freeze; the PTEs are filled straight into
 * the withdrawn table instead of a stack pmd (nothing else can reach the
 * table until pmd_populate()).  Caller holds the pmd lock.
 */
static void __split_huge_pmd_locked(struct vm_area_struct *vma, pmd_t *pmdp,
				    unsigned long haddr)
{
	struct mm_struct *mm = vma->vm_mm;
	unsigned long nr = HPAGE_PMD_NR(mm), addr = haddr;
	struct page *head, *pgtable;
	pmd_t old_pmd;
	pte_t *ptep;

	lockdep_assert_held(pmd_lockptr(mm, pmdp));
	/* Invalidate (and flush) before the withdraw: see the kernel's
	 * comment, "critical for some architectures (Power)". */
	old_pmd = pmdp_invalidate(vma, haddr, pmdp);
	head = pfn_to_page(mm->phys, pmd_pfn(old_pmd));
	BUG_ON(!head);
	pgtable = pgtable_trans_huge_withdraw(mm, pmdp);
	ptep = (pte_t *)page_address(pgtable);
	for (unsigned long i = 0; i < nr; i++, addr += PAGE_SIZE_MM(mm)) {
		pte_t entry = mk_pte(pmd_pfn(old_pmd) + i, vma->vm_page_prot);

		if (pmd_write(old_pmd))
			entry = pte_mkwrite(entry);
		entry = pte_mkdirty(pte_mkyoung(entry));
		BUG_ON(!pte_none(ptep_get(ptep + i)));
		set_pte_at(mm, addr, ptep + i, entry);
		if (i)
			atomic_fetch_add(&head[i]._mapcount, 1);
	}
	/* The head's mapcount moves from the pmd to its PTE; one more
	 * reference per PTE on the folio. */
	page_ref_add_unless(head, (int)nr - 1, 0);
	atomic_thread_fence(memory_order_release);	/* smp_wmb() */
	pmd_populate(mm, pmdp, pgtable);
	emit(.kind = THPSIM_EV_SPLIT, .addr = haddr, .pfn = page_to_pfn(pgtable),
	     .pfn2 = page_to_pfn(head));
}

/* Models mm/huge_memory.c: __split_huge_pmd() (Linux 6.1).  Caller holds
 * mmap_lock (read is enough; collapse holds it for write). */
void split_huge_pmd(struct vm_area_struct *vma, pmd_t *pmdp,
		    unsigned long address)
{
	struct mm_struct *mm = vma->vm_mm;
	spinlock_t *ptl;

	mmap_assert_locked(mm);
	ptl = pmd_lock(mm, pmdp);
	if (pmd_trans_huge(pmdp_get(pmdp)))
		__split_huge_pmd_locked(vma, pmdp,
					address & level_mask(mm, 2));
	spin_unlock(ptl);
}

/*
 * Models mm/huge_memory.c: zap_deposited_table() (Linux 6.1): withdraw
 * and free at once (no RCU, no IPI): a walker still holding the table
 * from its earlier life (scenario S1) reads freed memory.
 */
static void zap_deposited_table(struct mm_struct *mm, pmd_t *pmdp)
{
	struct page *pgtable = pgtable_trans_huge_withdraw(mm, pmdp);

	pte_free(mm, pgtable);
}

/*
 * Models mm/huge_memory.c: zap_huge_pmd() (Linux 6.1) for an anonymous
 * THP: the pmd is cleared and the deposited table freed at once under the
 * pmd lock (withdraw after the clear: ppc64 looks at the deposit while
 * clearing; the immediate pte_free() is the S1 race), the huge page goes
 * to the gather (tlb_remove_page_size()) and is put after the flush.
 * Simplified: the gather is this function's own (the kernel's caller,
 * zap_page_range_single() or unmap_region(), passes one for the whole
 * range), so a zap of several huge pmds flushes once per pmd where the
 * kernel flushes once; no huge zero page, no special or file THPs.
 */
void zap_huge_pmd(struct vm_area_struct *vma, pmd_t *pmdp, unsigned long addr)
{
	struct mm_struct *mm = vma->vm_mm;
	struct mmu_gather tlb;
	spinlock_t *ptl;
	pmd_t orig;
	struct page *page = NULL;

	tlb_gather_mmu(&tlb, mm);
	ptl = pmd_lock(mm, pmdp);
	orig = pmdp_huge_get_and_clear(mm, addr, pmdp);
	/* tlb_remove_pmd_tlb_entry(): the pmd's span joins the range. */
	tlb_flush_pte_range(&tlb, addr, HPAGE_PMD_SIZE(mm));
	if (pmd_trans_huge(orig)) {
		page = pfn_to_page(mm->phys, pmd_pfn(orig));
		page_remove_rmap(page, vma);
		add_mm_counter(mm, PageAnon(page) ? MM_ANONPAGES : MM_FILEPAGES,
			       -(long)HPAGE_PMD_NR(mm));
		zap_deposited_table(mm, pmdp);
	}
	spin_unlock(ptl);
	if (page)
		tlb_remove_page_size(&tlb, page, HPAGE_PMD_SIZE(mm));
	tlb_finish_mmu(&tlb);
}

int thpsim_split_huge_pmd(thpsim_mm_t *mm, uint64_t addr)
{
	struct vm_area_struct *vma;
	pmd_t *pmdp;
	int err = thpsim__need_cpu("thpsim_split_huge_pmd");

	if (!err && !mm)
		err = thpsim__err(-THPSIM_EINVAL, "thpsim_split_huge_pmd: mm is NULL");
	if (err)
		return err;
	mmap_read_lock(mm);
	vma = addr < mm->task_size ? vma_lookup(mm, addr) : NULL;
	pmdp = vma ? walk_to_pmd(mm, addr, false) : NULL;
	if (!pmdp || !pmd_trans_huge(pmdp_get(pmdp)))
		err = thpsim__err(-THPSIM_EFAULT,
				  "thpsim_split_huge_pmd: no huge pmd maps 0x%llx",
				  (unsigned long long)addr);
	else
		split_huge_pmd(vma, pmdp, addr);
	mmap_read_unlock(mm);
	return err;
}
