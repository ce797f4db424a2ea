/*
 * mm/khugepaged_file66.c - the file path of khugepaged with Linux 6.6
 * locking (Hugh Dickins' 2023 "mm: free retracted page table by RCU"),
 * selected by a strategy whose file_locking is 6.6 (pte-free-defer):
 * retract_page_tables() without the mmap lock, and
 * collapse_pte_mapped_thp() under mmap_read_lock.
 *
 * What 6.6 relies on instead of the mmap lock:
 *  - the pmd lock and the table's PTE lock, under which the retract
 *    repeats its anon_vma check: a racing UFFDIO_COPY into a private VMA
 *    (mfill_atomic_pte_copy, mm/userfaultfd.c) prepares the anon_vma and
 *    then installs an anonymous PTE under the PTE lock without looking the
 *    page cache up, so the locked huge page does not stop it (scenario
 *    S13; the knob retract_recheck drops the recheck);
 *  - __pte_offset_map_lock()'s pmd recheck after taking the PTE lock
 *    (pgtable.c), so a fault or a UFFDIO_COPY that read the pmd before the
 *    retract cleared it retries instead of writing into the unhooked table;
 *  - pte_free_defer(): the table is freed after an RCU grace period, so
 *    lockless walkers and pte_offset_map_lock()'s window are covered.
 *
 * Simplified: no mmu notifiers; userfaultfd registration is not modelled,
 * so there is no uffd-wp VMA to skip and every private file VMA counts as
 * userfaultfd-armed (collapse_pte_mapped_thp() takes the pmd lock early
 * there, as 6.6 does for an armed private VMA); i_mmap is a list.
 */
#include "mm/internal.h"

/* pmd_lock() then the table's PTE lock nested inside (kernel:
 * spin_lock_nested(ptl, SINGLE_DEPTH_NESTING) when they differ; here they
 * always do, as the pmd lock is mm->page_table_lock).  NULL, with nothing
 * held, when the pmd no longer points at a table (the check_pmd_state()
 * later kernels do here; in 6.6 the huge page lock orders every other
 * retractor of this range). */
static spinlock_t *pmd_and_pte_lock(struct mm_struct *mm, pmd_t *pmdp,
				    spinlock_t **pml)
{
	pmd_t pmd;
	spinlock_t *ptl;

	*pml = pmd_lock(mm, pmdp);
	pmd = pmdp_get(pmdp);
	ptl = pmd_present(pmd) && !pmd_trans_huge(pmd) && !pmd_bad(pmd) ?
	      pte_lockptr(mm, pmd) : NULL;
	if (!ptl) {
		spin_unlock(*pml);
		return NULL;
	}
	spin_lock(ptl);
	return ptl;
}

/* Clear the pmd under both locks; the caller frees the table after
 * unlocking (6.6: pmdp_collapse_flush + pmdp_get_lockless_sync, a no-op
 * on 64-bit). */
static struct page *retract_clear_pmd(struct vm_area_struct *vma,
				      unsigned long addr, pmd_t *pmdp)
{
	struct mm_struct *mm = vma->vm_mm;
	pmd_t pgt_pmd = pmdp_collapse_flush(vma, addr, pmdp);

	sched_point(RETRACT_AFTER_CLEAR);
	return pfn_to_page(mm->phys, pmd_pfn(pgt_pmd));
}

/*
 * Models mm/khugepaged.c: retract_page_tables() (Linux 6.6).  Called by
 * collapse_file() with the new huge page in the page cache (and locked,
 * in 6.6).  i_mmap_rwsem for read, no mmap lock and no VMA lock.  Per
 * VMA: skip one with an anon_vma (a written MAP_PRIVATE mapping), a
 * misaligned one and one whose pmd is not a table; take the pmd lock and
 * the PTE lock; repeat the anon_vma check under them (the knob
 * retract_recheck off skips this); clear the pmd; unlock; pte_free_defer.
 * Nothing is retried: a VMA skipped keeps its PTE table (6.6 leaves it to
 * a later collapse_pte_mapped_thp()).
 */
