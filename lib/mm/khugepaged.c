/*
 * mm/khugepaged.c - anonymous THP collapse (Linux 6.1 collapse_huge_page)
 * with the fix strategy's hooks at their points.
 *
 * The race (docs/KERNEL-NOTES.md sections 2.1 and 3.4): collapse unhooks the
 * PTE table (pmdp_collapse_flush), checks that no page of it has an extra
 * reference (__collapse_huge_page_isolate), copies the pages into a huge
 * page, clears the old table and reuses it as the huge pmd's deposit.  A
 * GUP-fast walker that read the pmd before the unhook is still inside the
 * old table (see gup_pte_range()): it may pin a page after the isolate
 * check (S4, stale pin), read the table after it was deposited and its
 * radix slots overwritten (S3), after a split at another address refilled
 * it (S5), or after a zap freed it (S1).  What stops it, per profile and
 * strategy: the flush IPI (x86), the sync IPI (ipi-sync), a fresh deposit
 * with the old table freed through mmu_gather (fresh-table), and the
 * walker's own pmd recheck.
 *
 * khugepaged policies (see each function): collapse runs as khugepaged
 * (the kernel's cc->is_khugepaged), with the 6.1 default tunables (see
 * khugepaged_max_ptes_none()); the scan checks every PTE under the PTE
 * lock before anything is flushed, and the isolate checks most of it
 * again after the flush.  Simplified: no swap-in, no zero page, no uffd,
 * no compound (PTE-mapped THP) pages, no LRU isolation, no NUMA node
 * choice, no memcg, no mmu notifiers.
 */
#include <string.h>

#include "mm/internal.h"

static const char *const scan_result_names[] = {
#define SCAN_NAME(name, doc) "SCAN_" #name,
	THPSIM_SCAN_RESULTS(SCAN_NAME)
#undef SCAN_NAME
};

static const char *const scan_result_docs[] = {
#define SCAN_DOC(name, doc) doc,
	THPSIM_SCAN_RESULTS(SCAN_DOC)
#undef SCAN_DOC
};

const char *thpsim_scan_result_name(int result)
{
	return result >= 0 && result < THPSIM_SCAN__NR ?
	       scan_result_names[result] : "?";
}

const char *thpsim_scan_result_doc(int result)
{
	return result >= 0 && result < THPSIM_SCAN__NR ?
	       scan_result_docs[result] : "";
}

/* Models mm/khugepaged.c: hugepage_vma_revalidate() (Linux 6.1): the VMA
 * is anonymous and covers the whole pmd range.  Caller holds mmap_lock. */
static int hugepage_vma_revalidate(struct mm_struct *mm, unsigned long address,
				   struct vm_area_struct **vmap)
{
	struct vm_area_struct *vma = vma_lookup(mm, address);

	if (!vma)
		return SCAN_VMA_NULL;
	if (!vma_is_anonymous(vma) || !vma->anon_vma)
		return SCAN_VMA_CHECK;
	if (address < vma->vm_start ||
	    vma->vm_end - address < HPAGE_PMD_SIZE(mm))
		return SCAN_ADDRESS_RANGE;
	*vmap = vma;
	return SCAN_SUCCEED;
}

/* Models mm/khugepaged.c: find_pmd_or_thp_or_none() (Linux 6.1). */
int find_pmd_or_thp_or_none(struct mm_struct *mm, unsigned long address,
			    pmd_t **pmdp)
{
	pmd_t pmde;

	*pmdp = walk_to_pmd(mm, address, false);
	if (!*pmdp)
		return SCAN_PMD_NULL;
	pmde = pmdp_get(*pmdp);
	if (pmd_none(pmde))
		return SCAN_PMD_NONE;
	if (pmd_trans_huge(pmde))
		return SCAN_PMD_MAPPED;
	if (pmd_bad(pmde))
		return SCAN_PMD_NULL;
	return SCAN_SUCCEED;
}

