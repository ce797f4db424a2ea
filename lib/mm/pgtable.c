/*
 * mm/pgtable.c - page-table pages: allocation, population, freeing, and the
 * range teardown of free_pgtables().
 *
 * Life cycle of a table frame (page_pt_set_state, seen by the observer):
 *
 *	pt_alloc_one()        DETACHED   zeroed, ptl initialised
 *	pmd_/pxd_populate()   LIVE(addr) linked under the pmd lock
 *	(collapse, deposit:   DETACHED / DEPOSITED, later issues)
 *	pt_free()             FREED      poisoned, generation bumped
 *
 * A table is freed only after its parent entry was cleared and the TLB
 * flushed: on x86 that flush is the IPI a GUP-fast walker with IRQs off
 * holds up, which is what keeps the walker's table alive (see
 * flush_tlb_mm_range() and, later, gup_fast_pte_range()).
 */
#include "mm/internal.h"

/*
 * Models arch/x86/mm/pgtable.c: pte_alloc_one() and its siblings (Linux
 * 6.1).  Simplified: one function for every level; the split PTL is
 * initialised for every table (the kernel's ptlock_init() in the ctor).
 */
struct page *pt_alloc_one(struct mm_struct *mm, unsigned level)
{
	struct page *pt = alloc_pages(mm->phys, THPSIM_ALLOC_TABLE, 0);

	if (!pt)
		return NULL;
	SetPageTable(pt);
	pt->pt_level = (uint8_t)level;
	spin_lock_init(&pt->ptl, "ptl");
	mm_inc_nr_tables(mm, level);
	page_pt_set_state(pt, THPSIM_PT_DETACHED, 0);
	return pt;
}

/*
 * Models include/asm-generic/pgalloc.h: pte_free() (Linux 6.1).
 * Immediate: the frame is poisoned, its generation bumped and its state
 * FREED at once.  Whoever calls it must know no walker can still be inside
 * the table (the 6.1 file-collapse path, collapse_and_free_pmd(), is
 * exactly the caller that does not know: scenario S2).
 */
void pt_free(struct mm_struct *mm, struct page *table)
{
	emit(.kind = THPSIM_EV_TABLE_FREE, .pfn = page_to_pfn(table),
	     .level = table->pt_level,
	     .what = table->pt_level == 1 ? "pte_free" : "pxd_free");
	mm_dec_nr_tables(mm, table->pt_level);
	pt_free_page(table);
}

/*
 * The free itself, without the mm's table count (callers that defer the
 * free past the mm's lifetime, mmu_gather's RCU batch and pte_free_defer,
 * uncount when they unhook).
 */
void pt_free_page(struct page *table)
{
	sched_point(TABLE_FREE);
	put_page(table);
}

void pt_entry_event(struct mm_struct *mm, const void *entryp,
		    unsigned long addr, uint64_t old, uint64_t new)
{
	struct page *pt = virt_to_page(mm->phys, entryp);
	unsigned level;
	uintptr_t off;

	if (!pt)
		return;
	level = pt->pt_level;
	off = (uintptr_t)entryp - (uintptr_t)page_address(pt);
	if (addr == PT_ADDR_UNKNOWN)
		addr = page_pt_state(pt) == THPSIM_PT_LIVE ?
		       pt_entry_addr(mm, entryp) : 0;
	else if (level >= 1 && level <= mm->geo.levels)
		addr &= level_mask(mm, level);
	emit(.kind = THPSIM_EV_ENTRY_SET, .pfn = page_to_pfn(pt),
	     .idx = (int)(off / sizeof(uint64_t)), .level = (int)level,
	     .addr = addr, .val = old, .val2 = new,
	     .gen = page_generation(pt));
}

unsigned long pt_entry_addr(struct mm_struct *mm, const void *entryp)
{
	struct page *pt = virt_to_page(mm->phys, entryp);
	uintptr_t off;

	if (!pt || !PageTable(pt)) {
		thpsim__bug(__FILE__, __LINE__,
			    "entry %p is not inside a page table", entryp);
		return 0;
	}
	off = (uintptr_t)entryp - (uintptr_t)page_address(pt);
	return atomic_load(&pt->pt_addr) +
	       ((unsigned long)(off / sizeof(uint64_t)) << mm->shift[pt->pt_level]);
}

