/*
 * thpsim/mm.h - page-table geometry and simulated address spaces.
 *
 * API overview, in call order:
 *
 *   thpsim_geometry_default(&g);             x86-64: 4 levels x 512, 4 KiB
 *   thpsim_geometry_parse("2x4", &g);        or a small one for labs
 *   thpsim_geometry_validate(&g);            (done by every call taking g)
 *   thpsim_mm_create(m, &g, &mm);            an empty address space
 *     thpsim_file_create(m, nr_pages, &f);   a shmem-like file
 *     thpsim_mm_mmap_anon(mm, addr, len, &vma);
 *     thpsim_mm_mmap_file(mm, f, pgoff, addr, len);
 *     thpsim_mm_fault(mm, addr, write);      handle_mm_fault
 *     thpsim_mm_write(mm, addr, buf, len);   faults in as needed
 *     thpsim_mm_read(mm, addr, buf, len);    never faults
 *     thpsim_mm_walk(mm, addr, &walk);       entries and tables per level
 *     thpsim_mm_madvise_dontneed(mm, addr, len);   zap, keep tables
 *     thpsim_mm_munmap(mm, addr, len);       zap, then free_pgtables
 *     thpsim_mm_switch(mm);                  this CPU runs mm (mm_cpumask)
 *     thpsim_gup_fast(mm, addr, nr, pfns);   GUP-fast, slow path for the rest
 *     thpsim_unpin(mm, pfn);                 drop what gup returned
 *     thpsim_rcu_walk(mm, addr, &pte);       the 6.5+ RCU-only walker
 *     thpsim_collapse_anon(mm, addr);        khugepaged: anon THP collapse
 *     thpsim_collapse_file(mm, addr);        khugepaged: shmem collapse +
 *                                            retract_page_tables
 *     thpsim_split_huge_pmd(mm, addr);       huge pmd back to a PTE table
 *     thpsim_mm_unuse(mm);                   this CPU stops running mm
 *   thpsim_mm_destroy(mm);                   exit_mmap: frees every table
 *   thpsim_file_destroy(f);                  frees the page cache
 *
 * The kernel configuration (arch profile, fix strategy, knobs) is set with
 * thpsim_mm_set_kconfig() (thpsim/strategy.h); the default is arm64 with
 * the 6.1 code before the fix and the GUP-fast pmd recheck on.
 *
 * Levels are numbered from the bottom: level 1 holds PTEs, level 2 is
 * always "the pmd" (the level THP maps at), and level g.levels is the
 * root (the pgd; with 2 levels the root is the pmd table).
 *
 * Calls that take mm locks (mmap, munmap, madvise, fault, read, write,
 * walk, mm and file destroy) must run on a registered CPU
 * (thpsim_cpu_register), since locks record their owner; elsewhere they
 * return -THPSIM_ENOTCPU.  Creating, the getters, stats and the geometry
 * helpers work on any thread.
 */
#ifndef THPSIM_MM_H
#define THPSIM_MM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "thpsim/errors.h"
#include "thpsim/machine.h"