/* Models mm/khugepaged.c: check_pmd_still_valid() (Linux 6.1). */
static int check_pmd_still_valid(struct mm_struct *mm, unsigned long address,
				 pmd_t *pmd)
{
	pmd_t *new_pmd;
	int result = find_pmd_or_thp_or_none(mm, address, &new_pmd);

	if (result != SCAN_SUCCEED)
		return result;
	return new_pmd == pmd ? SCAN_SUCCEED : SCAN_FAIL;
}

/* Models mm/khugepaged.c: alloc_charge_hpage() (Linux 6.1).  Simplified:
 * no memcg charge; the allocation (kind HUGE) may be injected to fail. */
static int alloc_charge_hpage(struct mm_struct *mm, struct page **hpage)
{
	*hpage = alloc_pages(mm->phys, THPSIM_ALLOC_HUGE, HPAGE_PMD_ORDER(mm));
	return *hpage ? SCAN_SUCCEED : SCAN_ALLOC_HUGE_PAGE_FAIL;
}

/*
 * The khugepaged sysfs tunables at their Linux 6.1 defaults
 * (khugepaged_init()): max_ptes_none HPAGE_PMD_NR - 1, max_ptes_swap
 * HPAGE_PMD_NR / 8, max_ptes_shared HPAGE_PMD_NR / 2.  Not settable here:
 * a user who lowers max_ptes_none in sysfs would see sparse ranges refused
 * (SCAN_EXCEED_NONE_PTE) that collapse here.  MADV_COLLAPSE (which
 * ignores the limits and the referenced check) is not modelled.
 */
static unsigned khugepaged_max_ptes_none(struct mm_struct *mm)
{
	return (unsigned)HPAGE_PMD_NR(mm) - 1;
}

static unsigned khugepaged_max_ptes_swap(struct mm_struct *mm)
{
	return (unsigned)HPAGE_PMD_NR(mm) / 8;
}

static unsigned khugepaged_max_ptes_shared(struct mm_struct *mm)
{
	return (unsigned)HPAGE_PMD_NR(mm) / 2;
}

/* What the scan and the isolate count over one PTE table (the kernel's
 * locals of the same names). */
struct collapse_counts {
	unsigned none_or_zero;
	unsigned unmapped;		/* swap entries (scan only) */
	unsigned shared;		/* pages mapped more than once */
	unsigned referenced;		/* young PTEs or PG_referenced */
	bool writable;
};

/* A page of a compound (huge) page: PTE-mapped THPs are not collapsed
 * here (the kernel collapses them; a user would see them refused with
 * SCAN_PAGE_COMPOUND). */
static bool page_is_compound(struct page *page)
{
	return compound_head(page) != page || compound_order(page);
}

/* The referenced test of the scan and the isolate: pte_young() or
 * PG_referenced.  Simplified: no idle-page tracking (page_is_young), no
 * mmu_notifier_test_young (no secondary MMU). */
static bool collapse_pte_referenced(pte_t pteval, struct page *page)
{
	return pte_young(pteval) || PageReferenced(page);
}

/* ---- isolate ------------------------------------------------------------ */

/* Models mm/khugepaged.c: is_refcount_suitable() (Linux 6.1): no
 * reference beyond the mappings'.  No swap cache here. */
static bool is_refcount_suitable(struct page *page)
{
	return page_count(page) == page_mapcount(page);
}

/* Models mm/khugepaged.c: release_pte_pages() (Linux 6.1): unlock the
 * pages isolated so far, from the first PTE up to _pte. */
static void release_pte_pages(struct vm_area_struct *vma, pte_t *pte,
			      pte_t *_pte)
{
	for (; pte < _pte; pte++) {
		pte_t pteval = ptep_get(pte);
		struct page *page;

		if (!pte_present(pteval))
			continue;
		page = pfn_to_page(vma->vm_mm->phys, pte_pfn(pteval));
		if (page)
			unlock_page(page);
	}
}

