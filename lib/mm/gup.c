/*
 * mm/gup.c - GUP-fast (Linux 6.1), its slow-path fallback, and the 6.5+
 * RCU-only walker.
 *
 * GUP-fast walks the page tables with no lock at all.  What keeps the
 * tables it reaches from being freed under it is that it walks with
 * interrupts off (local_irq_save; here the soft mask):
 *  - where a TLB flush is an IPI the freeing CPU waits for (x86), the
 *    walker cannot acknowledge it until the walk is over, so nothing it
 *    reached can be freed meanwhile (see flush_tlb_mm_range());
 *  - where tables are freed by RCU (MMU_GATHER_RCU_TABLE_FREE), the
 *    interrupts-off section holds the grace period off (see
 *    tlb_remove_table()), and tlb_remove_table_sync_one() cannot complete
 *    on this CPU either.
 * Assumption (the kernel's): one of the two holds.  The broadcast-norcu
 * profile breaks it on purpose.
 *
 * Each level reads its entry once (READ_ONCE) and descends from that local
 * copy, never by re-reading: a table unhooked after the read is still
 * reached.  At the bottom, the page is grabbed speculatively, then the pmd
 * and the pte are read again: everyone else clears an entry first and
 * checks for references after (pmdp_collapse_flush() then
 * __collapse_huge_page_isolate()), GUP-fast takes its reference first and
 * checks the entry after, so one of the two sees the other.  On a
 * mismatch only the current speculative reference is dropped and the walk
 * stops; the slow path does the rest under mmap_lock.
 *
 * The walker never dereferences a frame outside the arena (pfn_valid):
 * it bails and reports what it read; the oracle classifies it.  Every
 * read, grab, recheck and pin is reported (thpsim/event.h) with the
 * simulator's omniscient view of the table (its generation and state now),
 * which the walker's logic never uses.  The hot path allocates nothing and
 * makes no system call; each report is one branch when nobody listens.
 */
#include "mm/internal.h"

#define FOLL_WRITE	0x01u
#define FOLL_GET	0x04u
#define FOLL_FAST_ONLY	0x80000u

/* Tries per page of the slow path (a fault may race with a zap). */
#define GUP_SLOW_TRIES 8

struct gup_walk {
	struct mm_struct *mm;
	unsigned flags;		/* FOLL_* */
	uint64_t *pages;	/* pfns, one per page from the start */
	int nr;			/* pages grabbed so far (*nr) */
};

/* ---- reports ------------------------------------------------------------ */

static void walk_read(struct mm_struct *mm, unsigned level,
		      unsigned long table, unsigned long addr, uint64_t val)
{
	struct page *pt = pfn_to_page(mm->phys, table);

	emit(.kind = THPSIM_EV_WALK_READ, .level = (int)level, .pfn = table,
	     .idx = (int)pxd_index(mm, level, addr), .addr = addr, .val = val,
	     .gen = pt ? page_generation(pt) : 0,
	     .arg = pt ? (int)page_pt_state(pt) : THPSIM_PT_NONE);
}

static int walk_bail(unsigned level, unsigned long addr, uint64_t pfn,
		     const char *why)
{
	emit(.kind = THPSIM_EV_WALK_BAIL, .level = (int)level, .addr = addr,
	     .pfn = pfn, .what = why);
	return 0;
}

static void walk_pin(struct mm_struct *mm, unsigned long pfn,
		     unsigned long addr)
{
	struct page *page = pfn_to_page(mm->phys, pfn);

	if (page)
		atomic_fetch_add(&page->gup_pins, 1);
	emit(.kind = THPSIM_EV_WALK_PIN, .pfn2 = pfn, .addr = addr);
}

/* ---- references ---------------------------------------------------------- */

/*
 * Models mm/gup.c: try_grab_folio() with FOLL_GET -> try_get_folio()
 * (Linux 6.1).  Fails on a folio whose refcount is 0 (being freed).
 * Simplified: a folio split racing with the grab is not modelled (the
 * recheck of page_folio() fails the grab instead of retrying).  The
 * fence is smp_mb__after_atomic(): the grab must be visible before the
 * entries are read again, the other half of the store-buffering pattern
 * whose first half is pmdp_collapse_flush() then the isolate's refcount
 * read (see __collapse_huge_page_isolate()).
 */