/*
 * Mark the table LIVE at the address its new parent entry covers, then
 * publish it.  The state goes first so that a walker which sees the entry
 * finds a LIVE table (the oracle checks exactly that pairing).
 */
static void pt_make_live(struct mm_struct *mm, const void *entryp,
			 struct page *table)
{
	lockdep_assert_held(&mm->page_table_lock);
	page_pt_set_state(table, THPSIM_PT_LIVE, pt_entry_addr(mm, entryp));
}

/* Models arch/x86/include/asm/pgalloc.h: pmd_populate() (Linux 6.1).
 * Caller holds the pmd lock. */
void pmd_populate(struct mm_struct *mm, pmd_t *pmdp, struct page *table)
{
	pt_make_live(mm, pmdp, table);
	set_pmd_at(mm, atomic_load(&table->pt_addr), pmdp,
		   pmd_mktable(page_to_pfn(table)));
}

/* Models arch/x86/include/asm/pgalloc.h: pud_populate() / p4d_populate()
 * / pgd_populate() (Linux 6.1).  Caller holds mm->page_table_lock. */
void pxd_populate(struct mm_struct *mm, pxd_t *pxdp, struct page *table)
{
	pt_make_live(mm, pxdp, table);
	set_pxd(mm, atomic_load(&table->pt_addr), pxdp,
		pxd_mktable(page_to_pfn(table)));
}

/*
 * Models mm/memory.c: pmd_install() (Linux 6.1).  The allocation happened
 * without locks, so a racing fault (or a collapse installing a huge pmd)
 * may have filled the pmd meanwhile: recheck under the pmd lock and hand
 * the spare table back to the caller to free.
 */
static void pmd_install(struct mm_struct *mm, pmd_t *pmdp, struct page **pte)
{
	spinlock_t *ptl = pmd_lock(mm, pmdp);

	if (pmd_none(pmdp_get(pmdp))) {
		pmd_populate(mm, pmdp, *pte);
		*pte = NULL;
	}
	spin_unlock(ptl);
}

/* Models mm/memory.c: __pte_alloc() (Linux 6.1). */
int __pte_alloc(struct mm_struct *mm, pmd_t *pmdp)
{
	struct page *new = pte_alloc_one(mm);

	if (!new)
		return -THPSIM_ENOFRAME;
	pmd_install(mm, pmdp, &new);
	if (new)
		pte_free(mm, new);
	return 0;
}

/*
 * Models mm/memory.c: __pud_alloc() / __pmd_alloc() / __p4d_alloc() (Linux
 * 6.1): a table of level for the empty upper entry at entryp.  Same race
 * as pmd_install(), under mm->page_table_lock.
 */
int __pxd_alloc(struct mm_struct *mm, uint64_t *entryp, unsigned level)
{
	struct page *new = pt_alloc_one(mm, level);
	pxd_t *pxdp = (pxd_t *)entryp;

	if (!new)
		return -THPSIM_ENOFRAME;
	spin_lock(&mm->page_table_lock);
	if (pxd_none(pxdp_get(pxdp))) {
		pxd_populate(mm, pxdp, new);
		new = NULL;
	}
	spin_unlock(&mm->page_table_lock);
	if (new)
		pt_free(mm, new);
	return 0;
}

/*
 * Models mm/pgtable-generic.c: __pte_offset_map_lock() (Linux 6.6): read
 * the pmd, map its table, take the table's PTL, then check the pmd still
 * points at that table; if not, unlock and start again.  NULL for a pmd
 * that is not a table.  6.6 needs the recheck because the file retract
 * (retract_page_tables() without the mmap lock, khugepaged_file66.c) may
 * clear the pmd between the read and the lock; under 6.1 locking every
 * pmd clear holds the mmap lock for write, so the recheck never fires.
 * The table stays valid meanwhile because its free is RCU-deferred and
 * the read up to the recheck is an RCU read-side section (as 6.6's
 * pte_offset_map()).  Simplified: the section ends at the recheck, not at
 * pte_unmap(): from then on the PTL keeps the table hooked (a retract
 * takes it before clearing the pmd).
 */
