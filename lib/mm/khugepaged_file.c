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
unsigned long retract_addr(struct vm_area_struct *vma, unsigned long pgoff)
{
	struct mm_struct *mm = vma->vm_mm;
	unsigned long pages = (vma->vm_end - vma->vm_start) >> mm->geo.page_shift;
	unsigned long addr;

	if (pgoff < vma->vm_pgoff || pgoff - vma->vm_pgoff >= pages)
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
	struct page *hpage;		/* locked until the end */
	struct page **pages;		/* frozen small pages, NULL = hole */
	unsigned long done;		/* indices [0, done) hold hpage */
	struct tlbflush_unmap_batch ubc;
};

/*
 * One index of collapse_file()'s replacement loop (Linux 6.1): lock the
 * small page, unmap it (flush batched), freeze its count at "the cache's
 * reference and ours", and store the locked huge page in its place.  A
 * hole gets the huge page at once.  From here until the huge page is
 * unlocked, a fault at this index finds the huge page and sleeps on its
 * lock; a GUP-fast walker that still reaches the small page through a
 * stale PTE cannot take a reference on a frozen count.
 */
static int collapse_file_replace_one(struct file_collapse *fc,
				     unsigned long i)
{
	struct address_space *mapping = fc->mapping;
	unsigned long index = fc->start + i;
	struct page *page;

	spin_lock(&mapping->i_pages_lock);
	page = mapping->i_pages[index];
	if (!page) {
		mapping->i_pages[index] = fc->hpage + i;
		spin_unlock(&mapping->i_pages_lock);
		fc->pages[i] = NULL;
		return SCAN_SUCCEED;
	}
	if (compound_order(page)) {
		spin_unlock(&mapping->i_pages_lock);
		return SCAN_PTE_MAPPED_HUGEPAGE;
	}
	if (!trylock_page(page)) {
		spin_unlock(&mapping->i_pages_lock);
		return SCAN_PAGE_LOCK;
	}
	get_page(page);
	spin_unlock(&mapping->i_pages_lock);

	if (page_mapcount(page))
		try_to_unmap(mapping, page, index, TTU_BATCH_FLUSH, &fc->ubc);

	spin_lock(&mapping->i_pages_lock);
	/* The cache's reference and ours; a pin or a racing map is more. */
	if (page_mapcount(page) || !page_ref_freeze(page, 2)) {
		emit(.kind = THPSIM_EV_ISOLATE, .pfn2 = page_to_pfn(page),
		     .arg = 0, .val = (uint64_t)page_ref_count(page),
		     .val2 = (uint64_t)page_mapcount(page));
		spin_unlock(&mapping->i_pages_lock);
		unlock_page(page);
		put_page(page);
		return SCAN_PAGE_COUNT;
	}
	emit(.kind = THPSIM_EV_ISOLATE, .pfn2 = page_to_pfn(page), .arg = 1,
	     .val = 2, .val2 = 0);
	fc->pages[i] = page;
	mapping->i_pages[index] = fc->hpage + i;
	spin_unlock(&mapping->i_pages_lock);
	return SCAN_SUCCEED;
}

/*
 * Success (Linux 6.1, collapse_file after the loop): copy each frozen
 * page into its subpage (a hole stays zero: the huge page was allocated
 * zeroed), then let the small page go: out of the cache, count unfrozen
 * to our reference only, unlocked, dropped (freed).
 */
static void collapse_file_copy(struct file_collapse *fc)
{
	struct phys *p = fc->hpage->phys;
	size_t size = (size_t)1 << p->page_shift;

	for (unsigned long i = 0; i < fc->nr; i++) {
		struct page *src = fc->pages[i], *dst = fc->hpage + i;

		if (!src)
			continue;
		phys_bytes_copy(p, page_to_pfn(dst), page_to_pfn(src));
		if (i == 0 && thpsim__mutant("copy-flips-byte"))
			((unsigned char *)phys_bytes_map(p, page_to_pfn(dst)))[size - 1] ^= 0x01;
		emit(.kind = THPSIM_EV_COPY, .pfn2 = page_to_pfn(src),
		     .pfn = page_to_pfn(dst),
		     .arg = phys_bytes_equal(p, page_to_pfn(dst), page_to_pfn(src)));
		src->mapping = NULL;
		page_ref_unfreeze(src, 1);
		unlock_page(src);
		put_page(src);
	}
	for (unsigned long i = 0; i < fc->nr; i++)
		fc->mapping->nrpages += !fc->pages[i];	/* holes filled */
	/* One reference per cache index (the allocation's is the first). */
	page_ref_add_unless(fc->hpage, (int)fc->nr - 1, 0);
	SetPageUptodate(fc->hpage);
}