static struct page *try_grab_folio(struct page *page, int refs,
				   unsigned flags)
{
	struct page *folio = compound_head(page);

	(void)flags;
	if (!page_ref_add_unless(folio, refs, 0))
		return NULL;
	atomic_thread_fence(memory_order_seq_cst);
	if (compound_head(page) != folio) {
		for (int i = 0; i < refs; i++)
			put_page(folio);
		return NULL;
	}
	return folio;
}

/* Models mm/gup.c: gup_put_folio() (Linux 6.1), FOLL_GET. */
static void gup_put_folio(struct page *folio, int refs, unsigned flags)
{
	(void)flags;
	for (int i = 0; i < refs; i++)
		put_page(folio);
}

static struct page *gup_grab(struct mm_struct *mm, unsigned long pfn,
			     unsigned long addr, int refs, unsigned flags)
{
	struct page *page = pfn_to_page(mm->phys, pfn);
	struct page *folio;

	sched_point(GUP_BEFORE_GRAB);
	folio = page ? try_grab_folio(page, refs, flags) : NULL;
	emit(.kind = THPSIM_EV_WALK_GRAB, .pfn2 = pfn, .addr = addr,
	     .arg = folio != NULL, .val = (uint64_t)refs);
	if (folio)
		sched_point(GUP_AFTER_GRAB);
	return folio;
}

static void gup_ungrab(struct page *folio, unsigned long pfn,
		       unsigned long addr, int refs, unsigned flags)
{
	/* Reported before the put, as unpin is: the put may free the page,
	 * and a free-running oracle must not see the free first. */
	emit(.kind = THPSIM_EV_WALK_UNGRAB, .pfn2 = pfn, .addr = addr,
	     .val = (uint64_t)refs);
	gup_put_folio(folio, refs, flags);
}

/* ---- rechecks ------------------------------------------------------------ */

/* pmd_val(pmd) == pmd_val(*pmdp): the counterpart of pmdp_collapse_flush()
 * (the table may have been unhooked since we read the pmd). */
static bool gup_recheck_pmd(struct mm_struct *mm, pmd_t pmd, pmd_t *pmdp,
			    unsigned long addr)
{
	pmd_t now = pmdp_get(pmdp);
	struct page *pt = virt_to_page(mm->phys, pmdp);

	emit(.kind = THPSIM_EV_WALK_RECHECK, .level = 2, .addr = addr,
	     .arg = pmd_same(pmd, now), .val = pmd_val(pmd),
	     .val2 = pmd_val(now), .pfn = pt ? page_to_pfn(pt) : 0,
	     .idx = (int)pxd_index(mm, 2, addr),
	     .gen = pt ? page_generation(pt) : 0);
	return pmd_same(pmd, now);
}

/* pte_val(pte) == pte_val(*ptep): the counterpart of the PTE clear of
 * zap and of __collapse_huge_page_copy(). */
static bool gup_recheck_pte(struct mm_struct *mm, unsigned long table,
			    pte_t pte, pte_t *ptep, unsigned long addr)
{
	pte_t now = ptep_get(ptep);
	struct page *pt = pfn_to_page(mm->phys, table);

	emit(.kind = THPSIM_EV_WALK_RECHECK, .level = 1, .addr = addr,
	     .arg = pte_same(pte, now), .val = pte_val(pte),
	     .val2 = pte_val(now), .pfn = table,
	     .idx = (int)pxd_index(mm, 1, addr),
	     .gen = pt ? page_generation(pt) : 0);
	return pte_same(pte, now);
}

/* ---- the walk ------------------------------------------------------------- */

/*
 * One PTE: access checks, grab, recheck, record.  Returns 1 to go on, 0
 * to stop the walk (the speculative reference already dropped).
 */
