/*
 * mm/memory.c - page faults and zapping.
 *
 * Faults run under mmap_lock for read and allocate missing tables on the
 * way down (pmd_install() and friends recheck under the pmd lock, since
 * two faults may race to fill the same entry).  Zaps clear PTEs under the
 * table's split PTL, flush the TLB, and only then drop the mappings'
 * page references: a walker that still reaches the page through a stale
 * translation (or, on x86, a GUP-fast walk holding off the flush IPI) must
 * not find it freed.
 */
#include <stdio.h>
#include <string.h>

#include "mm/internal.h"

struct vm_fault {
	struct vm_area_struct *vma;
	unsigned long address;		/* page-aligned */
	unsigned flags;			/* FAULT_FLAG_* */
	unsigned long pgoff;		/* file page of address */
	pmd_t *pmd;
};

/* The pmd entry for addr; with alloc, missing upper tables are allocated
 * (kernel: the p4d_alloc / pud_alloc / pmd_alloc steps of
 * __handle_mm_fault()).  NULL when a table is missing or cannot be had. */
pmd_t *walk_to_pmd(struct mm_struct *mm, unsigned long addr, bool alloc)
{
	unsigned long pfn = page_to_pfn(mm->pgd);

	for (unsigned level = mm->geo.levels; level > 2; level--) {
		uint64_t *ep = pt_entry(mm, pfn, level, addr);
		pxd_t e;

		if (!ep)
			return NULL;
		e = pxdp_get((pxd_t *)ep);
		if (pxd_none(e)) {
			if (!alloc || __pxd_alloc(mm, ep, level - 1))
				return NULL;
			e = pxdp_get((pxd_t *)ep);
		}
		if (pxd_bad(e))
			return NULL;
		pfn = pxd_pfn(e);
	}
	return (pmd_t *)pt_entry(mm, pfn, 2, addr);
}

/*
 * Models mm/memory.c: vm_normal_page() (Linux 6.1).  Simplified: special
 * PTEs have no page; a pfn outside the arena (a garbage entry) has none
 * either instead of a "bad pte" report.
 */
static struct page *vm_normal_page(struct vm_area_struct *vma,
				   unsigned long addr, pte_t pte)
{
	(void)addr;
	if (pte_special(pte))
		return NULL;
	return pfn_to_page(vma->vm_mm->phys, pte_pfn(pte));
}

/*
 * Models mm/memory.c: do_anonymous_page() (Linux 6.1).  Simplified: no
 * zero page (a read fault maps a fresh zeroed page too), no memcg, the
 * anon_vma exists since mmap (no anon_vma_prepare()).  The page is
 * allocated before the PTL, as in the kernel; if a racing fault filled the
 * PTE meanwhile, ours is dropped.
 */
static vm_fault_t do_anonymous_page(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct mm_struct *mm = vma->vm_mm;
	struct page *page;
	spinlock_t *ptl;
	pte_t *ptep, entry;

	page = alloc_pages(mm->phys, THPSIM_ALLOC_DATA, 0);
	if (!page)
		return VM_FAULT_OOM;
	entry = mk_pte(page_to_pfn(page), vma->vm_page_prot);
	if (vma->vm_flags & VM_WRITE)
		entry = pte_mkwrite(pte_mkdirty(entry));
	ptep = pte_offset_map_lock(mm, vmf->pmd, vmf->address, &ptl);
	if (!ptep) {
		put_page(page);
		return 0;
	}
	if (!pte_none(ptep_get(ptep))) {
		pte_unmap_unlock(ptep, ptl);
		put_page(page);
		return 0;
	}
	add_mm_counter(mm, MM_ANONPAGES, 1);
	page_add_new_anon_rmap(page, vma, vmf->address);
	set_pte_at(mm, vmf->address, ptep, entry);
	pte_unmap_unlock(ptep, ptl);
	return 0;
}

/*
 * Models mm/memory.c: finish_fault() -> do_set_pte() (Linux 6.1).  The
 * caller's reference on page becomes the mapping's; on a lost race it is
 * dropped.
 */
