/*
 * mm/userfaultfd.c - UFFDIO_COPY into a private VMA (Linux 6.6
 * mfill_atomic() -> mfill_atomic_pte_copy()).
 *
 * Why it is here: it is the one way to put an anonymous page into a
 * private file VMA's PTE table without looking the page cache up, so the
 * locked huge page of a file collapse does not stop it (a COW fault does
 * look the page up).  The 6.6 retract_page_tables(), which holds no mmap
 * lock, must therefore repeat its anon_vma check under the PTE lock
 * (khugepaged_file66.c, scenario S13).
 *
 * Simplified: no userfaultfd context or registration (every private VMA
 * accepts a copy), no -ENOENT retry (the source is host memory, copied
 * before any lock), no shared (shmem_mfill_atomic_pte) mode.
 */
#include <string.h>

#include "mm/internal.h"

/*
 * Models mm/userfaultfd.c: mfill_atomic_install_pte() (Linux 6.6) for a
 * new anonymous page: under the PTE lock (pte_offset_map_lock() rechecks
 * the pmd, so a table retracted meanwhile is never written), if the PTE
 * is still empty.  The caller's reference on page becomes the mapping's.
 */
static int mfill_atomic_install_pte(struct vm_area_struct *vma, pmd_t *pmdp,
				    unsigned long addr, struct page *page)
{
	struct mm_struct *mm = vma->vm_mm;
	spinlock_t *ptl;
	pte_t *ptep, entry;

	entry = pte_mkdirty(mk_pte(page_to_pfn(page), vma->vm_page_prot));
	if (vma->vm_flags & VM_WRITE)
		entry = pte_mkwrite(entry);
	ptep = pte_offset_map_lock(mm, pmdp, addr, &ptl);
	if (!ptep)
		return thpsim__err(-THPSIM_EBUSY,
				   "thpsim_mm_uffd_copy: the page table at 0x%lx went away (-EAGAIN: retry)",
				   addr);
	if (!pte_none(ptep_get(ptep))) {
		pte_unmap_unlock(ptep, ptl);
		return thpsim__err(-THPSIM_EEXIST,
				   "thpsim_mm_uffd_copy: a page is already mapped at 0x%lx",
				   addr);
	}
	page_add_new_anon_rmap(page, vma, addr);
	add_mm_counter(mm, MM_ANONPAGES, 1);
	set_pte_at(mm, addr, ptep, entry);
	pte_unmap_unlock(ptep, ptl);
	return 0;
}

/*
 * Models mm/userfaultfd.c: one page of mfill_atomic() with
 * mfill_atomic_pte_copy() (Linux 6.6).  Caller holds mmap_lock for read
 * and has run anon_vma_prepare().
 */
static int mfill_atomic_pte_copy(struct vm_area_struct *vma,
				 unsigned long addr, const void *src)
{
	struct mm_struct *mm = vma->vm_mm;
	pmd_t *pmdp = walk_to_pmd(mm, addr, true);
	struct page *page;
	pmd_t pmd;
	int err;

	if (!pmdp)
		return thpsim__err(-THPSIM_ENOFRAME,
				   "thpsim_mm_uffd_copy: no page table for 0x%lx: %s",
				   addr, thpsim_errmsg());
	if (pmd_none(pmdp_get(pmdp)) && __pte_alloc(mm, pmdp))
		return thpsim__err(-THPSIM_ENOFRAME,
				   "thpsim_mm_uffd_copy: no PTE table for 0x%lx", addr);
	pmd = pmdp_get(pmdp);
	/* Huge, or huge and gone again: do not override it. */
	if (!pmd_present(pmd) || pmd_trans_huge(pmd))
		return thpsim__err(-THPSIM_EEXIST,
				   "thpsim_mm_uffd_copy: 0x%lx is mapped huge",
				   addr);
	if (pmd_bad(pmd))
		return thpsim__err(-THPSIM_EFAULT,
				   "thpsim_mm_uffd_copy: bad pmd at 0x%lx", addr);
	page = alloc_pages(mm->phys, THPSIM_ALLOC_DATA, 0);
	if (!page)
		return thpsim__err(-THPSIM_ENOFRAME,
				   "thpsim_mm_uffd_copy: no page for 0x%lx", addr);
	phys_bytes_write(page->phys, page_to_pfn(page), 0, src,
			 PAGE_SIZE_MM(mm));
	err = mfill_atomic_install_pte(vma, pmdp, addr, page);
	if (err)
		put_page(page);
	return err;
}

int thpsim_mm_uffd_copy(thpsim_mm_t *mm, uint64_t addr, const void *buf,
			uint64_t len)
{
	const unsigned char *src = buf;
	struct vm_area_struct *vma;
	int err = thpsim__need_cpu("thpsim_mm_uffd_copy");

	if (!err)
		err = thpsim__check_range(mm, "thpsim_mm_uffd_copy", addr, len);
	if (err)
		return err;
	if (!buf)
		return thpsim__err(-THPSIM_EINVAL, "thpsim_mm_uffd_copy: buf is NULL");
	sched_point(FAULT);
	mmap_read_lock(mm);
	vma = vma_lookup(mm, addr);
	if (!vma || vma->vm_end - addr < len)
		err = thpsim__err(-THPSIM_EFAULT,
				  "thpsim_mm_uffd_copy: [0x%llx, +0x%llx) is not inside one VMA",
				  (unsigned long long)addr,
				  (unsigned long long)len);
	else if (vma->vm_flags & VM_SHARED)
		err = thpsim__err(-THPSIM_EINVAL,
				  "thpsim_mm_uffd_copy: 0x%llx is in a shared mapping (only private ones are modelled)",
				  (unsigned long long)addr);
	else
		err = anon_vma_prepare(vma);
	for (uint64_t off = 0; !err && off < len; off += PAGE_SIZE_MM(mm))
		err = mfill_atomic_pte_copy(vma, addr + off, src + off);
	mmap_read_unlock(mm);
	return err;
}
