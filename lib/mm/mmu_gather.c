/*
 * mm/mmu_gather.c - freeing page tables that lockless walkers may still be
 * reading: the mmu_gather table batch, its RCU free, and the sync IPI.
 *
 * The rule (include/asm-generic/tlb.h): unhook, invalidate the TLB, then
 * free.  GUP-fast walks with interrupts off and relies on one of two
 * things to keep a table it reached alive (see gup_pte_range()):
 *  - the TLB invalidate is an IPI the freeing CPU waits for (x86): the
 *    walker's masked interrupts hold the free off.  Tables are then freed
 *    like pages, right after the flush (tlb_remove_page);
 *  - MMU_GATHER_RCU_TABLE_FREE: tables are batched in a page and freed by
 *    call_rcu(), and an interrupts-off section holds the grace period off.
 *    When the batch page cannot be allocated (GFP_NOWAIT), the fallback
 *    tlb_remove_table_one() sends an empty IPI to every CPU and waits
 *    (tlb_remove_table_sync_one) before freeing at once.
 * Which one a profile has is profile->rcu_table_free / ->table_free.
 * Where rcu_table_free is off, tlb_remove_table_sync_one() is an empty
 * stub: such architectures are assumed to flush by IPI.  The
 * broadcast-norcu profile breaks that assumption on purpose.
 *
 * Table states: DETACHED from the unhook until freed (the batch or page
 * list holds it), FREED once the allocator has it back (phys poisons it
 * and bumps its generation).
 *
 * Simplified: the gather takes tables and huge pages (zap_huge_pmd());
 * zap_pte_range() gathers its small pages itself; the batch page holds
 * pfns; MAX_TABLE_BATCH is what fits in one simulated page.  Test hook: THPSIM_MUTANT=sync-not-stubbed makes the
 * sync IPI real without rcu_table_free.
 */
#include "mm/internal.h"

/*
 * The batch page (struct mmu_table_batch): word 0 the count, then the
 * tables' pfns.  Relaxed atomics: the frame may be one a stale walker
 * still reads (a reused table), and its loads are atomic.
 */
static uint64_t *batch_words(struct page *batch)
{
	return page_address(batch);
}

static uint64_t batch_get(struct page *batch, unsigned i)
{
	return __atomic_load_n(&batch_words(batch)[i], __ATOMIC_RELAXED);
}

static void batch_set(struct page *batch, unsigned i, uint64_t v)
{
	phys_mark_dirty(batch->phys, page_to_pfn(batch));
	__atomic_store_n(&batch_words(batch)[i], v, __ATOMIC_RELAXED);
}

static unsigned max_table_batch(struct phys *p)
{
	return (unsigned)(p->page_size / sizeof(uint64_t)) - 1;
}

/* Models include/linux/mm_types.h: inc_tlb_flush_pending(),
 * dec_tlb_flush_pending(), mm_tlb_flush_nested() (Linux 6.1). */
static void inc_tlb_flush_pending(struct mm_struct *mm)
{
	atomic_fetch_add(&mm->tlb_flush_pending, 1);
}

static void dec_tlb_flush_pending(struct mm_struct *mm)
{
	atomic_fetch_sub(&mm->tlb_flush_pending, 1);
}

static bool mm_tlb_flush_nested(struct mm_struct *mm)
{
	return atomic_load(&mm->tlb_flush_pending) > 1;
}

/* Models mm/mmu_gather.c: tlb_gather_mmu() (Linux 6.1).  Simplified: no
 * fullmm gathers (exit_mmap frees its own way, see unmap_region()). */
void tlb_gather_mmu(struct mmu_gather *tlb, struct mm_struct *mm)
{
	*tlb = (struct mmu_gather){ .mm = mm, .start = ~0UL, .end = 0 };
	inc_tlb_flush_pending(mm);
}

