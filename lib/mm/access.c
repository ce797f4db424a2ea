/*
 * mm/access.c - reading and writing an address space through its page
 * tables, and a locked walk that reports what each level holds.
 *
 * Every copy happens under mmap_lock (read) and the PTL of the PTE (or the
 * pmd lock of a huge pmd), so the page cannot be zapped and freed in the
 * middle of the copy.  Writes fault pages in; reads never do, so reading
 * never changes which frames are mapped (tests and the oracle use that).
 */
#include <string.h>

#include "mm/internal.h"

/* Attempts per page of a write: a fault followed by a racing
 * MADV_DONTNEED may leave the page absent again. */
#define ACCESS_TRIES 8

/* Copy between buf and frame pfn at addr's offset; false for a pfn
 * outside the arena (a garbage entry). */
static bool copy_pfn(struct mm_struct *mm, unsigned long pfn,
		     unsigned long addr, void *buf, size_t n, bool write)
{
	size_t off = addr & (PAGE_SIZE_MM(mm) - 1);

	if (!pfn_valid(mm->phys, pfn))
		return false;
	if (write) {
		phys_bytes_write(mm->phys, pfn, off, buf, n);
		SetPageDirty(pfn_to_page(mm->phys, pfn));
	} else {
		phys_bytes_read(mm->phys, pfn, off, buf, n);
	}
	return true;
}

/* The copy through a huge pmd, under the pmd lock. */
static bool copy_huge(struct mm_struct *mm, pmd_t *pmdp, unsigned long addr,
		      void *buf, size_t n, bool write)
{
	spinlock_t *ptl = pmd_lock(mm, pmdp);
	pmd_t pmd = pmdp_get(pmdp);
	bool ok = false;

	if (pmd_trans_huge(pmd) && (!write || pmd_write(pmd))) {
		unsigned long sub = (addr & (HPAGE_PMD_SIZE(mm) - 1)) >>
				    mm->geo.page_shift;

		ok = copy_pfn(mm, pmd_pfn(pmd) + sub, addr, buf, n, write);
	}
	spin_unlock(ptl);
	return ok;
}

/* Copy n bytes (inside one page) if a suitable page is mapped. */
static bool copy_mapped(struct mm_struct *mm, unsigned long addr, void *buf,
			size_t n, bool write)
{
	pmd_t *pmdp = walk_to_pmd(mm, addr, false);
	spinlock_t *ptl;
	pte_t *ptep, pte;
	bool ok;

	if (!pmdp)
		return false;
	if (pmd_trans_huge(pmdp_get(pmdp)))
		return copy_huge(mm, pmdp, addr, buf, n, write);
	ptep = pte_offset_map_lock(mm, pmdp, addr, &ptl);
	if (!ptep)
		return false;
	pte = ptep_get(ptep);
	ok = pte_present(pte) && (!write || pte_write(pte)) &&
	     copy_pfn(mm, pte_pfn(pte), addr, buf, n, write);
	pte_unmap_unlock(ptep, ptl);
	return ok;
}

/*
 * Models mm/memory.c: __access_remote_vm() (Linux 6.1) for one page.
 * Simplified: reads do not fault.  Caller holds mmap_lock for read.
 */
static int access_one_page(struct mm_struct *mm, unsigned long addr,
			   void *buf, size_t n, bool write)
{
	const char *fn = write ? "thpsim_mm_write" : "thpsim_mm_read";

	for (int tries = 0; tries < ACCESS_TRIES; tries++) {
		struct vm_area_struct *vma = vma_lookup(mm, addr);
		int err;

		if (!vma)
			return thpsim__err(-THPSIM_EFAULT, "%s: no VMA at 0x%lx",
					   fn, addr);
		if (copy_mapped(mm, addr, buf, n, write))
			return 0;
		if (!write)
			return thpsim__err(-THPSIM_EFAULT,
					   "%s: no page present at 0x%lx (reads do not fault)",
					   fn, addr);
		if (!(vma->vm_flags & VM_WRITE))
			return thpsim__err(-THPSIM_EFAULT,
					   "%s: 0x%lx is read-only", fn, addr);
		err = thpsim__fault_err(handle_mm_fault(vma, addr,
							FAULT_FLAG_WRITE),
					addr);
		if (err)
			return err;
	}
	return thpsim__err(-THPSIM_EBUSY,
			   "%s: the page at 0x%lx vanished %d times after its fault",
			   fn, addr, ACCESS_TRIES);
}

