/*
 * mm/pgtable.h - loads and stores of live page-table entries, table
 * offsets and the table allocation / population / free calls.
 *
 * Entries are 64-bit words inside table frames of the simulated physical
 * memory.  Every load and store of a live entry is one atomic access (the
 * kernel's READ_ONCE / WRITE_ONCE) and passes a scheduling point first, so
 * a deterministic schedule can stop a walker between any two entry reads.
 * Loads are acquire and stores release: a walker that sees a new table's
 * pmd also sees the zeroes the allocator wrote into it (the kernel gets the
 * same from the smp_wmb() in pmd_install()).
 *
 * Offsets descend from an entry *value*, never by re-reading the entry, as
 * the kernel's lockless walkers do (pte_offset_map(&pmd, addr) on a local
 * copy): that is exactly what lets GUP-fast reach a table that was detached
 * after it read the pmd.  A value whose pfn lies outside the arena yields
 * NULL instead of a pointer.
 */
#ifndef THPSIM_MM_PGTABLE_H
#define THPSIM_MM_PGTABLE_H

/* Included from mm/internal.h. */

static inline uint64_t __entry_load(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static inline void __entry_store(uint64_t *p, uint64_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

/* An exchange; under the deterministic scheduler a load and a store, as
 * sched_fetch_add() (machine/sched.h). */
static inline uint64_t __entry_xchg(uint64_t *p, uint64_t v)
{
	uint64_t old;

	if (!thpsim__serial)
		return __atomic_exchange_n(p, v, __ATOMIC_SEQ_CST);
	old = __atomic_load_n(p, __ATOMIC_RELAXED);
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
	return old;
}

/*
 * Every store of an entry is reported as an ENTRY_SET event (the oracle's
 * view of the mapping): the table frame, index, level, the first address
 * the entry covers, old and new value.  With no subscriber the store is a
 * plain release store; with one, an exchange, so the old value reported
 * is the one really replaced.  No scheduling point lies between the store
 * and its event, so a deterministic run sees them as one step.
 */
#define PT_ADDR_UNKNOWN (~0UL)

/* pgtable.c: report a store to the entry at entryp. */
void pt_entry_event(struct mm_struct *mm, const void *entryp,
		    unsigned long addr, uint64_t old, uint64_t new);

static inline void __entry_set(struct mm_struct *mm, uint64_t *p,
			       unsigned long addr, uint64_t v)
{
	sched_point(ENTRY_STORE);
	sched_access_entry(p, true);
	phys_mark_entry_dirty(mm->phys, p);
	if (__builtin_expect(thpsim__event_nr_sinks == 0, 1)) {
		__entry_store(p, v);
		return;
	}
	event_store_begin();
	pt_entry_event(mm, p, addr, __atomic_exchange_n(p, v, __ATOMIC_ACQ_REL),
		       v);
	event_store_end();
}

static inline uint64_t __entry_get_and_set(struct mm_struct *mm, uint64_t *p,
					   unsigned long addr, uint64_t v)
{
	uint64_t old;

	sched_point(ENTRY_STORE);
	sched_access_entry(p, true);
	phys_mark_entry_dirty(mm->phys, p);
	event_store_begin();
	old = __entry_xchg(p, v);
	if (__builtin_expect(thpsim__event_nr_sinks != 0, 0))
		pt_entry_event(mm, p, addr, old, v);
	event_store_end();
	return old;
}

/* ---- PTEs ------------------------------------------------------------- */

/* Models include/linux/pgtable.h: ptep_get() (Linux 6.1): READ_ONCE. */
static inline pte_t ptep_get(pte_t *ptep)
{
	sched_point(ENTRY_LOAD);
	sched_access_entry(ptep, false);
	return __pte(__entry_load(&ptep->pte));
}

/* x86-64 reads a PTE in one access: the same as ptep_get(). */
static inline pte_t ptep_get_lockless(pte_t *ptep)
{
	return ptep_get(ptep);
}

/* Models arch/x86/include/asm/pgtable.h: set_pte_at() and pte_clear()
 * (Linux 6.1): WRITE_ONCE. */
static inline void set_pte_at(struct mm_struct *mm, unsigned long addr,
			      pte_t *ptep, pte_t pte)
{
	__entry_set(mm, &ptep->pte, addr, pte_val(pte));
}

static inline void pte_clear(struct mm_struct *mm, unsigned long addr,
			     pte_t *ptep)
{
	set_pte_at(mm, addr, ptep, __pte(0));
}

/* Models arch/x86/include/asm/pgtable.h: ptep_get_and_clear() (Linux 6.1):
 * one atomic exchange, so no hardware A/D update can be lost. */
static inline pte_t ptep_get_and_clear(struct mm_struct *mm,
				       unsigned long addr, pte_t *ptep)
{
	return __pte(__entry_get_and_set(mm, &ptep->pte, addr, 0));
}

/* Models include/linux/pgtable.h: ptep_clear() (Linux 6.1).  Simplified:
 * no page_table_check. */
static inline void ptep_clear(struct mm_struct *mm, unsigned long addr,
			      pte_t *ptep)
{
	(void)ptep_get_and_clear(mm, addr, ptep);
}

/* ---- pmds --------------------------------------------------------------- */

/* Models include/linux/pgtable.h: pmdp_get() / pmdp_get_lockless() (Linux
 * 6.1; x86-64 reads a pmd in one access). */
static inline pmd_t pmdp_get(pmd_t *pmdp)
{
	sched_point(ENTRY_LOAD);
	sched_access_entry(pmdp, false);
	return __pmd(__entry_load(&pmdp->pmd));
}

static inline pmd_t pmdp_get_lockless(pmd_t *pmdp)
{
	return pmdp_get(pmdp);
}

/* Models arch/x86/include/asm/pgtable.h: set_pmd_at() / pmd_clear()
 * (Linux 6.1).  Simplified: pmd_clear() takes mm and addr like
 * pte_clear(), so the store can be reported (addr may be
 * PT_ADDR_UNKNOWN: taken from the live table then). */
static inline void set_pmd_at(struct mm_struct *mm, unsigned long addr,
			      pmd_t *pmdp, pmd_t pmd)
{
	__entry_set(mm, &pmdp->pmd, addr, pmd_val(pmd));
}

static inline void pmd_clear(struct mm_struct *mm, unsigned long addr,
			     pmd_t *pmdp)
{
	set_pmd_at(mm, addr, pmdp, __pmd(0));
}

/* Models arch/x86/include/asm/pgtable.h: pmdp_huge_get_and_clear() (Linux
 * 6.1). */
static inline pmd_t pmdp_huge_get_and_clear(struct mm_struct *mm,
					    unsigned long addr, pmd_t *pmdp)
{
	return __pmd(__entry_get_and_set(mm, &pmdp->pmd, addr, 0));
}

/* Models arch/x86/include/asm/pgtable.h: pmdp_establish() (Linux 6.1):
 * exchange, so no A/D update of the old value is lost. */
static inline pmd_t pmdp_establish(struct vm_area_struct *vma,
				   unsigned long addr, pmd_t *pmdp, pmd_t pmd)
{
	return __pmd(__entry_get_and_set(vma->vm_mm, &pmdp->pmd, addr,
					 pmd_val(pmd)));
}

/* ---- levels above the pmd ----------------------------------------------- */

/* Models READ_ONCE(*pudp) / set_pud() / pud_clear() and their p4d and pgd
 * siblings (Linux 6.1), one set for every level above the pmd (with mm
 * and addr, as pmd_clear() here). */
static inline pxd_t pxdp_get(pxd_t *pxdp)
{
	sched_point(ENTRY_LOAD);
	sched_access_entry(pxdp, false);
	return __pxd(__entry_load(&pxdp->pxd));
}

static inline void set_pxd(struct mm_struct *mm, unsigned long addr,
			   pxd_t *pxdp, pxd_t e)
{
	__entry_set(mm, &pxdp->pxd, addr, pxd_val(e));
}

static inline void pxd_clear(struct mm_struct *mm, unsigned long addr,
			     pxd_t *pxdp)
{
	set_pxd(mm, addr, pxdp, __pxd(0));
}

/* ---- offsets ------------------------------------------------------------ */

/* The level-level entry for addr in the table at pfn; NULL when the pfn is
 * outside the arena. */
static inline uint64_t *pt_entry(struct mm_struct *mm, unsigned long pfn,
				 unsigned level, unsigned long addr)
{
	uint64_t *base = pfn_to_virt(mm->phys, pfn);

	if (!base)
		return NULL;
	phys_bytes_expose(mm->phys, pfn);	/* entries are real bytes */
	return base + pxd_index(mm, level, addr);
}

/* Models include/linux/pgtable.h: pgd_offset() (Linux 6.1): the root entry
 * for addr.  With two levels the root is the pmd table: use
 * walk_to_pmd() there. */
static inline pxd_t *pgd_offset(struct mm_struct *mm, unsigned long addr)
{
	return (pxd_t *)pt_entry(mm, page_to_pfn(mm->pgd), mm->geo.levels,
				 addr);
}

/* Models pud_offset() / p4d_offset() (Linux 6.1): the entry at level
 * (>= 3) in the table that parent (one level up) points at. */
static inline pxd_t *pxd_offset(struct mm_struct *mm, pxd_t parent,
				unsigned level, unsigned long addr)
{
	return (pxd_t *)pt_entry(mm, pxd_pfn(parent), level, addr);
}

/* Models include/linux/pgtable.h: pmd_offset() (Linux 6.1).  Simplified:
 * from the pud value, as pmd_offset_lockless() does. */
static inline pmd_t *pmd_offset(struct mm_struct *mm, pxd_t pud,
				unsigned long addr)
{
	return (pmd_t *)pt_entry(mm, pxd_pfn(pud), 2, addr);
}

/* Models include/linux/pgtable.h: pte_offset_kernel() (Linux 6.1).
 * Simplified: takes the pmd value, as GUP-fast passes its local copy. */
static inline pte_t *pte_offset_kernel(struct mm_struct *mm, pmd_t pmd,
				       unsigned long addr)
{
	return (pte_t *)pt_entry(mm, pmd_pfn(pmd), 1, addr);
}

/* 64-bit without HIGHPTE: mapping a PTE table is pte_offset_kernel(). */
#define pte_offset_map(mm, pmd, addr) pte_offset_kernel(mm, pmd, addr)
static inline void pte_unmap(pte_t *ptep)
{
	(void)ptep;
}

/* ---- locks ------------------------------------------------------------- */

/* Models include/linux/mm.h: pte_lockptr() (Linux 6.1): the split PTL
 * lives in the PTE table's struct page (NULL for a garbage pmd). */
static inline spinlock_t *pte_lockptr(struct mm_struct *mm, pmd_t pmd)
{
	struct page *pt = pfn_to_page(mm->phys, pmd_pfn(pmd));

	return pt ? &pt->ptl : NULL;
}

/* Models include/linux/mm.h: pmd_lockptr() / pmd_lock() (Linux 6.1)
 * without split PMD ptlocks: every pmd shares mm->page_table_lock. */
static inline spinlock_t *pmd_lockptr(struct mm_struct *mm, pmd_t *pmdp)
{
	(void)pmdp;
	return &mm->page_table_lock;
}

static inline spinlock_t *pmd_lock(struct mm_struct *mm, pmd_t *pmdp)
{
	spinlock_t *ptl = pmd_lockptr(mm, pmdp);

	spin_lock(ptl);
	return ptl;
}

/* pgtable.c */
pte_t *pte_offset_map_lock(struct mm_struct *mm, pmd_t *pmdp,
			   unsigned long addr, spinlock_t **ptlp);
#define pte_unmap_unlock(ptep, ptl)                                          \
	do {                                                                 \
		pte_unmap(ptep);                                             \
		spin_unlock(ptl);                                            \
	} while (0)

/* ---- tables (pgtable.c) ------------------------------------------------- */

/* pt_alloc_one(mm, level) / pt_free() are the kernel's pte_alloc_one,
 * pmd_alloc_one, pud_alloc_one ... and their frees, for any level. */
struct page *pt_alloc_one(struct mm_struct *mm, unsigned level);
void pt_free(struct mm_struct *mm, struct page *table);
static inline struct page *pte_alloc_one(struct mm_struct *mm)
{
	return pt_alloc_one(mm, 1);
}
void pt_free_page(struct page *table);
/* Models include/asm-generic/pgalloc.h: pte_free() (Linux 6.1): now. */
static inline void pte_free(struct mm_struct *mm, struct page *table)
{
	pt_free(mm, table);
}
/* The first address the entry at entryp (in a LIVE table) covers. */
unsigned long pt_entry_addr(struct mm_struct *mm, const void *entryp);
void pmd_populate(struct mm_struct *mm, pmd_t *pmdp, struct page *table);
void pxd_populate(struct mm_struct *mm, pxd_t *pxdp, struct page *table);
int __pte_alloc(struct mm_struct *mm, pmd_t *pmdp);
int __pxd_alloc(struct mm_struct *mm, uint64_t *entryp, unsigned level);
int pgd_alloc(struct mm_struct *mm);
void pgd_free(struct mm_struct *mm);
struct mmu_gather;
void free_pgd_range(struct mmu_gather *tlb, struct mm_struct *mm,
		    unsigned long addr, unsigned long end, unsigned long floor,
		    unsigned long ceiling);

#endif /* THPSIM_MM_PGTABLE_H */