static vm_fault_t finish_fault(struct vm_fault *vmf, struct page *page)
{
	struct vm_area_struct *vma = vmf->vma;
	struct mm_struct *mm = vma->vm_mm;
	spinlock_t *ptl;
	pte_t *ptep, entry;

	ptep = pte_offset_map_lock(mm, vmf->pmd, vmf->address, &ptl);
	if (!ptep) {
		put_page(page);
		return 0;
	}
	if (!pte_none(ptep_get(ptep))) {
		pte_unmap_unlock(ptep, ptl);
		put_page(page);
		return 0;
	}
	entry = mk_pte(page_to_pfn(page), vma->vm_page_prot);
	if (vmf->flags & FAULT_FLAG_WRITE)
		entry = pte_mkdirty(entry);
	page_add_file_rmap(page, vma);
	add_mm_counter(mm, MM_FILEPAGES, 1);
	set_pte_at(mm, vmf->address, ptep, entry);
	pte_unmap_unlock(ptep, ptl);
	return 0;
}

/*
 * Models mm/memory.c: do_read_fault() / do_shared_fault() (Linux 6.1),
 * for a shared shmem-like mapping.  The page comes locked (->fault returns
 * VM_FAULT_LOCKED) and stays locked while it is mapped: that is what keeps
 * a fault from mapping a page that collapse_file() has locked, counted and
 * is about to replace.  Our reference cannot be the last while the page is
 * locked (only a locked page leaves the cache), so unlocking after
 * finish_fault() consumed it is safe.  Simplified: no fault-around, no
 * ->page_mkwrite, private file mappings (do_cow_fault) are not modelled.
 */
static vm_fault_t do_fault(struct vm_fault *vmf)
{
	struct address_space *mapping = &vmf->vma->vm_file->mapping;
	struct page *page;
	vm_fault_t ret;

	if (vmf->pgoff >= mapping->size)
		return VM_FAULT_SIGBUS;
	page = shmem_get_page(mapping, vmf->pgoff);
	if (!page)
		return VM_FAULT_OOM;
	if (vmf->flags & FAULT_FLAG_WRITE)
		SetPageDirty(page);
	ret = finish_fault(vmf, page);
	unlock_page(page);
	return ret;
}

/* ---- private file mappings: copy on write ------------------------------ */

/* Map the new anonymous page cow at vmf->address, writable, if the PTE is
 * still orig (pte_none() for a fault on an empty PTE).  The caller's
 * reference on cow becomes the mapping's; on a lost race it is dropped.
 * Returns the page the PTE mapped before (its mapping's reference for the
 * caller to drop), NULL if none or if the race was lost. */
static struct page *set_cow_pte(struct vm_fault *vmf, struct page *cow,
				pte_t orig)
{
	struct vm_area_struct *vma = vmf->vma;
	struct mm_struct *mm = vma->vm_mm;
	struct page *old = NULL;
	spinlock_t *ptl;
	pte_t *ptep, entry;

	ptep = pte_offset_map_lock(mm, vmf->pmd, vmf->address, &ptl);
	if (!ptep || !pte_same(ptep_get(ptep), orig)) {
		if (ptep)
			pte_unmap_unlock(ptep, ptl);
		put_page(cow);
		return NULL;
	}
	if (pte_present(orig)) {
		/* ptep_clear_flush(): no CPU may keep writing the old page
		 * through a stale translation once the copy is mapped. */
		ptep_clear(mm, vmf->address, ptep);
		flush_tlb_range(vma, vmf->address,
				vmf->address + PAGE_SIZE_MM(mm));
		old = vm_normal_page(vma, vmf->address, orig);
		if (old) {
			page_remove_rmap(old, vma);
			add_mm_counter(mm, PageAnon(compound_head(old)) ?
				       MM_ANONPAGES : MM_FILEPAGES, -1);
		}
	}
	entry = pte_mkwrite(pte_mkdirty(mk_pte(page_to_pfn(cow),
					       vma->vm_page_prot)));
	add_mm_counter(mm, MM_ANONPAGES, 1);
	page_add_new_anon_rmap(cow, vma, vmf->address);
	set_pte_at(mm, vmf->address, ptep, entry);
	pte_unmap_unlock(ptep, ptl);
	return old;
}