static int access_vm(struct mm_struct *mm, uint64_t addr, void *buf,
		     size_t len, bool write)
{
	const char *fn = write ? "thpsim_mm_write" : "thpsim_mm_read";
	unsigned char *p = buf;
	int err = thpsim__need_cpu(fn);

	if (err)
		return err;
	if (!mm || (!buf && len))
		return thpsim__err(-THPSIM_EINVAL, "%s: mm or buf is NULL", fn);
	if (addr > mm->task_size || len > mm->task_size - addr)
		return thpsim__err(-THPSIM_EFAULT,
				   "%s: [0x%llx, +%zu) is outside the address space [0, 0x%lx)",
				   fn, (unsigned long long)addr, len,
				   mm->task_size);
	mmap_read_lock(mm);
	while (len && !err) {
		size_t off = addr & (PAGE_SIZE_MM(mm) - 1);
		size_t n = PAGE_SIZE_MM(mm) - off;

		if (n > len)
			n = len;
		err = access_one_page(mm, addr, p, n, write);
		addr += n;
		p += n;
		len -= n;
	}
	mmap_read_unlock(mm);
	return err;
}

int thpsim_mm_write(thpsim_mm_t *mm, uint64_t addr, const void *buf,
		    size_t len)
{
	return access_vm(mm, addr, (void *)buf, len, true);
}

int thpsim_mm_read(thpsim_mm_t *mm, uint64_t addr, void *buf, size_t len)
{
	return access_vm(mm, addr, buf, len, false);
}

/* ---- walk ----------------------------------------------------------- */

/* Read the PTE under its table's PTL. */
static uint64_t read_pte_locked(struct mm_struct *mm, unsigned long table,
				uint64_t *ep)
{
	struct page *pt = pfn_to_page(mm->phys, table);
	uint64_t v;

	spin_lock(&pt->ptl);
	v = pte_val(ptep_get((pte_t *)ep));
	spin_unlock(&pt->ptl);
	return v;
}

/* Fill out level by level; 0 when a page is mapped.  Caller holds
 * mmap_lock for read. */
static int walk_locked(struct mm_struct *mm, unsigned long addr,
		       thpsim_walk_t *out)
{
	unsigned long table = page_to_pfn(mm->pgd);

	for (unsigned level = mm->geo.levels; level >= 1; level--) {
		uint64_t *ep = pt_entry(mm, table, level, addr);
		uint64_t e;

		if (!ep)
			break;
		out->table_pfn[level] = table;
		out->leaf_level = level;
		e = level == 1 ? read_pte_locked(mm, table, ep) :
				 pxd_val(pxdp_get((pxd_t *)ep));
		out->entry[level] = e;
		if (level == 1 && pte_present(__pte(e))) {
			out->present = true;
			out->write = pte_write(__pte(e));
			out->pfn = pte_pfn(__pte(e));
			return 0;
		}
		if (level == 2 && pmd_trans_huge(__pmd(e))) {
			out->present = out->huge = true;
			out->write = pmd_write(__pmd(e));
			out->pfn = pmd_pfn(__pmd(e)) +
				   ((addr & (HPAGE_PMD_SIZE(mm) - 1)) >>
				    mm->geo.page_shift);
			return 0;
		}
		if (level == 1 || pxd_none(__pxd(e)) || pxd_bad(__pxd(e)))
			break;
		table = pxd_pfn(__pxd(e));
	}
	return thpsim__err(-THPSIM_EFAULT,
			   "thpsim_mm_walk: nothing mapped at 0x%lx (level %u entry 0x%llx)",
			   addr, out->leaf_level,
			   (unsigned long long)out->entry[out->leaf_level]);
}

int thpsim_mm_walk(thpsim_mm_t *mm, uint64_t addr, thpsim_walk_t *out)
{
	int err = thpsim__need_cpu("thpsim_mm_walk");

	if (err)
		return err;
	if (!mm || !out)
		return thpsim__err(-THPSIM_EINVAL,
				   "thpsim_mm_walk: mm or out is NULL");
	memset(out, 0, sizeof(*out));
	for (unsigned l = 0; l <= THPSIM_LEVELS_MAX; l++)
		out->table_pfn[l] = UINT64_MAX;
	out->levels = mm->geo.levels;
	if (addr >= mm->task_size)
		return thpsim__err(-THPSIM_EFAULT,
				   "thpsim_mm_walk: 0x%llx is outside the address space [0, 0x%lx)",
				   (unsigned long long)addr, mm->task_size);
	mmap_read_lock(mm);
	err = walk_locked(mm, addr, out);
	mmap_read_unlock(mm);
	return err;
}
