/*
 * mm/madvise.c - MADV_DONTNEED: drop the pages of a range, keep its page
 * tables (the tables go only with munmap's free_pgtables()).
 */
#include "mm/internal.h"

/*
 * Models mm/madvise.c: madvise_walk_vmas() with
 * madvise_dontneed_single_vma() (Linux 6.1).  mmap_lock for read: a
 * concurrent fault may refill what we zap, as in the kernel.  A hole in
 * the range does not stop the walk; it is reported at the end (the
 * kernel's -ENOMEM).
 */
int thpsim_mm_madvise_dontneed(thpsim_mm_t *mm, uint64_t addr, uint64_t len)
{
	struct vm_area_struct *vma;
	unsigned long cur = addr, end = addr + len, hole = 0;
	bool has_hole = false;
	int err = thpsim__need_cpu("thpsim_mm_madvise_dontneed");

	if (!err)
		err = thpsim__check_range(mm, "thpsim_mm_madvise_dontneed",
					  addr, len);
	if (err)
		return err;
	mmap_read_lock(mm);
	list_for_each_entry(vma, &mm->mmap, vm_list) {
		if (vma->vm_end <= cur)
			continue;
		if (vma->vm_start >= end)
			break;
		if (vma->vm_start > cur && !has_hole) {
			has_hole = true;
			hole = cur;
		}
		zap_page_range(vma, cur > vma->vm_start ? cur : vma->vm_start,
			       end < vma->vm_end ? end : vma->vm_end);
		cur = vma->vm_end;
	}
	mmap_read_unlock(mm);
	if (cur < end && !has_hole) {
		has_hole = true;
		hole = cur;
	}
	if (has_hole)
		return thpsim__err(-THPSIM_EFAULT,
				   "thpsim_mm_madvise_dontneed: [0x%lx, 0x%lx) has no VMA at 0x%lx",
				   (unsigned long)addr, end, hole);
	return 0;
}