pte_t *pte_offset_map_lock(struct mm_struct *mm, pmd_t *pmdp,
			   unsigned long addr, spinlock_t **ptlp)
{
	for (;;) {
		spinlock_t *ptl;
		pte_t *ptep;
		pmd_t pmd;

		rcu_read_lock();
		pmd = pmdp_get(pmdp);
		if (pmd_none(pmd) || pmd_trans_huge(pmd) || pmd_bad(pmd)) {
			rcu_read_unlock();
			return NULL;
		}
		ptep = pte_offset_map(mm, pmd, addr);
		ptl = ptep ? pte_lockptr(mm, pmd) : NULL;
		if (!ptl) {
			rcu_read_unlock();
			return NULL;
		}
		spin_lock(ptl);
		if (pmd_same(pmd, pmdp_get(pmdp))) {
			rcu_read_unlock();
			*ptlp = ptl;
			return ptep;
		}
		spin_unlock(ptl);
		rcu_read_unlock();
	}
}

/* Models arch/x86/mm/pgtable.c: pgd_alloc() (Linux 6.1). */
int pgd_alloc(struct mm_struct *mm)
{
	struct page *pgd = pt_alloc_one(mm, mm->geo.levels);

	if (!pgd)
		return -THPSIM_ENOFRAME;
	/* Not reachable by anyone yet: no lock needed to make it live. */
	page_pt_set_state(pgd, THPSIM_PT_LIVE, 0);
	mm->pgd = pgd;
	return 0;
}

/* Models arch/x86/mm/pgtable.c: pgd_free() (Linux 6.1). */
void pgd_free(struct mm_struct *mm)
{
	pt_free(mm, mm->pgd);
	mm->pgd = NULL;
}

/* ---- free_pgtables ----------------------------------------------------- */

/*
 * Models mm/memory.c: the pmd_clear() + pte_free_tlb() pair of
 * free_pte_range() and the pud_clear() + pmd_free_tlb() (and higher)
 * pairs of free_pmd_range() and its siblings (Linux 6.1): unhook the table
 * under a pmd or upper entry, then hand it to the mmu_gather, which frees
 * it only after the TLB flush (tlb_finish_mmu()), and on profiles with
 * MMU_GATHER_RCU_TABLE_FREE only after an RCU grace period as well.
 * Without a gather (exit_mmap()) the table goes on the list, freed right
 * after the flush by free_detached_tables().
 */
static void detach_table(struct mm_struct *mm, struct mmu_gather *tlb,
			 uint64_t *entryp, unsigned level, unsigned long addr,
			 struct list_head *batch)
{
	uint64_t e = __entry_load(entryp);
	struct page *pt = pfn_to_page(mm->phys, pxd_pfn(__pxd(e)));

	if (level == 2)
		pmd_clear(mm, PT_ADDR_UNKNOWN, (pmd_t *)entryp);
	else
		pxd_clear(mm, PT_ADDR_UNKNOWN, (pxd_t *)entryp);
	if (!pt)
		return;
	page_pt_set_state(pt, THPSIM_PT_DETACHED, 0);
	if (tlb)
		pte_free_tlb(tlb, pt, addr);
	else
		list_add_tail(&pt->lru, batch);
}

/*
 * May the table hung under the level entry covering [addr, end) go?  Only
 * when no VMA outside [floor, ceiling) shares its span (kernel: the
 * PUD_MASK / floor / ceiling tests of free_pmd_range()).
 */
static bool table_span_free(struct mm_struct *mm, unsigned level,
			    unsigned long addr, unsigned long end,
			    unsigned long floor, unsigned long ceiling)
{
	unsigned long mask = level_mask(mm, level);

	if ((addr & mask) < floor)
		return false;
	if (ceiling) {
		ceiling &= mask;
		if (!ceiling)
			return false;
	}
	return end - 1 <= ceiling - 1;
}

