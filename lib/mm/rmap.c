/*
 * mm/rmap.c - reverse mappings: anon_vma and the file's i_mmap tree, and
 * the page's mapcount.
 *
 * Simplified (see each function): one anon_vma per anonymous mapping,
 * shared by the pieces a split leaves, instead of anon_vma chains; i_mmap
 * is a list, not an interval tree.  The locks are taken where the kernel
 * takes them, because khugepaged (a later issue) relies on them: the anon
 * collapse holds anon_vma's rwsem for write to keep rmap walkers away from
 * the pmd it clears, and the file retract walks i_mmap under i_mmap_rwsem.
 */
#include <stdlib.h>

#include "mm/internal.h"
#include "machine/snapshot.h"

/* Models mm/rmap.c: anon_vma_alloc() (Linux 6.1).  NULL on host OOM. */
struct anon_vma *anon_vma_alloc(void)
{
	struct anon_vma *av = snap_calloc(1, sizeof(*av));

	if (!av)
		return NULL;
	init_rwsem(&av->rwsem, "anon_vma->rwsem");
	atomic_store(&av->refcount, 1);
	return av;
}

/*
 * Models mm/rmap.c: anon_vma_prepare() -> __anon_vma_prepare() (Linux
 * 6.6): give a private file VMA its anon_vma before its first anonymous
 * page (a COW copy or a UFFDIO_COPY page).  Anonymous VMAs here get theirs
 * at mmap.  The pointer is published under mm->page_table_lock with a
 * release store, because the 6.6 file retract reads it without the mmap
 * lock (READ_ONCE, khugepaged_file66.c).  Caller holds mmap_lock (read is
 * enough).  -THPSIM_ENOMEM on host OOM.
 */
int anon_vma_prepare(struct vm_area_struct *vma)
{
	struct mm_struct *mm = vma->vm_mm;
	struct anon_vma *av;

	mmap_assert_locked(mm);
	if (vma_anon_vma(vma))
		return 0;
	av = anon_vma_alloc();
	if (!av)
		return thpsim__err(-THPSIM_ENOMEM, "anon_vma_prepare: no host memory");
	anon_vma_lock_write(av);
	spin_lock(&mm->page_table_lock);
	if (!vma->anon_vma) {
		__atomic_store_n(&vma->anon_vma, av, __ATOMIC_RELEASE);
		av = NULL;
	}
	spin_unlock(&mm->page_table_lock);
	if (av) {
		anon_vma_unlock_write(av);
		anon_vma_put(av);
	} else {
		anon_vma_unlock_write(vma->anon_vma);
	}
	return 0;
}

/* Models mm/rmap.c: get_anon_vma() (Linux 6.1). */
void anon_vma_get(struct anon_vma *av)
{
	atomic_fetch_add(&av->refcount, 1);
}

/* Models mm/rmap.c: put_anon_vma() (Linux 6.1).  Pages still naming the
 * anon_vma as their mapping are gone by then: every VMA was zapped. */
void anon_vma_put(struct anon_vma *av)
{
	if (atomic_fetch_sub(&av->refcount, 1) == 1)
		snap_free(av);
}

/* Models include/linux/rmap.h: anon_vma_lock_write() / _unlock_write()
 * and include/linux/fs.h: i_mmap_lock_write() / i_mmap_lock_read() and
 * their unlocks (Linux 6.1). */
void anon_vma_lock_write(struct anon_vma *av)
{
	down_write(&av->rwsem);
}

void anon_vma_unlock_write(struct anon_vma *av)
{
	up_write(&av->rwsem);
}

void i_mmap_lock_write(struct address_space *mapping)
{
	down_write(&mapping->i_mmap_rwsem);
}

void i_mmap_unlock_write(struct address_space *mapping)
{
	up_write(&mapping->i_mmap_rwsem);
}

void i_mmap_lock_read(struct address_space *mapping)
{
	down_read(&mapping->i_mmap_rwsem);
}