#ifdef __cplusplus
extern "C" {
#endif

#define THPSIM_LEVELS_MIN 2
#define THPSIM_LEVELS_MAX 5
#define THPSIM_ENTRIES_MIN 4
#define THPSIM_ENTRIES_MAX 512

/* ---- geometry ------------------------------------------------------------ */

typedef struct thpsim_geometry {
	unsigned levels;	/* 2..5 */
	unsigned entries;	/* per table, a power of two, 4..512 */
	unsigned page_shift;	/* page size 1 << page_shift, 6..16 and at
				   least entries * 8 bytes */
} thpsim_geometry_t;

/* x86-64: 4 levels x 512 entries, 4 KiB pages (2 MiB THP). */
void thpsim_geometry_default(thpsim_geometry_t *g);
/*
 * Parse "LxE" (levels x entries), e.g. "2x4" or "4x512"; page_shift is
 * set to 12.  Strict: no spaces, signs, suffixes or leading zeros.
 * -THPSIM_EINVAL with a message naming the bad part.
 */
int thpsim_geometry_parse(const char *s, thpsim_geometry_t *g);
/* -THPSIM_EINVAL naming the bad value and its allowed range. */
int thpsim_geometry_validate(const thpsim_geometry_t *g);
/* log2 of the bytes one entry at level covers (level 1: the page shift;
 * level 2: PMD_SHIFT; ...).  0 for a level outside 1..levels+1. */
unsigned thpsim_geometry_level_shift(const thpsim_geometry_t *g,
				     unsigned level);
/* Bytes one pmd entry maps: HPAGE_PMD_SIZE = entries pages. */
uint64_t thpsim_geometry_hpage_size(const thpsim_geometry_t *g);
/* Bytes of the whole address space: entries^levels pages. */
uint64_t thpsim_geometry_va_size(const thpsim_geometry_t *g);

/* ---- address spaces ---------------------------------------------------- */

/* Opaque; the tags are the kernel's names so lab code reads like it. */
typedef struct mm_struct thpsim_mm_t;
typedef struct vm_area_struct thpsim_vma_t;
typedef struct thpsim_file thpsim_file_t;

/*
 * Create an address space with geometry g (NULL: the default with the
 * machine's page size).  g->page_shift must equal the machine's.  The root
 * table is allocated here (-THPSIM_ENOFRAME when it cannot be).
 */
int thpsim_mm_create(thpsim_machine_t *m, const thpsim_geometry_t *g,
		     thpsim_mm_t **out);
/* exit_mmap: unmap everything, free every table and the root.  NULL is a
 * no-op (returns 0). */
int thpsim_mm_destroy(thpsim_mm_t *mm);
const thpsim_geometry_t *thpsim_mm_geometry(const thpsim_mm_t *mm);
thpsim_machine_t *thpsim_mm_machine(const thpsim_mm_t *mm);

/* A shmem-like file of nr_pages pages; pages are allocated on first
 * fault and stay in its page cache until thpsim_file_destroy. */
int thpsim_file_create(thpsim_machine_t *m, uint64_t nr_pages,
		       thpsim_file_t **out);
/* -THPSIM_EBUSY while a VMA still maps the file.  NULL: no-op. */
int thpsim_file_destroy(thpsim_file_t *f);
/* The pfn caching page pgoff, -THPSIM_ENOENT when not cached. */
int thpsim_file_page_pfn(thpsim_file_t *f, uint64_t pgoff, uint64_t *pfn);

/*
 * Map [addr, addr + len) anonymous, private, readable and writable.  addr
 * and len must be page-aligned, len > 0, inside the address space and not
 * overlapping another VMA.  vma may be NULL.
 */
int thpsim_mm_mmap_anon(thpsim_mm_t *mm, uint64_t addr, uint64_t len,
			thpsim_vma_t **vma);
/* Map file pages [pgoff, pgoff + len / page size) shared at addr. */
int thpsim_mm_mmap_file(thpsim_mm_t *mm, thpsim_file_t *f, uint64_t pgoff,
			uint64_t addr, uint64_t len);
/* Map file pages [pgoff, ...) private (MAP_PRIVATE) at addr: a read
 * fault maps the file's page read-only; a write copies it into an
 * anonymous page first (do_cow_fault / wp_page_copy), which gives the VMA
 * its anon_vma. */
int thpsim_mm_mmap_file_private(thpsim_mm_t *mm, thpsim_file_t *f,
				uint64_t pgoff, uint64_t addr, uint64_t len);
/*
 * UFFDIO_COPY (mfill_atomic_pte_copy(), Linux 6.6): fill the unmapped
 * pages of [addr, addr + len) (page-aligned) in a private VMA with fresh
 * anonymous pages holding buf's bytes, without looking at the page cache.
 * Simplified: no userfaultfd registration (any private VMA accepts it).
 * -THPSIM_EEXIST when a page is already mapped there, -THPSIM_EBUSY when
 * the page table went away under the copy (the kernel's -EAGAIN: retry),
 * -THPSIM_EINVAL for a shared VMA (shmem_mfill_atomic_pte is not
 * modelled); pages copied before an error stay.
 */
int thpsim_mm_uffd_copy(thpsim_mm_t *mm, uint64_t addr, const void *buf,
			uint64_t len);
/* Unmap (splitting VMAs as needed), then free the page tables no VMA
 * covers any more.  Holes in the range are allowed. */
int thpsim_mm_munmap(thpsim_mm_t *mm, uint64_t addr, uint64_t len);
/* MADV_DONTNEED: zap the pages, keep the tables.  A hole in the range
 * returns -THPSIM_EFAULT after the mapped parts were zapped. */
int thpsim_mm_madvise_dontneed(thpsim_mm_t *mm, uint64_t addr, uint64_t len);
/* Fault the page holding addr in (handle_mm_fault). */
int thpsim_mm_fault(thpsim_mm_t *mm, uint64_t addr, bool write);
/* Copy through the page tables, faulting pages in first. */
int thpsim_mm_write(thpsim_mm_t *mm, uint64_t addr, const void *buf,
		    size_t len);
/* Copy through the page tables; a page not present (or no VMA) is
 * -THPSIM_EFAULT: reads never change the mapping. */
int thpsim_mm_read(thpsim_mm_t *mm, uint64_t addr, void *buf, size_t len);

/* What a locked walk of one address found (tests and labs). */
typedef struct thpsim_walk {
	unsigned levels;
	/* Pfn of the table read at each level (index = level, 1..levels);
	 * UINT64_MAX where the walk did not reach that level. */
	uint64_t table_pfn[THPSIM_LEVELS_MAX + 1];
	/* The entry value read at each level (0 where not reached). */
	uint64_t entry[THPSIM_LEVELS_MAX + 1];
	unsigned leaf_level;	/* level of the last entry read */
	bool present;		/* a page is mapped at addr */
	bool huge;		/* mapped by a huge pmd */
	bool write;		/* the leaf entry allows writes */
	uint64_t pfn;		/* the page holding addr when present */
} thpsim_walk_t;

/* 0 when a page is mapped at addr; -THPSIM_EFAULT (walk still filled as
 * far as it got) when not. */
int thpsim_mm_walk(thpsim_mm_t *mm, uint64_t addr, thpsim_walk_t *out);

/*
 * switch_mm: the calling CPU now runs mm (its active_mm; its bit in
 * mm_cpumask, cleared from the mm it ran before), so IPI-based TLB
 * flushes of mm reach it.  GUP-fast switches implicitly (it walks
 * current->mm); call it for other threads of the process (a user thread
 * that zaps) so x86 flushes see them.
 */
int thpsim_mm_switch(thpsim_mm_t *mm);
/* The calling CPU stops running mm (no-op if it does not). */
int thpsim_mm_unuse(thpsim_mm_t *mm);

/* ---- GUP and the lockless walkers ------------------------------------ */

/*
 * get_user_pages_fast() for nr pages from page-aligned addr (read
 * access, FOLL_GET): the lockless walk with interrupts soft-masked, then
 * the slow path (mmap_read_lock, faulting pages in) for the rest.
 * pfns[i] receives the page of addr + i pages; each holds one reference
 * until thpsim_unpin().  Returns the number of pages (a prefix of the
 * range; fewer when a page cannot be had) or a negative error.
 */
int thpsim_gup_fast(thpsim_mm_t *mm, uint64_t addr, unsigned nr,
		    uint64_t *pfns);
/* The lockless part alone (FOLL_FAST_ONLY): 0..nr, never faults. */
int thpsim_gup_fast_only(thpsim_mm_t *mm, uint64_t addr, unsigned nr,
			 uint64_t *pfns);
/* unpin_user_page(): drop one reference that gup returned. */
int thpsim_unpin(thpsim_mm_t *mm, uint64_t pfn);
/* unpin_user_pages(): thpsim_unpin() on each; stops at the first error. */
int thpsim_unpin_pages(thpsim_mm_t *mm, const uint64_t *pfns, unsigned nr);
/*
 * The 6.5+ walker: pte_offset_map() under rcu_read_lock() with
 * interrupts on, one PTE read, rcu_read_unlock().  *pte receives the
 * value; -THPSIM_EFAULT when no PTE table maps addr (none or huge pmd).
 */
int thpsim_rcu_walk(thpsim_mm_t *mm, uint64_t addr, uint64_t *pte);

/* ---- khugepaged and huge pmds ---------------------------------------- */

/* X(name, meaning): mm/khugepaged.c's enum scan_result (Linux 6.1). */
#define THPSIM_SCAN_RESULTS(X)                                               \
	X(FAIL, "failed")                                                    \
	X(SUCCEED, "succeeded")                                              \
	X(PMD_NULL, "no pmd (upper table missing)")                          \
	X(PMD_NONE, "pmd is none")                                           \
	X(PMD_MAPPED, "pmd already maps a huge page")                        \
	X(EXCEED_NONE_PTE, "too many none PTEs")                             \
	X(EXCEED_SWAP_PTE, "too many swap PTEs")                             \
	X(EXCEED_SHARED_PTE, "too many shared pages")                        \
	X(PTE_NON_PRESENT, "a PTE is not present")                           \
	X(PTE_UFFD_WP, "a PTE is uffd write-protected")                      \
	X(PTE_MAPPED_HUGEPAGE, "retract deferred (mmap lock busy)")          \
	X(PAGE_RO, "no writable PTE")                                        \
	X(LACK_REFERENCED_PAGE, "no referenced page")                        \
	X(PAGE_NULL, "no page behind a PTE")                                 \
	X(SCAN_ABORT, "scan aborted")                                        \
	X(PAGE_COUNT, "a page has extra references (pinned)")                \
	X(PAGE_LRU, "a page is not on the LRU")                              \
	X(PAGE_LOCK, "a page is locked")                                     \
	X(PAGE_ANON, "a page is not anonymous")                              \
	X(PAGE_COMPOUND, "a page is compound")                               \
	X(ANY_PROCESS, "the process is exiting")                             \
	X(VMA_NULL, "no VMA")                                                \
	X(VMA_CHECK, "the VMA cannot take a THP")                            \
	X(ADDRESS_RANGE, "the range is not inside one VMA")                  \
	X(DEL_PAGE_LRU, "could not isolate a page")                          \
	X(ALLOC_HUGE_PAGE_FAIL, "huge page allocation failed")               \
	X(CGROUP_CHARGE_FAIL, "memcg charge failed")                         \
	X(TRUNCATED, "the file was truncated")                               \
	X(PAGE_HAS_PRIVATE, "a page has private data")

typedef enum thpsim_scan_result {
#define THPSIM__SCAN_ENUM(name, doc) THPSIM_SCAN_##name,
	THPSIM_SCAN_RESULTS(THPSIM__SCAN_ENUM)
#undef THPSIM__SCAN_ENUM
	THPSIM_SCAN__NR
} thpsim_scan_result_t;

/* "SCAN_SUCCEED", ...; "?" outside the enum (negative errors too). */
const char *thpsim_scan_result_name(int result);
/* The meaning ("succeeded", ...); "" outside the enum. */
const char *thpsim_scan_result_doc(int result);

/*
 * khugepaged on the anonymous pmd range holding addr (pmd-aligned): the
 * 6.1 collapse_huge_page() with the mm's strategy hooks.  Returns the
 * scan result (THPSIM_SCAN_SUCCEED: a huge pmd maps the range now) or a
 * negative error (not a CPU, bad arguments).
 */
int thpsim_collapse_anon(thpsim_mm_t *mm, uint64_t addr);
/*
 * khugepaged on the shmem file mapped at addr (pmd-aligned, inside one
 * file VMA, file offset aligned to the pmd size): collapse_file() builds
 * one huge page-cache page from the small ones, then
 * retract_page_tables() clears and frees the PTE tables of every VMA
 * mapping that range (the strategy's retract hook).  Returns the scan
 * result or a negative error.
 */
int thpsim_collapse_file(thpsim_mm_t *mm, uint64_t addr);
/*
 * khugepaged's follow-up on a range (addr pmd-aligned) that the page
 * cache already holds huge but this mm maps with PTEs
 * (collapse_pte_mapped_thp(), Linux 6.6): if every PTE maps the matching
 * subpage, clear them and free the table (by RCU).
 * Under mmap_read_lock where the strategy's file path follows 6.6
 * locking, else under mmap_write_lock.  Returns the scan result
 * (SCAN_FAIL when a PTE maps another page, e.g. a private copy) or a
 * negative error.
 */
int thpsim_collapse_pte_mapped_thp(thpsim_mm_t *mm, uint64_t addr);
/*
 * split_huge_pmd(): the huge pmd mapping addr becomes a PTE table again
 * (the deposited table withdrawn and filled).  0, or -THPSIM_EFAULT when
 * no huge pmd maps addr.  munmap and MADV_DONTNEED handle huge pmds
 * themselves: a whole pmd range is zapped with its deposited table, a
 * part of one is split first.
 */
int thpsim_split_huge_pmd(thpsim_mm_t *mm, uint64_t addr);

typedef struct thpsim_mm_stats {
	uint64_t nr_vmas;
	uint64_t nr_tables[THPSIM_LEVELS_MAX + 1];	/* live, per level */
	uint64_t anon_pages;	/* MM_ANONPAGES */
	uint64_t file_pages;	/* MM_FILEPAGES */
} thpsim_mm_stats_t;

void thpsim_mm_stats(thpsim_mm_t *mm, thpsim_mm_stats_t *out);

#ifdef __cplusplus
}
#endif
#endif /* THPSIM_MM_H */