/* A fresh anonymous page holding a copy of src (NULL: zeroes), for vma. */
static struct page *alloc_cow_page(struct vm_area_struct *vma,
				   struct page *src)
{
	struct mm_struct *mm = vma->vm_mm;
	struct page *cow;

	if (anon_vma_prepare(vma))
		return NULL;
	cow = alloc_pages(mm->phys, THPSIM_ALLOC_DATA, 0);
	if (cow && src)
		phys_bytes_copy(mm->phys, page_to_pfn(cow), page_to_pfn(src));
	return cow;
}

/*
 * Models mm/memory.c: do_cow_fault() (Linux 6.6): a write fault on an
 * empty PTE of a private file VMA maps a private copy of the file's page
 * (anon_vma_prepare(), copy, then finish_fault() installs the copy).
 * The file page stays locked across the copy and the install (6.1/6.6:
 * unlock_page() after finish_fault()), so a collapse cannot replace it
 * meanwhile.
 */
static vm_fault_t do_cow_fault(struct vm_fault *vmf)
{
	struct address_space *mapping = &vmf->vma->vm_file->mapping;
	struct page *page, *cow;

	if (vmf->pgoff >= mapping->size)
		return VM_FAULT_SIGBUS;
	page = shmem_get_page(mapping, vmf->pgoff);
	if (!page)
		return VM_FAULT_OOM;
	cow = alloc_cow_page(vmf->vma, page);
	if (cow)
		(void)set_cow_pte(vmf, cow, __pte(0));
	unlock_page(page);
	put_page(page);
	return cow ? 0 : VM_FAULT_OOM;
}

/*
 * Models mm/memory.c: do_wp_page() -> wp_page_copy() (Linux 6.6) for a
 * write to a present read-only PTE of a private file VMA: copy the page,
 * and if the PTE is unchanged under the PTL, replace it with the copy.
 */
static vm_fault_t wp_page_copy(struct vm_fault *vmf, pte_t orig)
{
	struct vm_area_struct *vma = vmf->vma;
	struct page *old = vm_normal_page(vma, vmf->address, orig);
	struct page *cow = alloc_cow_page(vma, old);

	if (!cow)
		return VM_FAULT_OOM;
	old = set_cow_pte(vmf, cow, orig);
	if (old)
		put_page(old);	/* the old mapping's reference */
	return 0;
}

static bool vma_is_private_file(const struct vm_area_struct *vma)
{
	return vma->vm_file && !(vma->vm_flags & VM_SHARED);
}

/*
 * Models mm/memory.c: handle_pte_fault() (Linux 6.1).  Simplified: a
 * present PTE only gets its accessed/dirty bits, except a read-only one
 * of a private file VMA, which a write copies (anonymous and shared VMAs
 * map their pages writable from the first fault).
 */
static vm_fault_t handle_pte_fault(struct vm_fault *vmf)
{
	struct mm_struct *mm = vmf->vma->vm_mm;
	spinlock_t *ptl;
	pte_t *ptep, entry;

	ptep = pte_offset_map(mm, pmdp_get(vmf->pmd), vmf->address);
	if (!ptep)
		return VM_FAULT_SIGBUS;
	entry = ptep_get(ptep);
	pte_unmap(ptep);
	if (pte_none(entry)) {
		if (vma_is_anonymous(vmf->vma))
			return do_anonymous_page(vmf);
		/* kernel: do_fault() chooses do_cow_fault() for this */
		if ((vmf->flags & FAULT_FLAG_WRITE) &&
		    vma_is_private_file(vmf->vma))
			return do_cow_fault(vmf);
		return do_fault(vmf);
	}
	ptep = pte_offset_map_lock(mm, vmf->pmd, vmf->address, &ptl);
	if (!ptep)
		return 0;
	entry = ptep_get(ptep);
	if (pte_present(entry) && (vmf->flags & FAULT_FLAG_WRITE) &&
	    !pte_write(entry) && vma_is_private_file(vmf->vma)) {
		pte_unmap_unlock(ptep, ptl);
		return wp_page_copy(vmf, entry);
	}
	if (pte_present(entry)) {
		pte_t young = pte_mkyoung(entry);

		if (vmf->flags & FAULT_FLAG_WRITE)
			young = pte_mkdirty(young);
		if (!pte_same(young, entry))
			set_pte_at(mm, vmf->address, ptep, young);
	}
	pte_unmap_unlock(ptep, ptl);
	return 0;
}