void i_mmap_unlock_read(struct address_space *mapping)
{
	up_read(&mapping->i_mmap_rwsem);
}

/*
 * Models mm/mmap.c: vma_link() -> __vma_link_file() and the anon_vma_chain
 * link of anon_vma_prepare() (Linux 6.1).  Simplified: a file VMA joins
 * the mapping's i_mmap list; an anonymous VMA takes its lock only to
 * order against rmap walkers.  Caller holds mmap_lock for write.
 */
void vma_link_rmap(struct vm_area_struct *vma)
{
	mmap_assert_write_locked(vma->vm_mm);
	if (vma->vm_file) {
		struct address_space *mapping = &vma->vm_file->mapping;

		i_mmap_lock_write(mapping);
		list_add_tail(&vma->shared, &mapping->i_mmap);
		i_mmap_unlock_write(mapping);
	} else if (vma->anon_vma) {
		anon_vma_lock_write(vma->anon_vma);
		anon_vma_unlock_write(vma->anon_vma);
	}
}

/*
 * Models mm/mmap.c: unlink_file_vma() and mm/rmap.c: unlink_anon_vmas()
 * (Linux 6.1), as free_pgtables() calls them before freeing the tables.
 * Caller holds mmap_lock for write; the VMA is already zapped.
 */
void unlink_rmap(struct vm_area_struct *vma)
{
	mmap_assert_write_locked(vma->vm_mm);
	if (vma->vm_file) {
		struct address_space *mapping = &vma->vm_file->mapping;

		i_mmap_lock_write(mapping);
		list_del_init(&vma->shared);
		i_mmap_unlock_write(mapping);
	}
	if (vma->anon_vma) {
		anon_vma_lock_write(vma->anon_vma);
		anon_vma_unlock_write(vma->anon_vma);
		anon_vma_put(vma->anon_vma);
		vma->anon_vma = NULL;
	}
}

/*
 * Models mm/rmap.c: page_add_new_anon_rmap() (Linux 6.1).  The page is new
 * and not yet visible, so no lock is needed.  Simplified: mapcount counts
 * mappings from 0 (the kernel's _mapcount starts at -1); index is the
 * linear page index of addr.
 */
void page_add_new_anon_rmap(struct page *page, struct vm_area_struct *vma,
			    unsigned long addr)
{
	sched_access(page, true);
	atomic_store(&page->_mapcount, 1);
	SetPageAnon(page);
	page->mapping = vma->anon_vma;
	page->index = addr >> vma->vm_mm->geo.page_shift;
}

/* Models mm/rmap.c: page_add_file_rmap() (Linux 6.1).  Caller holds the
 * PTL of the PTE it is about to set. */
void page_add_file_rmap(struct page *page, struct vm_area_struct *vma)
{
	(void)vma;
	sched_access(page, true);
	sched_fetch_add(&page->_mapcount, 1);
}

/*
 * Models mm/rmap.c: page_remove_rmap() (Linux 6.1).  Caller holds the PTL
 * of the PTE it cleared.  The reference the mapping held is dropped later
 * by the caller, after the TLB flush (zap_pte_range()).
 */
void page_remove_rmap(struct page *page, struct vm_area_struct *vma)
{
	int old;

	(void)vma;
	sched_access(page, true);
	old = sched_fetch_sub(&page->_mapcount, 1);
	if (old <= 0)
		thpsim__bug(__FILE__, __LINE__,
			    "page_remove_rmap: pfn %lu mapcount was %d",
			    page_to_pfn(page), old);
}

/* ---- unmapping a file page --------------------------------------------- */

/* Models mm/rmap.c: should_defer_flush() (Linux 6.1): the caller asked to
 * batch and the architecture batches (6.1: only x86, whose flush is an
 * IPI; the broadcast-flush profiles flush each PTE at once). */
