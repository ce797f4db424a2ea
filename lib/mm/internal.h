/*
 * mm/internal.h - the mm layer's structures and the kernel-named functions
 * its files share (kernel: mm/internal.h, include/linux/mm_types.h).
 *
 * Lock order: see machine/lock.h.  In short, mmap_lock > page lock >
 * anon_vma->rwsem / i_mmap_rwsem > pmd lock (mm->page_table_lock) > pte
 * lock (the table page's ptl) > the allocator's lock; the anon collapse
 * only trylocks pages under its rmap lock.
 *
 * Levels are numbered from the bottom: 1 = PTE table, 2 = the pmd table,
 * 3 = pud, 4 = p4d or pgd, 5 = pgd.  An entry at level L covers
 * 1 << mm->shift[L] bytes; a table at level L covers 1 << shift[L + 1].
 */
#ifndef THPSIM_MM_INTERNAL_H
#define THPSIM_MM_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "thpsim/mm.h"
#include "thpsim/strategy.h"
#include "arch/pgtable_x86.h"
#include "machine/cpu.h"
#include "machine/errors.h"
#include "machine/event.h"
#include "machine/list.h"
#include "machine/lock.h"
#include "machine/mutant.h"
#include "machine/phys.h"
#include "machine/rcu.h"
#include "machine/sched.h"

/* ---- VMAs and the objects they point at ------------------------------ */

#define VM_READ		0x00000001UL
#define VM_WRITE	0x00000002UL
#define VM_EXEC		0x00000004UL
#define VM_SHARED	0x00000008UL
/* Simulator flag: the kernel tells anonymous VMAs by vm_ops == NULL. */
#define VM_ANON		0x00100000UL

/* Models include/linux/rmap.h: struct anon_vma.  Simplified: one per
 * mapping (shared by the pieces of a split), no anon_vma_chain. */
struct anon_vma {
	struct rw_semaphore rwsem;
	_Atomic int refcount;		/* VMAs pointing here */
};

/* Models include/linux/fs.h: struct address_space (shmem-like). */
struct address_space {
	struct thpsim_file *host;
	struct rw_semaphore i_mmap_rwsem;
	struct list_head i_mmap;	/* VMAs mapping it, via vma->shared */
	spinlock_t i_pages_lock;	/* kernel: xa_lock(&mapping->i_pages) */
	struct page **i_pages;		/* one per pgoff, NULL = not cached */
	unsigned long nrpages;		/* cached pages */
	unsigned long size;		/* file size in pages */
};

struct thpsim_file {
	thpsim_machine_t *machine;
	struct phys *phys;
	struct address_space mapping;
};

struct vm_area_struct {
	unsigned long vm_start;
	unsigned long vm_end;		/* first address after */
	unsigned long vm_flags;
	pgprot_t vm_page_prot;
	unsigned long vm_pgoff;		/* file page of vm_start */
	struct mm_struct *vm_mm;
	struct anon_vma *anon_vma;	/* VM_ANON; a private file VMA once
					   it has an anon page */
	struct thpsim_file *vm_file;	/* file-backed */
	struct list_head vm_list;	/* mm->mmap, sorted by vm_start */
	struct list_head shared;	/* mapping->i_mmap */
};

enum { MM_FILEPAGES, MM_ANONPAGES, NR_MM_COUNTERS };

struct mm_struct {
	thpsim_machine_t *machine;
	struct phys *phys;
	thpsim_geometry_t geo;
	unsigned entry_bits;		/* log2(geo.entries) */
	/* shift[L]: log2 of the bytes one level-L entry covers, L = 1 ..
	 * levels + 1 (shift[levels + 1] = log2 of the address space). */
	unsigned shift[THPSIM_LEVELS_MAX + 2];
	unsigned long task_size;	/* 1 << shift[levels + 1] */
	/* thpsim_mm_munmap's VMAs for a split, under mmap_lock (write). */
	struct vm_area_struct *munmap_spare[2];
	struct page *pgd;		/* the root table */