/* Models include/asm-generic/tlb.h: __tlb_adjust_range() (Linux 6.1). */
static void tlb_adjust_range(struct mmu_gather *tlb, unsigned long addr,
			     unsigned long size)
{
	if (addr < tlb->start)
		tlb->start = addr;
	if (addr + size > tlb->end)
		tlb->end = addr + size;
}

/* Models include/asm-generic/tlb.h: tlb_flush_pte_range() (Linux 6.1). */
void tlb_flush_pte_range(struct mmu_gather *tlb, unsigned long addr,
			 unsigned long size)
{
	tlb_adjust_range(tlb, addr, size);
	tlb->need_flush = true;
}

/* Models include/asm-generic/tlb.h: tlb_flush_mmu_tlbonly() (Linux 6.1). */
static void tlb_flush_mmu_tlbonly(struct mmu_gather *tlb)
{
	if (!tlb->need_flush)
		return;
	/* tlb_flush(): fullmm is flush_tlb_mm(), the whole address space. */
	if (tlb->fullmm)
		flush_tlb_mm_range(tlb->mm, 0, tlb->mm->task_size, true);
	else
		flush_tlb_mm_range(tlb->mm, tlb->start, tlb->end,
				   tlb->freed_tables);
	tlb->need_flush = false;
}

/* Models mm/mmu_gather.c: __tlb_remove_table() (the generic one: the
 * table page goes back to the allocator). */
static void __tlb_remove_table(struct page *table)
{
	pt_free_page(table);
}

/*
 * Models mm/mmu_gather.c: tlb_remove_table_sync_one() (Linux 6.1): an
 * empty IPI to all other online CPUs (not mm_cpumask), waiting for every
 * one, so none can still be in an interrupts-off walk begun before.  Not
 * an RCU grace period: an RCU-only walker (interrupts on) acks at once.
 * An empty stub without MMU_GATHER_RCU_TABLE_FREE.
 */
void tlb_remove_table_sync_one(struct mm_struct *mm)
{
	thpsim_cpumask_t online;
	int err;

	if (!mm_profile(mm)->rcu_table_free &&
	    !thpsim__mutant("sync-not-stubbed")) {
		emit(.kind = THPSIM_EV_NOTE,
		     .what = "tlb_remove_table_sync_one: stub (no RCU table free)");
		return;
	}
	/* tlb_remove_table_smp_sync() "simply delivers the interrupt": the
	 * machine's empty sync IPI (fn NULL), by signal or membarrier. */
	thpsim_cpu_online_mask(mm->machine, &online);
	err = thpsim_ipi_sync(mm->machine, &online);
	if (err == -THPSIM_EDEADLK)
		thpsim__bug(__FILE__, __LINE__,
			    "sync IPI with interrupts masked: %s",
			    thpsim_errmsg());
}

/*
 * Models mm/mmu_gather.c: tlb_remove_table_one() (Linux 6.1): the
 * low-memory fallback, IPI then immediate free.  The strategy's
 * table_fallback datum may choose the 2026 form instead:
 * synchronize_rcu() then free (the grace period waits for interrupts-off
 * walkers as the IPI does, and for RCU-only walkers, which the IPI does
 * not; it sleeps where the IPI interrupts every CPU).
 */
static void tlb_remove_table_one(struct mm_struct *mm, struct page *table)
{
	bool rcu = mm->kc.strategy->table_fallback ==
		   THPSIM_TABLE_FALLBACK_SYNCHRONIZE_RCU;

	emit(.kind = THPSIM_EV_TABLE_FREE, .pfn = page_to_pfn(table),
	     .level = table->pt_level,
	     .what = rcu ? "tlb_remove_table_one synchronize_rcu" :
			   "tlb_remove_table_one");
	if (rcu)
		synchronize_rcu();
	else
		tlb_remove_table_sync_one(mm);
	__tlb_remove_table(table);
}