/*
 * One PTE of the isolate: SCAN_SUCCEED with the page locked (or the PTE
 * none), or why not.  The checks of the scan again, in 6.1's order, now
 * with the table unhooked and the page lock taken.
 */
static int isolate_one(struct vm_area_struct *vma, pte_t pteval,
		       struct collapse_counts *cs)
{
	struct mm_struct *mm = vma->vm_mm;
	struct page *page;

	if (pte_none(pteval))
		return ++cs->none_or_zero <= khugepaged_max_ptes_none(mm) ?
		       SCAN_SUCCEED : SCAN_EXCEED_NONE_PTE;
	if (!pte_present(pteval))
		return SCAN_PTE_NON_PRESENT;
	page = pte_special(pteval) ? NULL :
	       pfn_to_page(mm->phys, pte_pfn(pteval));
	if (!page)
		return SCAN_PAGE_NULL;
	/* The kernel has VM_BUG_ON_PAGE(!PageAnon) here. */
	if (!PageAnon(page))
		return SCAN_PAGE_ANON;
	if (page_mapcount(page) > 1 &&
	    ++cs->shared > khugepaged_max_ptes_shared(mm))
		return SCAN_EXCEED_SHARED_PTE;
	if (page_is_compound(page))
		return SCAN_PAGE_COMPOUND;
	/* Taken between the scan and here (reclaim, migration): the scan
	 * saw it unlocked (scenario S6). */
	if (!trylock_page(page))
		return SCAN_PAGE_LOCK;
	/*
	 * The table is unhooked (pmdp_collapse_flush) and the mmap lock is
	 * held for write, so no new reference can appear here except from a
	 * GUP-fast walker still inside the table: see gup_pte_range(),
	 * which grabs first and rechecks the pmd after.
	 */
	if (!is_refcount_suitable(page)) {
		unlock_page(page);
		return SCAN_PAGE_COUNT;
	}
	if (collapse_pte_referenced(pteval, page))
		cs->referenced++;
	cs->writable |= pte_write(pteval);
	return SCAN_SUCCEED;
}

/*
 * Models mm/khugepaged.c: __collapse_huge_page_isolate() (Linux 6.1).
 * Caller holds the PTL of the (unhooked) table.  On failure every page
 * locked here is unlocked again.  Simplified: no isolate_lru_page() (no
 * LRU: SCAN_DEL_PAGE_LRU cannot happen).
 */
static int __collapse_huge_page_isolate(struct vm_area_struct *vma,
					unsigned long address, pte_t *pte)
{
	struct mm_struct *mm = vma->vm_mm;
	struct collapse_counts cs = { 0 };
	int result = SCAN_FAIL;
	pte_t *_pte = pte;

	for (; _pte < pte + HPAGE_PMD_NR(mm);
	     _pte++, address += PAGE_SIZE_MM(mm)) {
		pte_t pteval = ptep_get(_pte);
		struct page *page = pfn_to_page(mm->phys, pte_pfn(pteval));

		result = isolate_one(vma, pteval, &cs);
		if (pte_present(pteval) && page)
			emit(.kind = THPSIM_EV_ISOLATE, .pfn2 = page_to_pfn(page),
			     .addr = address, .arg = result == SCAN_SUCCEED,
			     .val = (uint64_t)page_count(page),
			     .val2 = (uint64_t)page_mapcount(page));
		if (result != SCAN_SUCCEED)
			goto out;
	}
	if (!cs.writable)
		result = SCAN_PAGE_RO;
	else if (!cs.referenced)
		result = SCAN_LACK_REFERENCED_PAGE;
	if (result == SCAN_SUCCEED)
		return result;
out:
	release_pte_pages(vma, pte, _pte);
	return result;
}

/* ---- copy ---------------------------------------------------------------- */