	struct rw_semaphore mmap_lock;
	/* The pmd lock (no split PMD ptlocks) and the lock for populating
	 * any level above the PTE tables (kernel: page_table_lock). */
	spinlock_t page_table_lock;
	struct list_head mmap;		/* VMAs, under mmap_lock */
	_Atomic unsigned long map_count;
	/* CPUs running it (mm_cpumask): words changed with atomic bit
	 * operations by the CPUs themselves (thpsim_mm_switch), read with
	 * atomic loads by flushers (see flush_tlb_mm_range()). */
	thpsim_cpumask_t cpumask;
	_Atomic long nr_tables[THPSIM_LEVELS_MAX + 1];
	/* A table batch went to call_rcu(): thpsim_mm_destroy() waits. */
	_Atomic bool rcu_tables_queued;
	/* mmu_gathers under way (inc/dec_tlb_flush_pending): more than one
	 * means a concurrent zap may have skipped a flush (see
	 * tlb_finish_mmu()). */
	_Atomic int tlb_flush_pending;
	_Atomic long rss_stat[NR_MM_COUNTERS];

	/* The kernel configuration: set before use, read-only after
	 * (thpsim_mm_set_kconfig).  Only mm code reads it. */
	thpsim_kconfig_t kc;
	const struct strategy_entry *strat;	/* kc.strategy, defaults filled */
};

#define mm_cpumask(mm) (&(mm)->cpumask)

static inline const thpsim_profile_t *mm_profile(const struct mm_struct *mm)
{
	return mm->kc.profile;
}

static inline const thpsim_knobs_t *mm_knobs(const struct mm_struct *mm)
{
	return &mm->kc.knobs;
}

/* The strategy has the file path follow 6.6 locking (thpsim/strategy.h). */
static inline bool mm_file_locking_66(const struct mm_struct *mm)
{
	return mm->kc.strategy->file_locking == THPSIM_FILE_LOCKING_66;
}

/* ---- geometry helpers -------------------------------------------------- */

static inline unsigned long PAGE_SIZE_MM(const struct mm_struct *mm)
{
	return 1UL << mm->geo.page_shift;
}

static inline unsigned long level_size(const struct mm_struct *mm,
				       unsigned level)
{
	return 1UL << mm->shift[level];
}

static inline unsigned long level_mask(const struct mm_struct *mm,
				       unsigned level)
{
	return ~(level_size(mm, level) - 1);
}

/* PMD_SIZE / HPAGE_PMD_SIZE: the bytes a pmd entry (a PTE table) maps. */
static inline unsigned long HPAGE_PMD_SIZE(const struct mm_struct *mm)
{
	return level_size(mm, 2);
}

static inline unsigned HPAGE_PMD_ORDER(const struct mm_struct *mm)
{
	return mm->entry_bits;
}

static inline unsigned long HPAGE_PMD_NR(const struct mm_struct *mm)
{
	return 1UL << mm->entry_bits;
}

/* Models include/linux/pgtable.h: pXd_index(). */
static inline unsigned long pxd_index(const struct mm_struct *mm,
				      unsigned level, unsigned long addr)
{
	return (addr >> mm->shift[level]) & (mm->geo.entries - 1);
}

/* Models include/linux/pgtable.h: pXd_addr_end(): the end of the level
 * entry holding addr, or end if that comes first (wrap-safe). */
static inline unsigned long pxd_addr_end(const struct mm_struct *mm,
					 unsigned level, unsigned long addr,
					 unsigned long end)
{
	unsigned long next = (addr + level_size(mm, level)) &
			     level_mask(mm, level);

	return next - 1 < end - 1 ? next : end;
}

static inline unsigned long pmd_addr_end(const struct mm_struct *mm,
					 unsigned long addr, unsigned long end)
{
	return pxd_addr_end(mm, 2, addr, end);
}