static int gup_pte_one(struct gup_walk *w, pmd_t pmd, pmd_t *pmdp,
		       pte_t *ptep, unsigned long addr)
{
	struct mm_struct *mm = w->mm;
	unsigned long table = pmd_pfn(pmd);
	pte_t pte = ptep_get_lockless(ptep);
	struct page *folio;

	walk_read(mm, 1, table, addr, pte_val(pte));
	sched_point(GUP_AFTER_PTE_READ);
	if (!pte_access_permitted(pte, w->flags & FOLL_WRITE))
		return walk_bail(1, addr, table, "pte not accessible");
	if (pte_special(pte))
		return walk_bail(1, addr, table, "pte special");
	folio = gup_grab(mm, pte_pfn(pte), addr, 1, w->flags);
	if (!folio)
		return walk_bail(1, addr, pte_pfn(pte),
				 pfn_valid(mm->phys, pte_pfn(pte)) ?
				 "try_grab_folio failed" :
				 "pfn outside the arena (not dereferenced)");
	if ((mm_knobs(mm)->pmd_recheck && !gup_recheck_pmd(mm, pmd, pmdp, addr)) ||
	    !gup_recheck_pte(mm, table, pte, ptep, addr)) {
		gup_ungrab(folio, pte_pfn(pte), addr, 1, w->flags);
		return walk_bail(1, addr, table, "entry changed (recheck)");
	}
	sched_point(GUP_AFTER_RECHECK);
	SetPageReferenced(folio);
	w->pages[w->nr++] = pte_pfn(pte);
	walk_pin(mm, pte_pfn(pte), addr);
	return 1;
}

/*
 * Models mm/gup.c: gup_pte_range() (Linux 6.1).  The table comes from the
 * local pmd copy (pte_offset_map(&pmd, addr)): it may already be unhooked
 * (collapse, retract), deposited, or freed and reused, and only the
 * interrupts-off section, the rechecks and the fix in use stand between
 * this walk and that table's next life.
 */
static int gup_pte_range(struct gup_walk *w, pmd_t pmd, pmd_t *pmdp,
			 unsigned long addr, unsigned long end)
{
	struct mm_struct *mm = w->mm;
	pte_t *ptem, *ptep;
	int ret = 1;

	ptem = ptep = pte_offset_map(mm, pmd, addr);
	if (!ptep)
		return walk_bail(1, addr, pmd_pfn(pmd),
				 "table pfn outside the arena (not dereferenced)");
	do {
		ret = gup_pte_one(w, pmd, pmdp, ptep, addr);
	} while (ret && (ptep++, addr += PAGE_SIZE_MM(mm), addr != end));
	pte_unmap(ptem);
	return ret;
}

/*
 * Models mm/gup.c: gup_huge_pmd() (Linux 6.1): grab the subpages of
 * [addr, end) on the folio at once, then recheck the pmd (the counterpart
 * of pmdp_invalidate() in a split and of zap_huge_pmd()).
 */
static int gup_huge_pmd(struct gup_walk *w, pmd_t orig, pmd_t *pmdp,
			unsigned long addr, unsigned long end)
{
	struct mm_struct *mm = w->mm;
	unsigned long pfn = pmd_pfn(orig) +
			    ((addr & ~level_mask(mm, 2)) >> mm->geo.page_shift);
	int refs = (int)((end - addr) >> mm->geo.page_shift);
	struct page *folio;

	if (!pmd_access_permitted(orig, w->flags & FOLL_WRITE))
		return walk_bail(2, addr, pmd_pfn(orig), "huge pmd not accessible");
	if (!pfn_valid(mm->phys, pfn + (unsigned long)refs - 1)) {
		emit(.kind = THPSIM_EV_WALK_GRAB, .pfn2 = pfn, .addr = addr);
		return walk_bail(2, addr, pfn, "pfn outside the arena (not dereferenced)");
	}
	folio = gup_grab(mm, pfn, addr, refs, w->flags);
	if (!folio)
		return walk_bail(2, addr, pfn, "try_grab_folio failed");
	if (!gup_recheck_pmd(mm, orig, pmdp, addr)) {
		gup_ungrab(folio, pfn, addr, refs, w->flags);
		return walk_bail(2, addr, pmd_pfn(orig), "pmd changed (recheck)");
	}
	sched_point(GUP_AFTER_RECHECK);
	SetPageReferenced(folio);
	for (int i = 0; i < refs; i++) {
		w->pages[w->nr++] = pfn + (unsigned long)i;
		walk_pin(mm, pfn + (unsigned long)i,
			 addr + ((unsigned long)i << mm->geo.page_shift));
	}
	return 1;
}

