/*
 * mm/khugepaged_file.c - shmem THP collapse (Linux 6.1 collapse_file,
 * simplified) and the retraction of the PTE tables that mapped the small
 * pages (retract_page_tables -> collapse_and_free_pmd).
 *
 * The race (scenario S2): retract unhooks a PTE table and, in 6.1 before
 * the fix, frees it at once with pte_free().  Nothing there is an RCU
 * free, so a GUP-fast walker that read the pmd just before is protected
 * only by the TLB flush (an IPI on x86) or by the fix: a sync IPI
 * (ipi-sync), an mmu_gather free (fresh-table) or, from 6.6, a free after
 * an RCU grace period (pte-free-defer), which also covers RCU-only walkers
 * that an IPI does not wait for (scenario S10).
 *
 * Split from khugepaged.c by concern (STYLE.md: one .c per kernel file,
 * split before 1000 lines).
 */
#include <string.h>

#include "mm/internal.h"

/* ---- rmap: unmapping the small pages ----------------------------------- */

/* Models mm/rmap.c: try_to_unmap_one() (Linux 6.1) for a small shmem page
 * mapped by PTE at addr in vma.  Simplified: no mlock, no mmu notifier. */
static void try_to_unmap_one(struct vm_area_struct *vma, struct page *page,
			     unsigned long addr)
{
	struct mm_struct *mm = vma->vm_mm;
	pmd_t *pmdp = walk_to_pmd(mm, addr, false);
	spinlock_t *ptl;
	pte_t *ptep, pte;

	if (!pmdp)
		return;
	ptep = pte_offset_map_lock(mm, pmdp, addr, &ptl);
	if (!ptep)
		return;
	pte = ptep_get(ptep);
	if (!pte_present(pte) || pte_pfn(pte) != page_to_pfn(page)) {
		pte_unmap_unlock(ptep, ptl);
		return;
	}
	ptep_clear(mm, addr, ptep);
	if (pte_dirty(pte))
		SetPageDirty(page);
	page_remove_rmap(page, vma);
	add_mm_counter(mm, MM_FILEPAGES, -1);
	pte_unmap_unlock(ptep, ptl);
	flush_tlb_range(vma, addr, addr + PAGE_SIZE_MM(mm));
	put_page(page);
}

static bool vma_maps_pgoff(struct vm_area_struct *vma, unsigned long pgoff,
			   unsigned page_shift)
{
	unsigned long pages = (vma->vm_end - vma->vm_start) >> page_shift;

	return pgoff >= vma->vm_pgoff && pgoff - vma->vm_pgoff < pages;
}

/* Models mm/rmap.c: try_to_unmap() -> rmap_walk_file() (Linux 6.1):
 * every PTE mapping page, in every VMA of the file.  Caller holds the
 * page lock. */
static void try_to_unmap(struct address_space *mapping, struct page *page,
			 unsigned long pgoff, unsigned page_shift)
{
	struct vm_area_struct *vma;

	i_mmap_lock_read(mapping);
	list_for_each_entry(vma, &mapping->i_mmap, shared) {
		if (!vma_maps_pgoff(vma, pgoff, page_shift))
			continue;
		try_to_unmap_one(vma, page, vma->vm_start +
				 ((pgoff - vma->vm_pgoff) << page_shift));
	}
	i_mmap_unlock_read(mapping);
}

/* ---- retract ---------------------------------------------------------- */

/*
 * Models mm/khugepaged.c: collapse_and_free_pmd() (Linux 6.1): the pmd is
 * cleared and the table disposed of by the strategy's retract hook
 * ("none": pmdp_collapse_flush then pte_free at once).  The comment in the
 * kernel: page-table spinlocks are useless here; the mmap lock and this
 * VMA's rmap locks cover every path to these entries "except for hardware
 * page table walks and lockless_pages_from_mm()" (see gup_pte_range()).
 */
void collapse_and_free_pmd(struct mm_struct *mm, struct vm_area_struct *vma,
			   unsigned long addr, pmd_t *pmdp)
{
	thpsim_strategy_ctx_t ctx = {
		.mm = mm, .vma = vma, .address = addr, .pmdp = pmdp,
		.knobs = mm_knobs(mm), .file = true, .result = SCAN_SUCCEED,
	};

	mmap_assert_write_locked(mm);
	lockdep_assert_held_write(&vma->vm_file->mapping.i_mmap_rwsem);
	ctx.old_table = pfn_to_page(mm->phys, pmd_pfn(pmdp_get(pmdp)));
	BUG_ON(!ctx.old_table);
	strategy_retract_clear_and_free(&ctx);
}

/* The pmd-aligned address of pgoff in vma, or 0 when the pmd range is not
 * wholly inside vma. */