static inline unsigned long pgd_addr_end(const struct mm_struct *mm,
					 unsigned long addr, unsigned long end)
{
	return pxd_addr_end(mm, mm->geo.levels, addr, end);
}

/* geometry.c */
void thpsim__geometry_derive(const thpsim_geometry_t *g, unsigned *entry_bits,
			     unsigned shift[THPSIM_LEVELS_MAX + 2]);

/* ---- locks --------------------------------------------------------------- */

static inline void mmap_read_lock(struct mm_struct *mm)
{
	down_read(&mm->mmap_lock);
}
static inline void mmap_read_unlock(struct mm_struct *mm)
{
	up_read(&mm->mmap_lock);
}
static inline void mmap_write_lock(struct mm_struct *mm)
{
	down_write(&mm->mmap_lock);
}
static inline void mmap_write_unlock(struct mm_struct *mm)
{
	up_write(&mm->mmap_lock);
}
static inline bool mmap_write_trylock(struct mm_struct *mm)
{
	return down_write_trylock(&mm->mmap_lock);
}

#define mmap_assert_locked(mm) lockdep_assert_held(&(mm)->mmap_lock)
#define mmap_assert_write_locked(mm) lockdep_assert_held_write(&(mm)->mmap_lock)

/* -THPSIM_ENOTCPU (message names fn) unless the caller is a CPU. */
int thpsim__need_cpu(const char *fn);

/* Models include/linux/mm.h: page_count() (Linux 6.1): the folio's. */
static inline int page_count(struct page *page)
{
	return page_ref_count(compound_head(page));
}

/* ---- counters ------------------------------------------------------------ */

static inline void add_mm_counter(struct mm_struct *mm, int member, long v)
{
	sched_fetch_add(&mm->rss_stat[member], v);
}

static inline void mm_inc_nr_tables(struct mm_struct *mm, unsigned level)
{
	sched_fetch_add(&mm->nr_tables[level], 1);
}

static inline void mm_dec_nr_tables(struct mm_struct *mm, unsigned level)
{
	sched_fetch_sub(&mm->nr_tables[level], 1);
}

/* ---- mmap.c ---------------------------------------------------------- */

struct vm_area_struct *find_vma(struct mm_struct *mm, unsigned long addr);
struct vm_area_struct *vma_lookup(struct mm_struct *mm, unsigned long addr);
static inline bool vma_is_anonymous(const struct vm_area_struct *vma)
{
	return vma->vm_flags & VM_ANON;
}
/* Check a user range: aligned, non-empty, inside the address space. */
int thpsim__check_range(struct mm_struct *mm, const char *fn, uint64_t addr,
			uint64_t len);

/* ---- rmap.c ---------------------------------------------------------- */

/* READ_ONCE(vma->anon_vma): for readers without the mmap lock (and the
 * checks that race with anon_vma_prepare()). */
static inline struct anon_vma *vma_anon_vma(const struct vm_area_struct *vma)
{
	return __atomic_load_n(&vma->anon_vma, __ATOMIC_ACQUIRE);
}
int anon_vma_prepare(struct vm_area_struct *vma);

struct anon_vma *anon_vma_alloc(void);
void anon_vma_get(struct anon_vma *av);
void anon_vma_put(struct anon_vma *av);
void anon_vma_lock_write(struct anon_vma *av);
void anon_vma_unlock_write(struct anon_vma *av);
void i_mmap_lock_write(struct address_space *mapping);
void i_mmap_unlock_write(struct address_space *mapping);
void i_mmap_lock_read(struct address_space *mapping);
void i_mmap_unlock_read(struct address_space *mapping);
void vma_link_rmap(struct vm_area_struct *vma);
void unlink_rmap(struct vm_area_struct *vma);
void page_add_new_anon_rmap(struct page *page, struct vm_area_struct *vma,
			    unsigned long addr);
void page_add_file_rmap(struct page *page, struct vm_area_struct *vma);
void page_remove_rmap(struct page *page, struct vm_area_struct *vma);