/*
 * Models mm/gup.c: gup_pmd_range() (Linux 6.1).  pmd_table is the pfn the
 * pud copy pointed at (pmd_offset_lockless()).
 */
static int gup_pmd_range(struct gup_walk *w, unsigned long pmd_table,
			 unsigned long addr, unsigned long end)
{
	struct mm_struct *mm = w->mm;
	unsigned long next;

	do {
		pmd_t *pmdp = (pmd_t *)pt_entry(mm, pmd_table, 2, addr);
		pmd_t pmd;

		if (!pmdp)
			return walk_bail(2, addr, pmd_table,
					 "table pfn outside the arena (not dereferenced)");
		pmd = pmdp_get_lockless(pmdp);
		walk_read(mm, 2, pmd_table, addr, pmd_val(pmd));
		sched_point(GUP_AFTER_PMD_READ);
		next = pmd_addr_end(mm, addr, end);
		if (!pmd_present(pmd))
			return walk_bail(2, addr, pmd_table, "pmd not present");
		if (pmd_trans_huge(pmd)) {
			if (!gup_huge_pmd(w, pmd, pmdp, addr, next))
				return 0;
		} else if (!gup_pte_range(w, pmd, pmdp, addr, next)) {
			return 0;
		}
	} while (addr = next, addr != end);
	return 1;
}

/*
 * Models mm/gup.c: gup_pud_range() / gup_p4d_range() (Linux 6.1), one
 * function for every level between the root and the pmd: the entries of
 * the level-`level` table at pfn.  No huge puds.
 */
static int gup_pud_range(struct gup_walk *w, unsigned level,
			 unsigned long table, unsigned long addr,
			 unsigned long end)
{
	struct mm_struct *mm = w->mm;
	unsigned long next;

	do {
		pxd_t *pxdp = (pxd_t *)pt_entry(mm, table, level, addr);
		pxd_t e;
		int ok;

		if (!pxdp)
			return walk_bail(level, addr, table,
					 "table pfn outside the arena (not dereferenced)");
		e = pxdp_get(pxdp);
		walk_read(mm, level, table, addr, pxd_val(e));
		next = pxd_addr_end(mm, level, addr, end);
		if (!pxd_present(e))
			return walk_bail(level, addr, table, "entry not present");
		if (level - 1 == 2)
			ok = gup_pmd_range(w, pxd_pfn(e), addr, next);
		else
			ok = gup_pud_range(w, level - 1, pxd_pfn(e), addr, next);
		if (!ok)
			return 0;
	} while (addr = next, addr != end);
	return 1;
}

/*
 * Models mm/gup.c: gup_pgd_range() (Linux 6.1).  With two levels the root
 * is the pmd table.
 */
static void gup_pgd_range(struct gup_walk *w, unsigned long addr,
			  unsigned long end)
{
	struct mm_struct *mm = w->mm;
	unsigned long root = page_to_pfn(mm->pgd);

	if (mm->geo.levels == 2)
		gup_pmd_range(w, root, addr, end);
	else
		gup_pud_range(w, mm->geo.levels, root, addr, end);
}

/*
 * Models mm/gup.c: lockless_pages_from_mm() (Linux 6.1).  Simplified:
 * FOLL_GET only, so no write_protect_seq sampling (that is FOLL_PIN's).
 * local_irq_save rather than rcu_read_lock(): the walk must also hold off
 * the IPIs of TLB flushes and of tlb_remove_table_sync_one().
 */
static int lockless_pages_from_mm(struct gup_walk *w, unsigned long start,
				  unsigned long end)
{
	unsigned long flags;

	emit(.kind = THPSIM_EV_WALK_BEGIN, .addr = start,
	     .val = (end - start) >> w->mm->geo.page_shift,
	     .arg = THPSIM_WALKER_GUP_FAST);
	local_irq_save(flags);
	gup_pgd_range(w, start, end);
	local_irq_restore(flags);
	emit(.kind = THPSIM_EV_WALK_END, .addr = start, .arg = w->nr);
	return w->nr;
}