void retract_page_tables_66(struct address_space *mapping, unsigned long pgoff)
{
	struct vm_area_struct *vma;

	i_mmap_lock_read(mapping);
	list_for_each_entry(vma, &mapping->i_mmap, shared) {
		struct mm_struct *mm = vma->vm_mm;
		struct page *table = NULL;
		spinlock_t *pml, *ptl;
		unsigned long addr;
		pmd_t *pmdp;

		if (vma_anon_vma(vma))
			continue;
		addr = retract_addr(vma, pgoff);
		if (!addr || find_pmd_or_thp_or_none(mm, addr, &pmdp) !=
			     SCAN_SUCCEED)
			continue;
		sched_point(RETRACT_BEFORE_LOCK);
		ptl = pmd_and_pte_lock(mm, pmdp, &pml);
		if (!ptl)
			continue;
		/*
		 * The mmap lock is not held: a UFFDIO_COPY may have given the
		 * VMA an anon_vma and an anonymous PTE in this table since
		 * the check above.  It installs that PTE under ptl, so the
		 * check repeated here sees its anon_vma.
		 */
		if (!mm_knobs(mm)->retract_recheck || !vma_anon_vma(vma))
			table = retract_clear_pmd(vma, addr, pmdp);
		spin_unlock(ptl);
		spin_unlock(pml);
		if (table)
			pte_free_defer(mm, table);
	}
	i_mmap_unlock_read(mapping);
}

/* ---- collapse_pte_mapped_thp ----------------------------------------- */

/* The huge page caching the pmd range at haddr, referenced and locked;
 * NULL with *result set otherwise. */
static struct page *lock_file_thp(struct vm_area_struct *vma,
				  unsigned long haddr, int *result)
{
	struct mm_struct *mm = vma->vm_mm;
	struct address_space *mapping = &vma->vm_file->mapping;
	unsigned long pgoff = vma->vm_pgoff +
			      ((haddr - vma->vm_start) >> mm->geo.page_shift);
	struct page *page = NULL;

	spin_lock(&mapping->i_pages_lock);
	if (pgoff < mapping->size)
		page = mapping->i_pages[pgoff];
	if (page)
		get_page(page);
	spin_unlock(&mapping->i_pages_lock);
	if (!page) {
		*result = SCAN_PAGE_NULL;
		return NULL;
	}
	if (compound_head(page) != page ||
	    compound_order(page) != HPAGE_PMD_ORDER(mm)) {
		*result = SCAN_PAGE_COMPOUND;
	} else if (!trylock_page(page)) {
		*result = SCAN_PAGE_LOCK;
	} else {
		return page;
	}
	put_page(page);
	return NULL;
}

/* Step 1 and 2 of collapse_pte_mapped_thp(): check that every present PTE
 * maps the matching subpage of hpage; with clear, also clear them, adding
 * to *nr the PTEs cleared.  false (result set) at the first that does not
 * match. */
static bool scan_ptes(struct vm_area_struct *vma, unsigned long haddr,
		      pte_t *start_pte, struct page *hpage, bool clear,
		      long *nr, int *result)
{
	struct mm_struct *mm = vma->vm_mm;

	for (unsigned long i = 0; i < HPAGE_PMD_NR(mm); i++) {
		unsigned long addr = haddr + i * PAGE_SIZE_MM(mm);
		pte_t pte = ptep_get(start_pte + i);

		if (pte_none(pte))
			continue;
		/* A COW copy or a UFFDIO_COPY page is not a subpage. */
		if (!pte_present(pte) || pte_special(pte) ||
		    pte_pfn(pte) != page_to_pfn(hpage) + i) {
			*result = pte_present(pte) ? SCAN_FAIL :
						     SCAN_PTE_NON_PRESENT;
			return false;
		}
		if (!clear)
			continue;
		/* Must clear: the table is freed below (6.1 did not). */
		ptep_clear(mm, addr, start_pte + i);
		page_remove_rmap(hpage + i, vma);
		(*nr)++;
	}
	return true;
}

/* Drop the references of nr PTEs cleared (step 3). */
static void put_cleared(struct mm_struct *mm, struct page *hpage, long nr)
{
	for (long i = 0; i < nr; i++)
		put_page(hpage);
	add_mm_counter(mm, MM_FILEPAGES, -nr);
}

/*
 * Models mm/khugepaged.c: collapse_pte_mapped_thp() (Linux 6.6) with
 * install_pmd false (khugepaged's call from khugepaged_scan_mm_slot()):
 * the page cache holds a huge page that this mm maps with PTEs; if every
 * PTE of the range maps the matching subpage, clear them and retract the
 * table, so the range can be faulted in huge.  Caller holds mmap_lock for
 * read.  Steps: lock the huge page; check the PTEs under the PTE lock;
 * clear them under it (with the pmd lock taken first for a private VMA,
 * whose UFFDIO_COPY needs no page lock); drop the mappings' references;
 * clear the pmd under both locks; pte_free_defer.  Simplified: the huge
 * page lock is a trylock (6.6 waits for it); no mmu notifier.
 */