/*
 * Models mm/rmap.c's deferred unmap flush (Linux 6.1: current->tlb_ubc,
 * struct tlbflush_unmap_batch): try_to_unmap(TTU_BATCH_FLUSH) clears PTEs
 * and records which mms need a flush; try_to_unmap_flush() sends it, one
 * round for the whole batch.  Only where the architecture batches (6.1:
 * x86's ARCH_WANT_BATCHED_UNMAP_TLB_FLUSH; arm64 from 6.5): elsewhere each
 * PTE is flushed as it is cleared.
 */
#define TLB_UBC_MMS 4
struct tlbflush_unmap_batch {
	struct mm_struct *mm[TLB_UBC_MMS];
	unsigned nr;
};
#define TTU_BATCH_FLUSH 1u
void try_to_unmap(struct address_space *mapping, struct page *page,
		  unsigned long pgoff, unsigned flags,
		  struct tlbflush_unmap_batch *ubc);
void try_to_unmap_flush(struct tlbflush_unmap_batch *ubc);

/* ---- shmem.c ------------------------------------------------------------ */

/* The page cache page at pgoff with a reference for the caller, LOCKED
 * (unlock_page() once it is mapped), allocated on first use; NULL
 * (message set) when allocation fails. */
struct page *shmem_get_page(struct address_space *mapping,
			    unsigned long pgoff);

/* ---- memory.c ---------------------------------------------------------- */

typedef unsigned vm_fault_t;
#define VM_FAULT_OOM	0x1u
#define VM_FAULT_SIGBUS	0x2u
#define VM_FAULT_SIGSEGV 0x4u

#define FAULT_FLAG_WRITE 0x1u

vm_fault_t handle_mm_fault(struct vm_area_struct *vma, unsigned long addr,
			   unsigned flags);
/* Zap the pages of [start, end) inside vma; tables stay. */
void zap_page_range(struct vm_area_struct *vma, unsigned long start,
		    unsigned long end);
/* The pmd entry for addr, allocating missing upper tables when alloc. */
pmd_t *walk_to_pmd(struct mm_struct *mm, unsigned long addr, bool alloc);
int thpsim__fault_err(vm_fault_t ret, unsigned long addr);

/* ---- tlb.c ------------------------------------------------------------ */

void flush_tlb_range(struct vm_area_struct *vma, unsigned long start,
		     unsigned long end);
void flush_tlb_mm_range(struct mm_struct *mm, unsigned long start,
			unsigned long end, bool freed_tables);
/* A snapshot of mm_cpumask (atomic loads of its words). */
void mm_cpumask_read(struct mm_struct *mm, thpsim_cpumask_t *out);
/* Forget every CPU that runs mm (exit_mmap). */
void mm_cpumask_drop_all(struct mm_struct *mm);

/* ---- mmu_gather.c ------------------------------------------------------- */

#define MMU_GATHER_PAGES 16

/* Models include/asm-generic/tlb.h: struct mmu_gather (Linux 6.1).
 * Simplified: tables only (zap gathers its pages on its own); pages[] is
 * the tlb_remove_page() batch freed after the flush. */
struct mmu_gather {
	struct mm_struct *mm;
	unsigned long start, end;
	bool fullmm;			/* flush the whole mm (nested) */
	bool freed_tables;
	bool need_flush;
	struct page *batch;		/* the mmu_table_batch page, or NULL */
	unsigned nr_pages;
	struct page *pages[MMU_GATHER_PAGES];
};

void tlb_gather_mmu(struct mmu_gather *tlb, struct mm_struct *mm);
void tlb_finish_mmu(struct mmu_gather *tlb);
void tlb_flush_mmu(struct mmu_gather *tlb);
void tlb_flush_pte_range(struct mmu_gather *tlb, unsigned long addr,
			 unsigned long size);
void pte_free_tlb(struct mmu_gather *tlb, struct page *table,
		  unsigned long addr);