/* ---- the slow path ------------------------------------------------------- */

/*
 * Models mm/gup.c: follow_page_mask() (Linux 6.1) for one page, under the
 * pmd lock (huge) or the PTL: a reference on the page mapped at addr, or
 * NULL when nothing accessible is.
 */
static struct page *follow_page(struct vm_area_struct *vma, unsigned long addr,
				unsigned flags)
{
	struct mm_struct *mm = vma->vm_mm;
	pmd_t *pmdp = walk_to_pmd(mm, addr, false);
	struct page *page = NULL;
	spinlock_t *ptl;
	pte_t *ptep, pte;

	if (!pmdp)
		return NULL;
	if (pmd_trans_huge(pmdp_get(pmdp))) {
		pmd_t pmd;

		ptl = pmd_lock(mm, pmdp);
		pmd = pmdp_get(pmdp);
		if (pmd_trans_huge(pmd) && pmd_access_permitted(pmd, flags & FOLL_WRITE))
			page = pfn_to_page(mm->phys, pmd_pfn(pmd) +
					   ((addr & ~level_mask(mm, 2)) >>
					    mm->geo.page_shift));
		if (page)
			get_page(page);
		spin_unlock(ptl);
		return page;
	}
	ptep = pte_offset_map_lock(mm, pmdp, addr, &ptl);
	if (!ptep)
		return NULL;
	pte = ptep_get(ptep);
	if (pte_access_permitted(pte, flags & FOLL_WRITE) && !pte_special(pte))
		page = pfn_to_page(mm->phys, pte_pfn(pte));
	if (page)
		get_page(page);
	pte_unmap_unlock(ptep, ptl);
	return page;
}

/* One page of __get_user_pages(): follow, fault in, follow again. */
static struct page *gup_slow_one(struct mm_struct *mm, unsigned long addr,
				 unsigned flags)
{
	for (int tries = 0; tries < GUP_SLOW_TRIES; tries++) {
		struct vm_area_struct *vma = vma_lookup(mm, addr);
		struct page *page;

		if (!vma)
			return NULL;
		page = follow_page(vma, addr, flags);
		if (page)
			return page;
		if (handle_mm_fault(vma, addr,
				    flags & FOLL_WRITE ? FAULT_FLAG_WRITE : 0))
			return NULL;
	}
	return NULL;
}

/*
 * Models mm/gup.c: get_user_pages_unlocked() -> __get_user_pages()
 * (Linux 6.1) for [start, start + nr pages).  Simplified: no FOLL_PIN,
 * no longterm migration.  Stops at the first page it cannot have.
 */
static int get_user_pages_unlocked(struct gup_walk *w, unsigned long start,
				   unsigned nr)
{
	struct mm_struct *mm = w->mm;
	unsigned long page_size = PAGE_SIZE_MM(mm);
	int got = 0;

	mmap_read_lock(mm);
	emit(.kind = THPSIM_EV_WALK_BEGIN, .addr = start, .val = nr,
	     .arg = THPSIM_WALKER_SLOW);
	for (unsigned i = 0; i < nr; i++) {
		unsigned long addr = start + i * page_size;
		struct page *page = gup_slow_one(mm, addr, w->flags);

		if (!page)
			break;
		w->pages[w->nr++] = page_to_pfn(page);
		walk_pin(mm, page_to_pfn(page), addr);
		got++;
	}
	emit(.kind = THPSIM_EV_WALK_END, .addr = start, .arg = got);
	mmap_read_unlock(mm);
	return got;
}

/*
 * Models mm/gup.c: internal_get_user_pages_fast() (Linux 6.1): the
 * lockless walk, then the slow path for the remainder unless
 * FOLL_FAST_ONLY.  Pages the fast path got are kept.
 */