/* copy_user_highpage(), reported with whether the bytes came out equal. */
static void collapse_copy_one(struct mm_struct *mm, struct page *dst,
			      struct page *src, unsigned long address)
{
	struct phys *p = dst->phys;
	size_t size = PAGE_SIZE_MM(mm);

	phys_bytes_copy(p, page_to_pfn(dst), page_to_pfn(src));
	if (!(address & (HPAGE_PMD_SIZE(mm) - 1)) &&
	    thpsim__mutant("copy-flips-byte"))
		((unsigned char *)phys_bytes_map(p, page_to_pfn(dst)))[size - 1] ^= 0x01;
	emit(.kind = THPSIM_EV_COPY, .pfn2 = page_to_pfn(src),
	     .pfn = page_to_pfn(dst), .addr = address,
	     .arg = phys_bytes_equal(p, page_to_pfn(dst), page_to_pfn(src)));
}

/*
 * Models mm/khugepaged.c: __collapse_huge_page_copy() (Linux 6.1): each
 * page is copied into its subpage, then, under the PTL, its PTE cleared
 * and its rmap dropped, then the mapping's reference put
 * (free_page_and_swap_cache): a page nobody pinned is freed here.  A none
 * PTE leaves its subpage zero (alloc_pages zeroes).  Pages are unlocked
 * before the put (release_pte_page).
 */
static void __collapse_huge_page_copy(pte_t *pte, struct page *hpage,
				      struct vm_area_struct *vma,
				      unsigned long address, spinlock_t *ptl)
{
	struct mm_struct *mm = vma->vm_mm;

	for (unsigned long i = 0; i < HPAGE_PMD_NR(mm);
	     i++, address += PAGE_SIZE_MM(mm)) {
		pte_t pteval = ptep_get(pte + i);
		struct page *src;

		if (pte_none(pteval)) {
			add_mm_counter(mm, MM_ANONPAGES, 1);
			continue;
		}
		src = pfn_to_page(mm->phys, pte_pfn(pteval));
		collapse_copy_one(mm, hpage + i, src, address);
		unlock_page(src);
		spin_lock(ptl);
		ptep_clear(mm, address, pte + i);
		page_remove_rmap(src, vma);
		spin_unlock(ptl);
		put_page(src);
	}
}

/* ---- collapse_huge_page ------------------------------------------------- */

/*
 * The isolate failed: put the SAME old table back at the same pmd (the
 * comment in the kernel: set_pmd_at() is only for huge pmds).  A walker
 * that read the pmd before the flush rechecks it equal (scenario S6:
 * benign ABA, the mapping never changed).
 */
static void collapse_restore_old_table(struct mm_struct *mm, pmd_t *pmd,
				       pmd_t _pmd, spinlock_t *pmd_ptl)
{
	struct page *table = pfn_to_page(mm->phys, pmd_pfn(_pmd));

	spin_lock(pmd_ptl);
	BUG_ON(!pmd_none(pmdp_get(pmd)));
	pmd_populate(mm, pmd, table);
	spin_unlock(pmd_ptl);
}

/* mk_huge_pmd + pmd_mkdirty + maybe_pmd_mkwrite. */
static pmd_t collapse_mk_huge_pmd(struct page *hpage,
				  struct vm_area_struct *vma)
{
	pmd_t _pmd = pmd_mkdirty(mk_huge_pmd(page_to_pfn(hpage),
					     vma->vm_page_prot));

	return vma->vm_flags & VM_WRITE ? pmd_mkwrite(_pmd) : _pmd;
}

/*
 * Install the huge pmd over the strategy's deposit table.  Caller holds
 * no spinlock; the pmd lock is taken here.
 */