/* Models mm/mmu_gather.c: __tlb_remove_table_free() (Linux 6.1). */
static void __tlb_remove_table_free(struct page *batch)
{
	struct phys *p = batch->phys;
	unsigned nr = (unsigned)batch_get(batch, 0);

	for (unsigned i = 1; i <= nr; i++)
		__tlb_remove_table(pfn_to_page(p, batch_get(batch, i)));
	put_page(batch);
}

/* Models mm/mmu_gather.c: tlb_remove_table_rcu() (Linux 6.1): after the
 * grace period no interrupts-off walker can still be in these tables. */
static void tlb_remove_table_rcu(struct rcu_head *head)
{
	__tlb_remove_table_free(container_of(head, struct page, rcu_head));
}

/* Models mm/mmu_gather.c: tlb_remove_table_free() (Linux 6.1). */
static void tlb_remove_table_free(struct mm_struct *mm, struct page *batch)
{
	if (mm_profile(mm)->rcu_table_free) {
		atomic_store(&mm->rcu_tables_queued, true);
		call_rcu(&batch->rcu_head, tlb_remove_table_rcu);
	}
	else
		__tlb_remove_table_free(batch);
}

/* Models mm/mmu_gather.c: tlb_table_invalidate() (Linux 6.1):
 * tlb_needs_table_invalidate() is true wherever tables are batched. */
static void tlb_table_invalidate(struct mmu_gather *tlb)
{
	tlb_flush_mmu_tlbonly(tlb);
}

/* Models mm/mmu_gather.c: tlb_table_flush() (Linux 6.1). */
static void tlb_table_flush(struct mmu_gather *tlb)
{
	struct page *batch = tlb->batch;

	if (!batch)
		return;
	tlb->batch = NULL;
	tlb_table_invalidate(tlb);
	tlb_remove_table_free(tlb->mm, batch);
}

/* Models mm/mmu_gather.c: tlb_flush_mmu_free() (Linux 6.1): the tables
 * batch, then the pages gathered by tlb_remove_page(). */
static void tlb_flush_mmu_free(struct mmu_gather *tlb)
{
	tlb_table_flush(tlb);
	for (unsigned i = 0; i < tlb->nr_pages; i++) {
		struct page *page = tlb->pages[i];

		/* free_pages_and_swap_cache(): a table page (no
		 * MMU_GATHER_TABLE_FREE) goes back to the allocator, a data
		 * page loses the mapping's reference. */
		if (PageTable(page))
			__tlb_remove_table(page);
		else
			put_page(page);
	}
	tlb->nr_pages = 0;
}

/* Models mm/mmu_gather.c: tlb_flush_mmu() (Linux 6.1): flush, then free:
 * whoever reached a table through the unhooked entry has acked the flush
 * (IPI profiles) or will hold the grace period off (RCU batch). */
void tlb_flush_mmu(struct mmu_gather *tlb)
{
	tlb_flush_mmu_tlbonly(tlb);
	tlb_flush_mmu_free(tlb);
}

/* Models include/asm-generic/tlb.h: tlb_remove_page() (Linux 6.1) for a
 * table page: freed after the flush. */
static void tlb_remove_page(struct mmu_gather *tlb, struct page *page)
{
	emit(.kind = THPSIM_EV_TABLE_FREE, .pfn = page_to_pfn(page),
	     .level = page->pt_level, .what = "tlb_remove_page");
	tlb->pages[tlb->nr_pages++] = page;
	if (tlb->nr_pages == MMU_GATHER_PAGES)
		tlb_flush_mmu(tlb);
}

/*
 * Models include/asm-generic/tlb.h: tlb_remove_page_size() (Linux 6.1)
 * for a data page: the mapping's reference is dropped after the flush, so
 * no CPU still translates to the page once it can be freed.  Simplified:
 * no page-size change flush (tlb_change_page_size()).
 */