static int internal_get_user_pages_fast(struct gup_walk *w,
					unsigned long start, unsigned nr)
{
	unsigned long page_size = PAGE_SIZE_MM(w->mm);
	int nr_pinned = lockless_pages_from_mm(w, start, start + nr * page_size);

	if ((unsigned)nr_pinned == nr || (w->flags & FOLL_FAST_ONLY))
		return nr_pinned;
	return nr_pinned + get_user_pages_unlocked(w, start + nr_pinned *
						   page_size,
						   nr - (unsigned)nr_pinned);
}

/* ---- public entry points ----------------------------------------------- */

static int gup_check(struct mm_struct *mm, const char *fn, uint64_t addr,
		     unsigned nr, uint64_t *pfns)
{
	int err = thpsim__need_cpu(fn);

	if (err)
		return err;
	if (!pfns || !nr)
		return thpsim__err(-THPSIM_EINVAL, "%s: pfns is NULL or nr is 0",
				   fn);
	err = thpsim__check_range(mm, fn, addr,
				  mm ? (uint64_t)nr << mm->geo.page_shift : 0);
	if (err)
		return err;
	/* GUP-fast walks current->mm: this CPU runs it. */
	return thpsim_mm_switch(mm);
}

int thpsim_gup_fast(thpsim_mm_t *mm, uint64_t addr, unsigned nr,
		    uint64_t *pfns)
{
	struct gup_walk w = { .mm = mm, .flags = FOLL_GET, .pages = pfns };
	int err = gup_check(mm, "thpsim_gup_fast", addr, nr, pfns);

	if (err)
		return err;
	if (irqs_disabled())
		return thpsim__err(-THPSIM_EDEADLK,
				   "thpsim_gup_fast: interrupts are masked; the slow path may sleep (use thpsim_gup_fast_only)");
	return internal_get_user_pages_fast(&w, addr, nr);
}

int thpsim_gup_fast_only(thpsim_mm_t *mm, uint64_t addr, unsigned nr,
			 uint64_t *pfns)
{
	struct gup_walk w = { .mm = mm, .flags = FOLL_GET | FOLL_FAST_ONLY,
			      .pages = pfns };
	int err = gup_check(mm, "thpsim_gup_fast_only", addr, nr, pfns);

	if (err)
		return err;
	return internal_get_user_pages_fast(&w, addr, nr);
}

/* Models mm/gup.c: unpin_user_page() (Linux 6.1) for a FOLL_GET page:
 * put_page(). */
int thpsim_unpin(thpsim_mm_t *mm, uint64_t pfn)
{
	struct page *page;
	int err = thpsim__need_cpu("thpsim_unpin");

	if (err)
		return err;
	if (!mm)
		return thpsim__err(-THPSIM_EINVAL, "thpsim_unpin: mm is NULL");
	page = pfn_to_page(mm->phys, (unsigned long)pfn);
	if (!page || page_ref_count(compound_head(page)) <= 0)
		return thpsim__err(-THPSIM_EINVAL,
				   "thpsim_unpin: pfn %llu is not a referenced page",
				   (unsigned long long)pfn);
	for (int pins = atomic_load(&page->gup_pins);;) {
		if (pins <= 0)
			return thpsim__err(-THPSIM_EINVAL,
					   "thpsim_unpin: pfn %llu holds no reference from GUP (unpinned twice, or never pinned)",
					   (unsigned long long)pfn);
		if (atomic_compare_exchange_weak(&page->gup_pins, &pins, pins - 1))
			break;
	}
	emit(.kind = THPSIM_EV_WALK_UNPIN, .pfn2 = pfn);
	put_page(page);
	return 0;
}

/* Models mm/gup.c: unpin_user_pages() (Linux 6.1), FOLL_GET. */
int thpsim_unpin_pages(thpsim_mm_t *mm, const uint64_t *pfns, unsigned nr)
{
	int err = pfns || !nr ? 0 :
		  thpsim__err(-THPSIM_EINVAL, "thpsim_unpin_pages: pfns is NULL");

	for (unsigned i = 0; !err && i < nr; i++)
		err = thpsim_unpin(mm, pfns[i]);
	return err;
}

/* ---- the RCU-only walker (6.5+) ------------------------------------------ */