/*
 * Models mm/memory.c: free_pmd_range() / free_pud_range() / ... (Linux
 * 6.1), one function for every level: walk the level entries of the table
 * at pfn over [addr, end); PTE tables in range always go (the caller
 * trimmed the range to whole pmds), upper tables when their span is free.
 */
static void free_level_range(struct mm_struct *mm, struct mmu_gather *tlb,
			     struct list_head *batch, unsigned level,
			     unsigned long pfn, unsigned long addr,
			     unsigned long end, unsigned long floor,
			     unsigned long ceiling)
{
	unsigned long next;

	do {
		uint64_t *ep = pt_entry(mm, pfn, level, addr);
		pxd_t e;

		next = pxd_addr_end(mm, level, addr, end);
		if (!ep)
			return;
		e = pxdp_get((pxd_t *)ep);
		if (pxd_none(e))
			continue;
		/* zap_huge_pmd() cleared huge pmds before we got here. */
		if (level == 2) {
			if (!pmd_trans_huge(__pmd(pxd_val(e))))
				detach_table(mm, tlb, ep, level, addr, batch);
			continue;
		}
		if (pxd_bad(e))
			continue;
		free_level_range(mm, tlb, batch, level - 1, pxd_pfn(e), addr,
				 next, floor, ceiling);
		if (table_span_free(mm, level, addr, next, floor, ceiling))
			detach_table(mm, tlb, ep, level, addr, batch);
	} while (addr = next, addr != end);
}

/*
 * exit_mmap() only (no mmu_gather): free the detached tables right after
 * the flush, on every profile.  No walker can be inside a dying mm's
 * tables: GUP-fast walks current->mm, and exit_mmap() runs once the last
 * user is gone (simulator contract: nobody walks an mm being destroyed).
 * munmap goes through the mmu_gather instead (detach_table()).
 */
static void free_detached_tables(struct mm_struct *mm, struct list_head *batch,
				 unsigned long start, unsigned long end)
{
	struct page *pt, *tmp;

	if (list_empty(batch))
		return;
	flush_tlb_mm_range(mm, start, end, true);
	list_for_each_entry_safe(pt, tmp, batch, lru) {
		list_del_init(&pt->lru);
		pt_free(mm, pt);
	}
}

/*
 * Models mm/memory.c: free_pgd_range() (Linux 6.1), as free_pgtables()
 * calls it.  Frees the tables of [addr, end) that no VMA needs: floor is
 * the end of the previous VMA (0 if none), ceiling the start of the next
 * (0 if none).  Caller holds mmap_lock for write and has zapped every page
 * of the range.  The root is never freed here (pgd_free).
 *
 * With tlb (munmap: unmap_region()), each table is unhooked and handed to
 * pte_free_tlb(); the caller's tlb_finish_mmu() flushes, then frees per
 * the profile (after the flush, or after an RCU grace period).  With tlb
 * NULL (exit_mmap()), the tables are freed right after the flush here.
 */
void free_pgd_range(struct mmu_gather *tlb, struct mm_struct *mm,
		    unsigned long addr, unsigned long end, unsigned long floor,
		    unsigned long ceiling)
{
	unsigned long pmd_mask = level_mask(mm, 2);
	unsigned long pmd_size = level_size(mm, 2);
	struct list_head batch;

	mmap_assert_write_locked(mm);
	/* Trim to whole PTE tables that lie inside [floor, ceiling). */
	addr &= pmd_mask;
	if (addr < floor) {
		addr += pmd_size;
		if (!addr)
			return;
	}
	if (ceiling) {
		ceiling &= pmd_mask;
		if (!ceiling)
			return;
	}
	if (end - 1 > ceiling - 1)
		end -= pmd_size;
	if (addr > end - 1)
		return;
	INIT_LIST_HEAD(&batch);
	free_level_range(mm, tlb, &batch, mm->geo.levels,
			 page_to_pfn(mm->pgd), addr, end, floor, ceiling);
	free_detached_tables(mm, &batch, addr, end);
}