void tlb_remove_table(struct mmu_gather *tlb, struct page *table);
void tlb_remove_page_size(struct mmu_gather *tlb, struct page *page,
			  unsigned long size);
void tlb_remove_table_sync_one(struct mm_struct *mm);

/* ---- pgtable-generic.c -------------------------------------------------- */

pmd_t pmdp_collapse_flush(struct vm_area_struct *vma, unsigned long address,
			  pmd_t *pmdp);
pmd_t pmdp_invalidate(struct vm_area_struct *vma, unsigned long address,
		      pmd_t *pmdp);
void pte_free_defer(struct mm_struct *mm, struct page *table);
void pgtable_trans_huge_deposit(struct mm_struct *mm, pmd_t *pmdp,
				struct page *pgtable);
struct page *pgtable_trans_huge_withdraw(struct mm_struct *mm, pmd_t *pmdp);

/* ---- huge_memory.c ----------------------------------------------------- */

void split_huge_pmd(struct vm_area_struct *vma, pmd_t *pmdp,
		    unsigned long address);
/* Zap the huge pmd at pmdp (covering exactly [addr, +pmd size)): its
 * deposited table is freed, its page put after the flush. */
void zap_huge_pmd(struct vm_area_struct *vma, pmd_t *pmdp, unsigned long addr);

/* ---- khugepaged.c ------------------------------------------------------ */

/* mm/khugepaged.c's enum scan_result, from THPSIM_SCAN_RESULTS. */
enum scan_result {
#define SCAN_ENUM(name, doc) SCAN_##name = THPSIM_SCAN_##name,
	THPSIM_SCAN_RESULTS(SCAN_ENUM)
#undef SCAN_ENUM
};

int find_pmd_or_thp_or_none(struct mm_struct *mm, unsigned long address,
			    pmd_t **pmdp);
/* Checks shared by the public collapse calls: CPU, mm, pmd alignment. */
int thpsim__collapse_check(struct mm_struct *mm, const char *fn,
			   uint64_t addr);
void collapse_and_free_pmd(struct mm_struct *mm, struct vm_area_struct *vma,
			   unsigned long addr, pmd_t *pmdp);
/* The pmd-aligned address of pgoff in vma, or 0 when pgoff is outside vma
 * or the pmd range is not wholly inside it (retract_page_tables' alignment
 * check, the same in 6.1 and 6.6). */
unsigned long retract_addr(struct vm_area_struct *vma, unsigned long pgoff);
/* khugepaged_file66.c: the 6.6 file path (file_locking 6.6). */
void retract_page_tables_66(struct address_space *mapping, unsigned long pgoff);
int collapse_pte_mapped_thp(struct mm_struct *mm, unsigned long addr);

/* ---- strategy.c -------------------------------------------------------- */

struct strategy_entry;
/* The default configuration, set by thpsim_mm_create(). */
void thpsim__kconfig_init(struct mm_struct *mm);
/* Releases the mm's use of its strategy (thpsim_strategy_unregister). */
void thpsim__kconfig_fini(struct mm_struct *mm);
/* Hook calls: each reports STRATEGY when the strategy supplied it. */
int strategy_collapse_prepare(thpsim_strategy_ctx_t *ctx);
void strategy_collapse_after_flush(thpsim_strategy_ctx_t *ctx);
void strategy_collapse_after_isolate(thpsim_strategy_ctx_t *ctx);
void strategy_collapse_dispose_old_table(thpsim_strategy_ctx_t *ctx);
struct page *strategy_collapse_deposit_table(thpsim_strategy_ctx_t *ctx);
void strategy_collapse_after_deposit(thpsim_strategy_ctx_t *ctx);
void strategy_collapse_finish(thpsim_strategy_ctx_t *ctx);
void strategy_retract_clear_and_free(thpsim_strategy_ctx_t *ctx);

#include "mm/pgtable.h"

#endif /* THPSIM_MM_INTERNAL_H */