static bool should_defer_flush(struct mm_struct *mm, unsigned flags)
{
	return (flags & TTU_BATCH_FLUSH) &&
	       mm_profile(mm)->tlb_flush != THPSIM_TLB_FLUSH_BROADCAST;
}

/* Models mm/rmap.c: set_tlb_ubc_flush_pending() (Linux 6.1). */
static void set_tlb_ubc_flush_pending(struct tlbflush_unmap_batch *ubc,
				      struct mm_struct *mm)
{
	for (unsigned i = 0; i < ubc->nr; i++)
		if (ubc->mm[i] == mm)
			return;
	if (ubc->nr == TLB_UBC_MMS) {
		/* Full: flush what is pending, as the kernel's batch would
		 * by widening its cpumask; the order of flushes differs. */
		try_to_unmap_flush(ubc);
	}
	ubc->mm[ubc->nr++] = mm;
}

/*
 * Models mm/rmap.c: try_to_unmap_flush() (Linux 6.1) ->
 * arch_tlbbatch_flush(): one full flush of every mm the batch touched.
 * Simplified: one flush per mm instead of one IPI round to the union of
 * their cpumasks (the same CPUs are reached, in more rounds).
 */
void try_to_unmap_flush(struct tlbflush_unmap_batch *ubc)
{
	for (unsigned i = 0; i < ubc->nr; i++)
		flush_tlb_mm_range(ubc->mm[i], 0, ubc->mm[i]->task_size, false);
	ubc->nr = 0;
}

/* Models mm/rmap.c: try_to_unmap_one() (Linux 6.1) for a small shmem page
 * mapped by PTE at addr in vma.  Simplified: no mlock, no mmu notifier;
 * the reference the mapping held is dropped at once (the caller holds its
 * own and the page cache's, so the page stays). */
static void try_to_unmap_one(struct vm_area_struct *vma, struct page *page,
			     unsigned long addr, unsigned flags,
			     struct tlbflush_unmap_batch *ubc)
{
	struct mm_struct *mm = vma->vm_mm;
	pmd_t *pmdp = walk_to_pmd(mm, addr, false);
	spinlock_t *ptl;
	pte_t *ptep, pte;

	if (!pmdp || pmd_none(pmdp_get(pmdp)) || pmd_trans_huge(pmdp_get(pmdp)))
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
	if (should_defer_flush(mm, flags))
		set_tlb_ubc_flush_pending(ubc, mm);
	else
		flush_tlb_range(vma, addr, addr + PAGE_SIZE_MM(mm));
	if (pte_dirty(pte))
		SetPageDirty(page);
	page_remove_rmap(page, vma);
	add_mm_counter(mm, MM_FILEPAGES, -1);
	pte_unmap_unlock(ptep, ptl);
	put_page(page);
}

static bool vma_maps_pgoff(struct vm_area_struct *vma, unsigned long pgoff)
{
	unsigned long pages = (vma->vm_end - vma->vm_start) >>
			      vma->vm_mm->geo.page_shift;

	return pgoff >= vma->vm_pgoff && pgoff - vma->vm_pgoff < pages;
}

/* Models mm/rmap.c: try_to_unmap() -> rmap_walk_file() (Linux 6.1):
 * every PTE mapping page, in every VMA of the file.  Caller holds the
 * page lock. */
void try_to_unmap(struct address_space *mapping, struct page *page,
		  unsigned long pgoff, unsigned flags,
		  struct tlbflush_unmap_batch *ubc)
{
	struct vm_area_struct *vma;

	BUG_ON(!PageLocked(page));
	i_mmap_lock_read(mapping);
	list_for_each_entry(vma, &mapping->i_mmap, shared) {
		if (!vma_maps_pgoff(vma, pgoff))
			continue;
		try_to_unmap_one(vma, page, vma->vm_start +
				 ((pgoff - vma->vm_pgoff) <<
				  vma->vm_mm->geo.page_shift), flags, ubc);
	}
	i_mmap_unlock_read(mapping);
}