/*
 * Models mm/pgtable-generic.c: __pte_offset_map() (Linux 6.6):
 * rcu_read_lock(), read the pmd once, NULL (after rcu_read_unlock) unless
 * it points at a PTE table, else that table, which "remains a valid
 * though empty and disconnected table" until rcu_read_unlock() even if
 * it is removed meanwhile, provided it is freed by RCU (pte_free_defer()).
 * An IPI does not wait for this walker: its interrupts are on.
 */
static pte_t *__pte_offset_map(struct mm_struct *mm, pmd_t *pmdp,
			       unsigned long addr, pmd_t *pmdvalp)
{
	struct page *pmd_table = virt_to_page(mm->phys, pmdp);
	pmd_t pmdval;

	rcu_read_lock();
	pmdval = pmdp_get_lockless(pmdp);
	walk_read(mm, 2, pmd_table ? page_to_pfn(pmd_table) : 0, addr,
		  pmd_val(pmdval));
	*pmdvalp = pmdval;
	if (pmd_none(pmdval) || pmd_trans_huge(pmdval) || pmd_bad(pmdval) ||
	    !pte_offset_kernel(mm, pmdval, addr)) {
		rcu_read_unlock();
		return NULL;
	}
	return pte_offset_kernel(mm, pmdval, addr);
}

/* Models include/linux/pgtable.h: pte_unmap() (Linux 6.6): the RCU read
 * section of pte_offset_map() ends. */
static void pte_unmap_rcu(pte_t *ptep)
{
	pte_unmap(ptep);
	rcu_read_unlock();
}

/* The upper levels, lockless (READ_ONCE), reported like GUP-fast's. */
static pmd_t *rcu_walk_to_pmd(struct mm_struct *mm, unsigned long addr)
{
	unsigned long table = page_to_pfn(mm->pgd);

	for (unsigned level = mm->geo.levels; level > 2; level--) {
		pxd_t *pxdp = (pxd_t *)pt_entry(mm, table, level, addr);
		pxd_t e;

		if (!pxdp)
			return NULL;
		e = pxdp_get(pxdp);
		walk_read(mm, level, table, addr, pxd_val(e));
		if (!pxd_present(e) || pxd_bad(e))
			return NULL;
		table = pxd_pfn(e);
	}
	return (pmd_t *)pt_entry(mm, table, 2, addr);
}

int thpsim_rcu_walk(thpsim_mm_t *mm, uint64_t addr, uint64_t *pte_out)
{
	pmd_t *pmdp, pmdval;
	pte_t *ptep, pte;
	int err = thpsim__need_cpu("thpsim_rcu_walk");

	if (!err && !mm)
		err = thpsim__err(-THPSIM_EINVAL, "thpsim_rcu_walk: mm is NULL");
	if (!err)
		err = thpsim__check_range(mm, "thpsim_rcu_walk",
					  addr & ~(PAGE_SIZE_MM(mm) - 1),
					  PAGE_SIZE_MM(mm));
	if (err)
		return err;
	emit(.kind = THPSIM_EV_WALK_BEGIN, .addr = addr, .val = 1,
	     .arg = THPSIM_WALKER_RCU);
	rcu_read_lock();	/* the upper levels, as the caller's walk */
	pmdp = rcu_walk_to_pmd(mm, addr);
	ptep = pmdp ? __pte_offset_map(mm, pmdp, addr, &pmdval) : NULL;
	if (ptep) {
		sched_point(RCU_WALK_AFTER_MAP);
		pte = ptep_get(ptep);
		walk_read(mm, 1, pmd_pfn(pmdval), addr, pte_val(pte));
		if (pte_out)
			*pte_out = pte_val(pte);
		pte_unmap_rcu(ptep);
	} else {
		walk_bail(2, addr, 0, "no PTE table (pte_offset_map NULL)");
		err = thpsim__err(-THPSIM_EFAULT,
				  "thpsim_rcu_walk: no PTE table maps 0x%llx",
				  (unsigned long long)addr);
	}
	rcu_read_unlock();
	emit(.kind = THPSIM_EV_WALK_END, .addr = addr, .arg = 0);
	return err;
}