static unsigned long retract_addr(struct vm_area_struct *vma,
				  unsigned long pgoff)
{
	struct mm_struct *mm = vma->vm_mm;
	unsigned long addr;

	if (!vma_maps_pgoff(vma, pgoff, mm->geo.page_shift))
		return 0;
	addr = vma->vm_start + ((pgoff - vma->vm_pgoff) << mm->geo.page_shift);
	if (addr & (HPAGE_PMD_SIZE(mm) - 1) ||
	    vma->vm_end - addr < HPAGE_PMD_SIZE(mm))
		return 0;
	return addr;
}

/* One VMA of retract_page_tables(): SCAN_SUCCEED, or
 * SCAN_PTE_MAPPED_HUGEPAGE when its mmap lock is busy. */
static int retract_one(struct vm_area_struct *vma, unsigned long addr)
{
	struct mm_struct *mm = vma->vm_mm;
	pmd_t *pmd;

	/* i_mmap_rwsem is held: the mmap lock nests outside it, so only a
	 * trylock (the kernel remembers the mm and retries later). */
	sched_point(RETRACT_BEFORE_LOCK);
	if (!mmap_write_trylock(mm))
		return SCAN_PTE_MAPPED_HUGEPAGE;
	if (!vma->anon_vma &&
	    find_pmd_or_thp_or_none(mm, addr, &pmd) == SCAN_SUCCEED)
		collapse_and_free_pmd(mm, vma, addr, pmd);
	mmap_write_unlock(mm);
	return SCAN_SUCCEED;
}

/*
 * Models mm/khugepaged.c: retract_page_tables() (Linux 6.1).  Simplified:
 * i_mmap is a list; the pmd is found after the mmap lock is taken (the
 * kernel looks before and rechecks under it); a busy mm is not retried.
 */
static int retract_page_tables(struct address_space *mapping,
			       unsigned long pgoff)
{
	struct vm_area_struct *vma;
	int result = SCAN_SUCCEED;

	i_mmap_lock_write(mapping);
	list_for_each_entry(vma, &mapping->i_mmap, shared) {
		unsigned long addr;

		/* A written MAP_PRIVATE VMA has anon pages: not ours. */
		if (vma->anon_vma)
			continue;
		addr = retract_addr(vma, pgoff);
		if (addr && retract_one(vma, addr) != SCAN_SUCCEED)
			result = SCAN_PTE_MAPPED_HUGEPAGE;
	}
	i_mmap_unlock_write(mapping);
	return result;
}

/* ---- collapse_file -------------------------------------------------------- */

struct file_collapse {
	struct address_space *mapping;
	unsigned long start;		/* first pgoff, pmd-aligned */
	unsigned long nr;		/* HPAGE_PMD_NR */
	unsigned page_shift;
	struct page **pages;		/* the small pages, NULL = hole */
	unsigned long nr_locked;	/* pages[0..nr_locked) locked + ref */
};

/* Take a reference and the lock of every cached small page. */
static int collapse_file_lock_pages(struct file_collapse *fc)
{
	unsigned long nr_none = 0;

	for (; fc->nr_locked < fc->nr; fc->nr_locked++) {
		unsigned long i = fc->nr_locked;
		struct page *page;

		spin_lock(&fc->mapping->i_pages_lock);
		page = fc->mapping->i_pages[fc->start + i];
		if (page)
			get_page(page);
		spin_unlock(&fc->mapping->i_pages_lock);
		fc->pages[i] = page;
		if (!page) {
			nr_none++;
			continue;
		}
		if (compound_order(page) || !trylock_page(page)) {
			int result = compound_order(page) ? SCAN_PAGE_COMPOUND :
							    SCAN_PAGE_LOCK;

			put_page(page);
			fc->pages[i] = NULL;
			return result;
		}
	}
	return nr_none < fc->nr ? SCAN_SUCCEED : SCAN_EXCEED_NONE_PTE;
}

/* Unmap every small page, then check nobody else holds one: the page
 * cache's reference and ours, no more (kernel: page_ref_freeze(page, 3)
 * with the isolation's reference). */
static int collapse_file_unmap(struct file_collapse *fc)
{
	for (unsigned long i = 0; i < fc->nr; i++) {
		struct page *page = fc->pages[i];

		if (!page)
			continue;
		try_to_unmap(fc->mapping, page, fc->start + i, fc->page_shift);
		emit(.kind = THPSIM_EV_ISOLATE, .pfn2 = page_to_pfn(page),
		     .arg = page_count(page) == 2,
		     .val = (uint64_t)page_count(page),
		     .val2 = (uint64_t)page_mapcount(page));
		if (page_count(page) != 2 || page_mapcount(page))
			return SCAN_PAGE_COUNT;
	}
	return SCAN_SUCCEED;
}

/* Copy into the subpages and make them the page cache's: the huge page
 * holds one reference per index; the small pages leave the cache. */
static void collapse_file_replace(struct file_collapse *fc,
				  struct page *hpage)
{
	size_t size = (size_t)1 << fc->page_shift;
	struct address_space *mapping = fc->mapping;