/*
 * Failure (Linux 6.1, collapse_file's rollback): every index that holds
 * the huge page gets its small page back (a hole becomes a hole again),
 * its count unfrozen to the cache's and ours, then unlocked and ours
 * dropped; the huge page leaves the cache and is freed.
 */
static void collapse_file_rollback(struct file_collapse *fc)
{
	struct address_space *mapping = fc->mapping;

	spin_lock(&mapping->i_pages_lock);
	for (unsigned long i = 0; i < fc->done; i++) {
		struct page *page = fc->pages[i];

		mapping->i_pages[fc->start + i] = page;
		if (page)
			page_ref_unfreeze(page, 2);
	}
	spin_unlock(&mapping->i_pages_lock);
	for (unsigned long i = 0; i < fc->done; i++) {
		if (!fc->pages[i])
			continue;
		unlock_page(fc->pages[i]);
		put_page(fc->pages[i]);
	}
}

static void hpage_set_mapping(struct file_collapse *fc, void *mapping)
{
	for (unsigned long i = 0; i < fc->nr; i++) {
		fc->hpage[i].mapping = mapping;
		fc->hpage[i].index = fc->start + i;
	}
}

/*
 * Models mm/khugepaged.c: collapse_file() (Linux 6.1) for shmem, then
 * retract_page_tables().  As the kernel: the new huge page is locked and
 * not uptodate before it enters the cache; every small page is locked,
 * unmapped with a batched flush (TTU_BATCH_FLUSH, one try_to_unmap_flush()
 * after the loop), frozen at its expected count, and replaced in the
 * cache by the huge page, so neither a fault (it must lock the page it
 * maps) nor GUP-fast (it cannot grab a frozen page) can reach a small
 * page once its count was checked.  The huge page stays locked through
 * retract_page_tables(), so a fault waits until the range is retracted.
 * Simplified: holes become zero subpages (no shmem read-in, no swap, no
 * shmem_charge), no LRU isolation (the frozen count is the cache's
 * reference plus ours, not 3), no xarray multi-index entry (the subpages
 * fill the cache slots), no mmu notifiers.  Called with no lock held.
 */
static int collapse_file(struct mm_struct *mm, struct thpsim_file *file,
			 unsigned long start)
{
	struct page *pages[THPSIM_ENTRIES_MAX];
	struct file_collapse fc = {
		.mapping = &file->mapping, .start = start,
		.nr = HPAGE_PMD_NR(mm), .pages = pages,
	};
	int result = SCAN_SUCCEED;
	unsigned long nr_none = 0;

	fc.hpage = alloc_pages(file->phys, THPSIM_ALLOC_HUGE, HPAGE_PMD_ORDER(mm));
	if (!fc.hpage)
		return SCAN_ALLOC_HUGE_PAGE_FAIL;
	trylock_page(fc.hpage);		/* not yet visible: cannot fail */
	hpage_set_mapping(&fc, fc.mapping);

	for (; fc.done < fc.nr; fc.done++) {
		result = collapse_file_replace_one(&fc, fc.done);
		if (result != SCAN_SUCCEED)
			break;
		nr_none += !fc.pages[fc.done];
	}
	if (result == SCAN_SUCCEED && nr_none == fc.nr)
		result = SCAN_EXCEED_NONE_PTE;	/* kernel: SCAN_TRUNCATED */
	/* Flush now, before the copy; on failure too, "to clear the state". */
	try_to_unmap_flush(&fc.ubc);

	if (result != SCAN_SUCCEED) {
		collapse_file_rollback(&fc);
		hpage_set_mapping(&fc, NULL);
		unlock_page(fc.hpage);
		put_page(fc.hpage);
		return result;
	}
	collapse_file_copy(&fc);
	sched_point(COLLAPSE_BEFORE_RETRACT);
	/* Remove the PTE tables, so the range can be faulted as huge. */
	if (mm_file_locking_66(mm)) {
		retract_page_tables_66(fc.mapping, start);	/* 6.6 */
		result = SCAN_SUCCEED;
	} else {
		result = retract_page_tables(fc.mapping, start);
	}
	unlock_page(fc.hpage);
	return result;
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