static void collapse_install(thpsim_strategy_ctx_t *ctx, struct page *hpage,
			     pmd_t *pmd, spinlock_t *pmd_ptl)
{
	struct mm_struct *mm = ctx->mm;
	pmd_t _pmd = collapse_mk_huge_pmd(hpage, ctx->vma);
	struct page *pgtable;

	/* PageUptodate's smp_wmb(): the copy before set_pmd_at(). */
	SetPageUptodate(hpage);
	atomic_thread_fence(memory_order_release);
	spin_lock(pmd_ptl);
	BUG_ON(!pmd_none(pmdp_get(pmd)));
	page_add_new_anon_rmap(hpage, ctx->vma, ctx->address);
	pgtable = strategy_collapse_deposit_table(ctx);
	BUG_ON(!pgtable);
	if (pgtable == ctx->prealloc)
		ctx->prealloc = NULL;
	pgtable_trans_huge_deposit(mm, pmd, pgtable);
	set_pmd_at(mm, ctx->address, pmd, _pmd);
	spin_unlock(pmd_ptl);
}

/* Steps 3-6: relock for write and find the pmd again.  Returns with
 * mmap_lock held for write on success, with no lock held on failure. */
static int collapse_lock_and_revalidate(struct mm_struct *mm,
					unsigned long address,
					struct vm_area_struct **vma,
					pmd_t **pmd)
{
	int result;

	mmap_read_lock(mm);
	result = hugepage_vma_revalidate(mm, address, vma);
	if (result == SCAN_SUCCEED)
		result = find_pmd_or_thp_or_none(mm, address, pmd);
	mmap_read_unlock(mm);
	if (result != SCAN_SUCCEED)
		return result;
	/*
	 * Prevent all access to the page tables, except GUP-fast (handled by
	 * the flush below and the strategy) and what the anon_vma lock and
	 * the page locks cover.
	 */
	mmap_write_lock(mm);
	result = hugepage_vma_revalidate(mm, address, vma);
	if (result == SCAN_SUCCEED)
		result = check_pmd_still_valid(mm, address, *pmd);
	if (result != SCAN_SUCCEED)
		mmap_write_unlock(mm);
	return result;
}

/*
 * Models mm/khugepaged.c: collapse_huge_page() (Linux 6.1), steps 1-24 of
 * docs/KERNEL-NOTES.md section 2.1 with the strategy's hooks.  Called with
 * mmap_lock held for read (by the scan); returns with it dropped.
 */
static int collapse_huge_page(struct mm_struct *mm, unsigned long address)
{
	thpsim_strategy_ctx_t ctx = { .mm = mm, .address = address,
				      .knobs = mm_knobs(mm),
				      .result = SCAN_FAIL };
	spinlock_t *pmd_ptl, *pte_ptl;
	struct vm_area_struct *vma;
	struct page *hpage = NULL;
	pmd_t *pmd, _pmd;
	pte_t *pte;
	int result;

	/* Step 1: the allocation may sleep or compact: not under the lock. */
	mmap_read_unlock(mm);
	result = alloc_charge_hpage(mm, &hpage);
	if (result != SCAN_SUCCEED)
		goto out_nolock;
	result = strategy_collapse_prepare(&ctx);
	if (result != SCAN_SUCCEED)
		goto out_nolock;
	result = collapse_lock_and_revalidate(mm, address, &vma, &pmd);
	if (result != SCAN_SUCCEED)
		goto out_nolock;
	ctx.vma = vma;
	ctx.pmdp = pmd;
	/* Step 7: rmap walkers (split, migration) stay away from the pmd. */
	anon_vma_lock_write(vma->anon_vma);
	_pmd = pmdp_get(pmd);
	pte = pte_offset_map(mm, _pmd, address);
	pte_ptl = pte_lockptr(mm, _pmd);
	ctx.old_table = pfn_to_page(mm->phys, pmd_pfn(_pmd));
	/* Steps 10-12: unhook the table; a GUP-fast walker that read the
	 * pmd before may still be inside it (see gup_pte_range()). */
	pmd_ptl = pmd_lock(mm, pmd);
	_pmd = pmdp_collapse_flush(vma, address, pmd);
	spin_unlock(pmd_ptl);
	sched_point(COLLAPSE_AFTER_FLUSH);
	/* Step 13: the fix point (ipi-sync: tlb_remove_table_sync_one). */
	strategy_collapse_after_flush(&ctx);
	spin_lock(pte_ptl);
	result = __collapse_huge_page_isolate(vma, address, pte);
	spin_unlock(pte_ptl);
	sched_point(COLLAPSE_AFTER_ISOLATE);
	if (result != SCAN_SUCCEED) {
		pte_unmap(pte);
		collapse_restore_old_table(mm, pmd, _pmd, pmd_ptl);
		anon_vma_unlock_write(vma->anon_vma);
		goto out_up_write;
	}
	strategy_collapse_after_isolate(&ctx);
	/* Step 16: the pages are locked; rmap cannot reach them. */
	anon_vma_unlock_write(vma->anon_vma);
	__collapse_huge_page_copy(pte, hpage, vma, address, pte_ptl);
	pte_unmap(pte);
	sched_point(COLLAPSE_AFTER_COPY);
	strategy_collapse_dispose_old_table(&ctx);
	/* Steps 19-23: deposit (the old table, unless the strategy says
	 * otherwise) and install the huge pmd. */
	collapse_install(&ctx, hpage, pmd, pmd_ptl);
	sched_point(COLLAPSE_AFTER_DEPOSIT);
	strategy_collapse_after_deposit(&ctx);
	hpage = NULL;
	result = SCAN_SUCCEED;
out_up_write:
	mmap_write_unlock(mm);
out_nolock:
	ctx.result = result;
	strategy_collapse_finish(&ctx);
	if (hpage)
		put_page(hpage);
	return result;
}