int collapse_pte_mapped_thp(struct mm_struct *mm, unsigned long addr)
{
	unsigned long haddr = addr & ~(HPAGE_PMD_SIZE(mm) - 1);
	struct vm_area_struct *vma = vma_lookup(mm, haddr);
	spinlock_t *pml = NULL, *ptl = NULL;
	struct page *hpage, *table;
	pte_t *start_pte;
	pmd_t *pmdp;
	long nr = 0;
	int result;

	mmap_assert_locked(mm);
	if (!vma || !vma->vm_file || haddr < vma->vm_start ||
	    vma->vm_end - haddr < HPAGE_PMD_SIZE(mm))
		return SCAN_VMA_CHECK;
	result = find_pmd_or_thp_or_none(mm, haddr, &pmdp);
	if (result == SCAN_PMD_MAPPED)
		return result;
	hpage = lock_file_thp(vma, haddr, &result);
	if (!hpage)
		return result;
	result = find_pmd_or_thp_or_none(mm, haddr, &pmdp);
	if (result == SCAN_PMD_NONE)
		result = SCAN_SUCCEED;	/* the table is gone already */
	if (result != SCAN_SUCCEED || pmd_none(pmdp_get(pmdp)))
		goto drop_page;

	/* step 1: every mapped PTE is the right subpage */
	result = SCAN_FAIL;
	start_pte = pte_offset_map_lock(mm, pmdp, haddr, &ptl);
	if (!start_pte)
		goto drop_page;
	if (!scan_ptes(vma, haddr, start_pte, hpage, false, &nr, &result)) {
		pte_unmap_unlock(start_pte, ptl);
		goto drop_page;
	}
	pte_unmap_unlock(start_pte, ptl);

	/* step 2: clear them; the pmd lock first where a UFFDIO_COPY could
	 * add a PTE between step 2 and step 4 */
	if (!(vma->vm_flags & VM_SHARED)) {
		ptl = pmd_and_pte_lock(mm, pmdp, &pml);
		start_pte = ptl ? pte_offset_kernel(mm, pmdp_get(pmdp), haddr) :
				  NULL;
	} else {
		start_pte = pte_offset_map_lock(mm, pmdp, haddr, &ptl);
	}
	if (!start_pte)
		goto drop_page;
	if (!scan_ptes(vma, haddr, start_pte, hpage, true, &nr, &result)) {
		spin_unlock(ptl);
		if (pml)
			spin_unlock(pml);
		if (nr)
			flush_tlb_range(vma, haddr, haddr + HPAGE_PMD_SIZE(mm));
		put_cleared(mm, hpage, nr);
		goto drop_page;
	}
	if (!pml)
		spin_unlock(ptl);

	/* step 3: the mappings' references and counters */
	put_cleared(mm, hpage, nr);

	/* step 4: remove the empty table */
	if (!pml) {
		ptl = pmd_and_pte_lock(mm, pmdp, &pml);
		if (!ptl) {
			flush_tlb_range(vma, haddr, haddr + HPAGE_PMD_SIZE(mm));
			result = SCAN_SUCCEED;
			goto drop_page;
		}
	}
	table = retract_clear_pmd(vma, haddr, pmdp);
	spin_unlock(ptl);
	spin_unlock(pml);
	pte_free_defer(mm, table);
	result = SCAN_SUCCEED;
drop_page:
	unlock_page(hpage);
	put_page(hpage);
	return result;
}

/*
 * khugepaged_scan_mm_slot()'s follow-up when hpage_collapse_scan_file()
 * found the range already huge in the page cache (SCAN_PTE_MAPPED_HUGEPAGE):
 * collapse_pte_mapped_thp() under mmap_read_lock (6.6).  Under 6.1
 * locking the call runs under mmap_write_lock (6.1 retried it from
 * khugepaged_collapse_pte_mapped_thps() under mmap_write_trylock);
 * simplified: with the 6.6 body, which clears the PTEs it frees (6.1's did
 * not).
 */
int thpsim_collapse_pte_mapped_thp(thpsim_mm_t *mm, uint64_t addr)
{
	int result = thpsim__collapse_check(mm, "thpsim_collapse_pte_mapped_thp",
					    addr);
	bool v66;

	if (result)
		return result;
	v66 = mm_file_locking_66(mm);
	emit(.kind = THPSIM_EV_COLLAPSE_BEGIN, .addr = addr,
	     .what = "pte-mapped-thp", .val = addr + HPAGE_PMD_SIZE(mm));
	if (v66)
		mmap_read_lock(mm);
	else
		mmap_write_lock(mm);
	result = collapse_pte_mapped_thp(mm, addr);
	if (v66)
		mmap_read_unlock(mm);
	else
		mmap_write_unlock(mm);
	emit(.kind = THPSIM_EV_COLLAPSE_END, .addr = addr, .arg = result,
	     .what = thpsim_scan_result_name(result));
	return result;
}