void tlb_remove_page_size(struct mmu_gather *tlb, struct page *page,
			  unsigned long size)
{
	(void)size;
	tlb->pages[tlb->nr_pages++] = page;
	if (tlb->nr_pages == MMU_GATHER_PAGES)
		tlb_flush_mmu(tlb);
}

/* The batch page, GFP_NOWAIT: may fail (injection or the knob). */
static struct page *tlb_batch_alloc(struct mm_struct *mm)
{
	struct page *batch;

	if (mm_knobs(mm)->fail_table_batch) {
		emit(.kind = THPSIM_EV_NOTE,
		     .what = "mmu_gather batch page allocation failed (knob)");
		return NULL;
	}
	batch = alloc_pages(mm->phys, THPSIM_ALLOC_BATCH, 0);
	if (batch)
		batch_set(batch, 0, 0);
	return batch;
}

/*
 * Models mm/mmu_gather.c: tlb_remove_table() (Linux 6.1), with x86's
 * paravirt_tlb_remove_table() and the !MMU_GATHER_TABLE_FREE
 * tlb_remove_page() folded in by the profile's table_free.
 */
void tlb_remove_table(struct mmu_gather *tlb, struct page *table)
{
	struct mm_struct *mm = tlb->mm;
	unsigned nr;

	if (mm_profile(mm)->table_free == THPSIM_TABLE_FREE_AFTER_FLUSH) {
		tlb_remove_page(tlb, table);
		return;
	}
	if (!tlb->batch) {
		tlb->batch = tlb_batch_alloc(mm);
		if (!tlb->batch) {
			tlb_table_invalidate(tlb);
			tlb_remove_table_one(mm, table);
			return;
		}
	}
	emit(.kind = THPSIM_EV_TABLE_FREE, .pfn = page_to_pfn(table),
	     .level = table->pt_level, .what = "tlb_remove_table rcu");
	nr = (unsigned)batch_get(tlb->batch, 0) + 1;
	batch_set(tlb->batch, nr, page_to_pfn(table));
	batch_set(tlb->batch, 0, nr);
	if (nr == max_table_batch(mm->phys))
		tlb_table_flush(tlb);
}

/*
 * Models include/asm-generic/tlb.h: pte_free_tlb() -> __pte_free_tlb()
 * (Linux 6.1): the table was unhooked by the caller; it leaves the mm's
 * count now (the free may come after the mm is gone).  As in 6.1 the
 * range grows by one page at addr (tlb_flush_pmd_range(tlb, address,
 * PAGE_SIZE)), not by the pmd's span: freed_tables is what makes the
 * flush reach the walk caches (and, on x86, the lazy CPUs).
 */
void pte_free_tlb(struct mmu_gather *tlb, struct page *table,
		  unsigned long addr)
{
	struct mm_struct *mm = tlb->mm;

	tlb_flush_pte_range(tlb, addr, PAGE_SIZE_MM(mm));
	tlb->freed_tables = true;
	if (page_pt_state(table) != THPSIM_PT_DETACHED)
		page_pt_set_state(table, THPSIM_PT_DETACHED, 0);
	mm_dec_nr_tables(mm, table->pt_level);
	tlb_remove_table(tlb, table);
}

/*
 * Models mm/mmu_gather.c: tlb_finish_mmu() (Linux 6.1).  Another gather
 * of this mm under way (two MADV_DONTNEEDs under the read lock, say) may
 * have cleared entries this one then found none and did not flush for:
 * flush the whole mm, as for freed tables, whatever this one gathered.
 */
void tlb_finish_mmu(struct mmu_gather *tlb)
{
	if (mm_tlb_flush_nested(tlb->mm)) {
		tlb->fullmm = true;
		tlb->start = ~0UL;
		tlb->end = 0;
		tlb->freed_tables = true;
		tlb->need_flush = true;
	}
	tlb_flush_mmu(tlb);
	dec_tlb_flush_pending(tlb->mm);
}
