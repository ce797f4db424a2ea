/*
 * mm/internal.h - the mm layer's structures and the kernel-named functions
 * its files share (kernel: mm/internal.h, include/linux/mm_types.h).
 *
 * Lock order: see machine/lock.h.  In short, mmap_lock > anon_vma->rwsem /
 * i_mmap_rwsem > page lock > pmd lock (mm->page_table_lock) > pte lock
 * (the table page's ptl) > the allocator's lock.
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
#include "arch/pgtable_x86.h"
#include "machine/cpu.h"
#include "machine/errors.h"
#include "machine/list.h"
#include "machine/lock.h"
#include "machine/phys.h"
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
	struct anon_vma *anon_vma;	/* VM_ANON */
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
	struct page *pgd;		/* the root table */

	struct rw_semaphore mmap_lock;
	/* The pmd lock (no split PMD ptlocks) and the lock for populating
	 * any level above the PTE tables (kernel: page_table_lock). */
	spinlock_t page_table_lock;
	struct list_head mmap;		/* VMAs, under mmap_lock */
	_Atomic unsigned long map_count;
	thpsim_cpumask_t cpumask;	/* CPUs that ran it (mm_cpumask) */
	_Atomic long nr_tables[THPSIM_LEVELS_MAX + 1];
	_Atomic long rss_stat[NR_MM_COUNTERS];
};

#define mm_cpumask(mm) (&(mm)->cpumask)

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

#define mmap_assert_locked(mm) lockdep_assert_held(&(mm)->mmap_lock)
#define mmap_assert_write_locked(mm) lockdep_assert_held_write(&(mm)->mmap_lock)

/* -THPSIM_ENOTCPU (message names fn) unless the caller is a CPU. */
int thpsim__need_cpu(const char *fn);

/* ---- counters ------------------------------------------------------------ */

static inline void add_mm_counter(struct mm_struct *mm, int member, long v)
{
	atomic_fetch_add(&mm->rss_stat[member], v);
}

static inline void mm_inc_nr_tables(struct mm_struct *mm, unsigned level)
{
	atomic_fetch_add(&mm->nr_tables[level], 1);
}

static inline void mm_dec_nr_tables(struct mm_struct *mm, unsigned level)
{
	atomic_fetch_sub(&mm->nr_tables[level], 1);
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

/* ---- shmem.c ------------------------------------------------------------ */

/* The page cache page at pgoff with a reference for the caller, allocated
 * on first use; NULL (message set) when allocation fails. */
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

#include "mm/pgtable.h"

#endif /* THPSIM_MM_INTERNAL_H */