	for (unsigned long i = 0; i < fc->nr; i++) {
		struct page *src = fc->pages[i];

		if (src) {
			memcpy(page_address(hpage + i), page_address(src), size);
			emit(.kind = THPSIM_EV_COPY, .pfn2 = page_to_pfn(src),
			     .pfn = page_to_pfn(hpage + i),
			     .arg = !memcmp(page_address(hpage + i),
					    page_address(src), size));
		}
		hpage[i].mapping = mapping;
		hpage[i].index = fc->start + i;
	}
	page_ref_add_unless(hpage, (int)fc->nr - 1, 0);
	SetPageUptodate(hpage);
	spin_lock(&mapping->i_pages_lock);
	for (unsigned long i = 0; i < fc->nr; i++) {
		mapping->i_pages[fc->start + i] = hpage + i;
		if (fc->pages[i]) {
			fc->pages[i]->mapping = NULL;
			put_page(fc->pages[i]);	/* the page cache's */
		} else {
			mapping->nrpages++;
		}
	}
	spin_unlock(&mapping->i_pages_lock);
}

/* Unlock and drop our references (success or not). */
static void collapse_file_release(struct file_collapse *fc)
{
	for (unsigned long i = 0; i < fc->nr_locked; i++) {
		if (!fc->pages[i])
			continue;
		unlock_page(fc->pages[i]);
		put_page(fc->pages[i]);
	}
}

/*
 * Models mm/khugepaged.c: collapse_file() (Linux 6.1) for shmem, then
 * retract_page_tables().  Simplified: holes become zero subpages (no
 * shmem read-in, no swap), pages are unmapped with try_to_unmap() and
 * must then have no other reference, no xarray multi-index entry (the
 * huge page's subpages fill the cache slots), the small pages are freed
 * once the cache drops them.  A fault racing with the collapse could map
 * a small page again after its unmap (shmem faults here do not take the
 * page lock): not modelled.  Called with no lock held.
 */
static int collapse_file(struct mm_struct *mm, struct thpsim_file *file,
			 unsigned long start)
{
	struct page *pages[THPSIM_ENTRIES_MAX];
	struct file_collapse fc = {
		.mapping = &file->mapping, .start = start,
		.nr = HPAGE_PMD_NR(mm), .page_shift = mm->geo.page_shift,
		.pages = pages,
	};
	struct page *hpage;
	int result;

	hpage = alloc_pages(file->phys, THPSIM_ALLOC_HUGE, HPAGE_PMD_ORDER(mm));
	if (!hpage)
		return SCAN_ALLOC_HUGE_PAGE_FAIL;
	result = collapse_file_lock_pages(&fc);
	if (result == SCAN_SUCCEED)
		result = collapse_file_unmap(&fc);
	if (result == SCAN_SUCCEED)
		collapse_file_replace(&fc, hpage);
	collapse_file_release(&fc);
	if (result != SCAN_SUCCEED) {
		put_page(hpage);
		return result;
	}
	/* Remove the PTE tables, so the range can be faulted as huge. */
	if (mm_file_locking_66(mm)) {
		retract_page_tables_66(fc.mapping, start);	/* 6.6 */
		return SCAN_SUCCEED;
	}
	return retract_page_tables(fc.mapping, start);
}

int thpsim_collapse_file(thpsim_mm_t *mm, uint64_t addr)
{
	struct vm_area_struct *vma;
	struct thpsim_file *file = NULL;
	unsigned long pgoff = 0;
	int result = thpsim__collapse_check(mm, "thpsim_collapse_file", addr);

	if (result)
		return result;
	emit(.kind = THPSIM_EV_COLLAPSE_BEGIN, .addr = addr, .what = "file",
	     .val = addr + HPAGE_PMD_SIZE(mm));
	mmap_read_lock(mm);
	vma = vma_lookup(mm, addr);
	if (!vma)
		result = SCAN_VMA_NULL;
	else if (!vma->vm_file)
		result = SCAN_VMA_CHECK;
	else if (!retract_addr(vma, vma->vm_pgoff + ((addr - vma->vm_start) >>
						     mm->geo.page_shift)))
		result = SCAN_ADDRESS_RANGE;
	else
		result = SCAN_SUCCEED;
	if (result == SCAN_SUCCEED) {
		file = vma->vm_file;
		pgoff = vma->vm_pgoff +
			((addr - vma->vm_start) >> mm->geo.page_shift);
		if (pgoff & (HPAGE_PMD_NR(mm) - 1))
			result = SCAN_VMA_CHECK;	/* file offset unaligned */
	}
	mmap_read_unlock(mm);
	if (result == SCAN_SUCCEED)
		result = collapse_file(mm, file, pgoff);
	emit(.kind = THPSIM_EV_COLLAPSE_END, .addr = addr, .arg = result,
	     .what = thpsim_scan_result_name(result));
	return result;
}