/*
 * Models mm/memory.c: handle_mm_fault() -> __handle_mm_fault() (Linux
 * 6.1).  Caller holds mmap_lock (read is enough: khugepaged takes it for
 * write before it clears a pmd, so the pmd we fill stays ours).
 * Simplified: no THP at fault time; a pmd that is already huge is left as
 * it is.
 */
vm_fault_t handle_mm_fault(struct vm_area_struct *vma, unsigned long addr,
			   unsigned flags)
{
	struct mm_struct *mm = vma->vm_mm;
	struct vm_fault vmf = {
		.vma = vma,
		.address = addr & ~(PAGE_SIZE_MM(mm) - 1),
		.flags = flags,
		.pgoff = vma->vm_pgoff +
			 ((addr - vma->vm_start) >> mm->geo.page_shift),
	};
	pmd_t pmd;

	mmap_assert_locked(mm);
	sched_point(FAULT);
	vmf.pmd = walk_to_pmd(mm, addr, true);
	if (!vmf.pmd)
		return VM_FAULT_OOM;
	pmd = pmdp_get(vmf.pmd);
	if (pmd_trans_huge(pmd))
		return 0;
	if (pmd_none(pmd) && __pte_alloc(mm, vmf.pmd))
		return VM_FAULT_OOM;
	if (pmd_bad(pmdp_get(vmf.pmd)))
		return VM_FAULT_SIGBUS;
	return handle_pte_fault(&vmf);
}

/* Turn a vm_fault_t into a public error, keeping the allocator's message
 * when the fault ran out of frames. */
int thpsim__fault_err(vm_fault_t ret, unsigned long addr)
{
	char why[256];

	if (!ret)
		return 0;
	snprintf(why, sizeof(why), "%s", thpsim_errmsg());
	if (ret & VM_FAULT_OOM)
		return thpsim__err(-THPSIM_ENOFRAME, "fault at 0x%lx: %s",
				   addr, why);
	return thpsim__err(-THPSIM_EFAULT,
			   "fault at 0x%lx: %s", addr,
			   ret & VM_FAULT_SIGBUS ? "beyond the end of the file" :
						   "segmentation fault");
}

int thpsim_mm_fault(thpsim_mm_t *mm, uint64_t addr, bool write)
{
	struct vm_area_struct *vma;
	int err = thpsim__need_cpu("thpsim_mm_fault");

	if (err)
		return err;
	if (!mm)
		return thpsim__err(-THPSIM_EINVAL, "thpsim_mm_fault: mm is NULL");
	mmap_read_lock(mm);
	vma = addr < mm->task_size ? vma_lookup(mm, addr) : NULL;
	if (!vma)
		err = thpsim__err(-THPSIM_EFAULT,
				  "thpsim_mm_fault: no VMA at 0x%llx",
				  (unsigned long long)addr);
	else if (write && !(vma->vm_flags & VM_WRITE))
		err = thpsim__err(-THPSIM_EFAULT,
				  "thpsim_mm_fault: write to read-only 0x%llx",
				  (unsigned long long)addr);
	else
		err = thpsim__fault_err(handle_mm_fault(vma, addr,
					write ? FAULT_FLAG_WRITE : 0), addr);
	mmap_read_unlock(mm);
	return err;
}

/* ---- zap --------------------------------------------------------------- */

/*
 * Models mm/memory.c: zap_pte_range() (Linux 6.1).  Simplified: no
 * mmu_gather yet (issue 3): the pages of one PTE table are gathered on the
 * stack, and their references dropped after the flush, outside the PTL.
 */