/*
 * One PTE of the scan (the loop body of hpage_collapse_scan_pmd(), Linux
 * 6.1): SCAN_SUCCEED to go on, or why the range is refused.  Caller holds
 * the PTE lock.  Nothing is locked or flushed yet: a page that fails here
 * costs no flush.
 */
static int scan_one(struct vm_area_struct *vma, pte_t pteval,
		    struct collapse_counts *cs)
{
	struct mm_struct *mm = vma->vm_mm;
	struct page *page;

	/* is_swap_pte().  The model makes none: a non-present entry here is
	 * refused later by the isolate (no swap-in is modelled, where the
	 * kernel's __collapse_huge_page_swapin() would fault it back). */
	if (!pte_none(pteval) && !pte_present(pteval))
		return ++cs->unmapped <= khugepaged_max_ptes_swap(mm) ?
		       SCAN_SUCCEED : SCAN_EXCEED_SWAP_PTE;
	if (pte_none(pteval))
		return ++cs->none_or_zero <= khugepaged_max_ptes_none(mm) ?
		       SCAN_SUCCEED : SCAN_EXCEED_NONE_PTE;
	cs->writable |= pte_write(pteval);
	page = pte_special(pteval) ? NULL :
	       pfn_to_page(mm->phys, pte_pfn(pteval));
	if (!page)
		return SCAN_PAGE_NULL;
	if (page_mapcount(page) > 1 &&
	    ++cs->shared > khugepaged_max_ptes_shared(mm))
		return SCAN_EXCEED_SHARED_PTE;
	if (page_is_compound(page))
		return SCAN_PAGE_COMPOUND;
	if (PageLocked(page))
		return SCAN_PAGE_LOCK;
	if (!PageAnon(page))
		return SCAN_PAGE_ANON;
	/* Any GUP (or other) pin: racy, the isolate checks again. */
	if (!is_refcount_suitable(page))
		return SCAN_PAGE_COUNT;
	if (collapse_pte_referenced(pteval, page))
		cs->referenced++;
	return SCAN_SUCCEED;
}

/* The verdict after a clean loop: a writable PTE, and enough referenced
 * pages (half of them when some are swapped out). */
static int scan_verdict(struct mm_struct *mm, const struct collapse_counts *cs)
{
	if (!cs->writable)
		return SCAN_PAGE_RO;
	if (!cs->referenced ||
	    (cs->unmapped && cs->referenced < HPAGE_PMD_NR(mm) / 2))
		return SCAN_LACK_REFERENCED_PAGE;
	return SCAN_SUCCEED;
}

/*
 * Models mm/khugepaged.c: hpage_collapse_scan_pmd() (Linux 6.1), for
 * khugepaged: every PTE is checked under the PTE lock (see scan_one()),
 * then, only if the range qualifies, collapse_huge_page() runs.  Between
 * the two the PTE lock and then the mmap lock are dropped, so what the
 * scan saw may change before the isolate checks it again (S6: a page
 * locked there).  Called with mmap_lock held for read; returns with it
 * dropped.  Simplified: the VMA is checked here (the kernel's caller
 * khugepaged_scan_mm_slot() does it); no NUMA node bookkeeping.
 */
static int hpage_collapse_scan_pmd(struct mm_struct *mm, unsigned long address)
{
	struct collapse_counts cs = { 0 };
	struct vm_area_struct *vma;
	spinlock_t *ptl;
	pte_t *pte;
	pmd_t *pmd;
	int result = hugepage_vma_revalidate(mm, address, &vma);

	if (result == SCAN_SUCCEED)
		result = find_pmd_or_thp_or_none(mm, address, &pmd);
	if (result != SCAN_SUCCEED)
		goto out_unlock;
	pte = pte_offset_map_lock(mm, pmd, address, &ptl);
	if (!pte) {
		result = SCAN_PMD_NULL;
		goto out_unlock;
	}
	for (unsigned long i = 0; i < HPAGE_PMD_NR(mm); i++) {
		result = scan_one(vma, ptep_get(pte + i), &cs);
		if (result != SCAN_SUCCEED)
			break;
	}
	if (result == SCAN_SUCCEED)
		result = scan_verdict(mm, &cs);
	pte_unmap_unlock(pte, ptl);
	if (result != SCAN_SUCCEED)
		goto out_unlock;
	sched_point(COLLAPSE_AFTER_SCAN);
	return collapse_huge_page(mm, address);
out_unlock:
	mmap_read_unlock(mm);
	return result;
}

/* Arguments of the public collapse calls. */
int thpsim__collapse_check(struct mm_struct *mm, const char *fn, uint64_t addr)
{
	int err = thpsim__need_cpu(fn);

	if (err)
		return err;
	if (!mm)
		return thpsim__err(-THPSIM_EINVAL, "%s: mm is NULL", fn);
	if (addr & (HPAGE_PMD_SIZE(mm) - 1) || addr >= mm->task_size)
		return thpsim__err(-THPSIM_EINVAL,
				   "%s: 0x%llx is not a pmd-aligned address inside [0, 0x%lx) (pmd size 0x%lx)",
				   fn, (unsigned long long)addr, mm->task_size,
				   HPAGE_PMD_SIZE(mm));
	if (irqs_disabled())
		return thpsim__err(-THPSIM_EDEADLK,
				   "%s: interrupts are masked (collapse sleeps and sends IPIs)",
				   fn);
	return 0;
}

int thpsim_collapse_anon(thpsim_mm_t *mm, uint64_t addr)
{
	int result = thpsim__collapse_check(mm, "thpsim_collapse_anon", addr);

	if (result)
		return result;
	emit(.kind = THPSIM_EV_COLLAPSE_BEGIN, .addr = addr, .what = "anon",
	     .val = addr + HPAGE_PMD_SIZE(mm));
	mmap_read_lock(mm);
	result = hpage_collapse_scan_pmd(mm, (unsigned long)addr);
	emit(.kind = THPSIM_EV_COLLAPSE_END, .addr = addr, .arg = result,
	     .what = thpsim_scan_result_name(result));
	return result;
}