static void zap_pte_range(struct vm_area_struct *vma, pmd_t *pmdp,
			  unsigned long addr, unsigned long end)
{
	struct mm_struct *mm = vma->vm_mm;
	struct page *gathered[THPSIM_ENTRIES_MAX];
	unsigned long start = addr;
	unsigned nr = 0;
	bool cleared = false;
	spinlock_t *ptl;
	pte_t *start_pte, *ptep;

	sched_point(ZAP);
	start_pte = ptep = pte_offset_map_lock(mm, pmdp, addr, &ptl);
	if (!ptep)
		return;
	for (; addr != end; ptep++, addr += PAGE_SIZE_MM(mm)) {
		pte_t pte = ptep_get(ptep);
		struct page *page;

		if (pte_none(pte))
			continue;
		pte = ptep_get_and_clear(mm, addr, ptep);
		cleared = true;
		page = vm_normal_page(vma, addr, pte);
		if (!page)
			continue;
		if (pte_dirty(pte))
			SetPageDirty(page);
		page_remove_rmap(page, vma);
		/* A subpage of a split THP: the head says anon or file. */
		add_mm_counter(mm, PageAnon(compound_head(page)) ?
			       MM_ANONPAGES : MM_FILEPAGES, -1);
		gathered[nr++] = page;
	}
	pte_unmap_unlock(start_pte, ptl);
	if (cleared)
		flush_tlb_range(vma, start, end);
	for (unsigned i = 0; i < nr; i++)
		put_page(gathered[i]);
}

/*
 * Models mm/memory.c: zap_pmd_range() for one pmd entry (Linux 6.1): a
 * huge pmd zapped whole goes with its deposited table (zap_huge_pmd()); a
 * part of one is split first, then zapped as PTEs.
 */
static void zap_pmd(struct vm_area_struct *vma, pmd_t *pmdp,
		    unsigned long addr, unsigned long end)
{
	pmd_t pmd = pmdp_get(pmdp);

	if (pmd_none(pmd))
		return;
	if (pmd_trans_huge(pmd)) {
		if (end - addr == HPAGE_PMD_SIZE(vma->vm_mm)) {
			zap_huge_pmd(vma, pmdp, addr);
			return;
		}
		split_huge_pmd(vma, pmdp, addr);
	} else if (pmd_bad(pmd)) {
		return;
	}
	zap_pte_range(vma, pmdp, addr, end);
}

/* Models mm/memory.c: zap_pud_range() / zap_p4d_range() /
 * unmap_page_range() (Linux 6.1), one function for every upper level. */
static void zap_level_range(struct vm_area_struct *vma, unsigned level,
			    unsigned long pfn, unsigned long addr,
			    unsigned long end)
{
	struct mm_struct *mm = vma->vm_mm;
	unsigned long next;

	do {
		uint64_t *ep = pt_entry(mm, pfn, level, addr);
		pxd_t e;

		next = pxd_addr_end(mm, level, addr, end);
		if (!ep)
			return;
		if (level == 2) {
			zap_pmd(vma, (pmd_t *)ep, addr, next);
			continue;
		}
		e = pxdp_get((pxd_t *)ep);
		if (pxd_none(e) || pxd_bad(e))
			continue;
		zap_level_range(vma, level - 1, pxd_pfn(e), addr, next);
	} while (addr = next, addr != end);
}

/*
 * Models mm/memory.c: zap_page_range_single() (Linux 6.1).  Caller holds
 * mmap_lock (read for MADV_DONTNEED, write for munmap and exit).
 */
void zap_page_range(struct vm_area_struct *vma, unsigned long start,
		    unsigned long end)
{
	struct mm_struct *mm = vma->vm_mm;

	mmap_assert_locked(mm);
	if (start >= end)
		return;
	emit(.kind = THPSIM_EV_ZAP, .addr = start, .val = end);
	zap_level_range(vma, mm->geo.levels, page_to_pfn(mm->pgd), start, end);
}
