/*
 * mm/mmap.c - address spaces and their VMAs: create, mmap, munmap (with
 * VMA splitting and free_pgtables), exit_mmap.
 *
 * VMAs sit on a list sorted by address, changed only under mmap_lock for
 * write; faults and MADV_DONTNEED read it under mmap_lock for read.
 */
#include <stdlib.h>

#include "mm/abandon.h"
#include "mm/internal.h"
#include "machine/snapshot.h"

int thpsim__need_cpu(const char *fn)
{
	if (this_cpu())
		return 0;
	return thpsim__err(-THPSIM_ENOTCPU,
			   "%s: the calling thread is not a registered CPU (thpsim_cpu_register)",
			   fn);
}

int thpsim__check_range(struct mm_struct *mm, const char *fn, uint64_t addr,
			uint64_t len)
{
	uint64_t mask;

	if (!mm)
		return thpsim__err(-THPSIM_EINVAL, "%s: mm is NULL", fn);
	mask = PAGE_SIZE_MM(mm) - 1;
	if (addr & mask)
		return thpsim__err(-THPSIM_EINVAL,
				   "%s: addr 0x%llx is not aligned to the page size 0x%llx",
				   fn, (unsigned long long)addr,
				   (unsigned long long)mask + 1);
	if (len == 0)
		return thpsim__err(-THPSIM_EINVAL, "%s: len is 0", fn);
	if (len & mask)
		return thpsim__err(-THPSIM_EINVAL,
				   "%s: len 0x%llx is not a multiple of the page size 0x%llx",
				   fn, (unsigned long long)len,
				   (unsigned long long)mask + 1);
	if (addr >= mm->task_size || len > mm->task_size - addr)
		return thpsim__err(-THPSIM_EINVAL,
				   "%s: [0x%llx, +0x%llx) is outside the address space [0, 0x%lx)",
				   fn, (unsigned long long)addr,
				   (unsigned long long)len, mm->task_size);
	return 0;
}

/* Models mm/mmap.c: find_vma() (Linux 6.1): the first VMA ending above
 * addr.  Caller holds mmap_lock. */
struct vm_area_struct *find_vma(struct mm_struct *mm, unsigned long addr)
{
	struct vm_area_struct *vma;

	list_for_each_entry(vma, &mm->mmap, vm_list)
		if (vma->vm_end > addr)
			return vma;
	return NULL;
}

/* Models include/linux/mm.h: vma_lookup() (Linux 6.1): the VMA holding
 * addr, or NULL. */
struct vm_area_struct *vma_lookup(struct mm_struct *mm, unsigned long addr)
{
	struct vm_area_struct *vma = find_vma(mm, addr);

	return vma && vma->vm_start <= addr ? vma : NULL;
}

static struct vm_area_struct *vma_next(struct mm_struct *mm,
				       struct vm_area_struct *vma)
{
	return vma->vm_list.next == &mm->mmap ? NULL :
	       list_next_entry(vma, vm_list);
}

static struct vm_area_struct *vma_prev(struct mm_struct *mm,
				       struct vm_area_struct *vma)
{
	return vma->vm_list.prev == &mm->mmap ? NULL :
	       list_prev_entry(vma, vm_list);
}

/* ---- create / destroy ------------------------------------------------- */

static int mm_geometry(thpsim_machine_t *m, const thpsim_geometry_t *g,
		       thpsim_geometry_t *out)
{
	unsigned machine_shift = thpsim_machine_config(m)->page_shift;

	if (g) {
		*out = *g;
	} else {
		thpsim_geometry_default(out);
		out->page_shift = machine_shift;
	}
	if (thpsim_geometry_validate(out))
		return -THPSIM_EINVAL;
	if (out->page_shift != machine_shift)
		return thpsim__err(-THPSIM_EINVAL,
				   "thpsim_mm_create: geometry page_shift %u differs from the machine's %u",
				   out->page_shift, machine_shift);
	return 0;
}

int thpsim_mm_create(thpsim_machine_t *m, const thpsim_geometry_t *g,
		     thpsim_mm_t **out)
{
	struct mm_struct *mm;
	thpsim_geometry_t geo;
	int err;

	if (!m || !out)
		return thpsim__err(-THPSIM_EINVAL,
				   "thpsim_mm_create: machine or out is NULL");
	err = mm_geometry(m, g, &geo);
	if (err)
		return err;
	mm = snap_calloc(1, sizeof(*mm));
	if (!mm)
		return thpsim__err(-THPSIM_ENOMEM, "thpsim_mm_create: no host memory");
	mm->machine = m;
	mm->phys = thpsim__machine_phys(m);
	mm->geo = geo;
	thpsim__geometry_derive(&geo, &mm->entry_bits, mm->shift);
	mm->task_size = 1UL << mm->shift[geo.levels + 1];
	init_rwsem(&mm->mmap_lock, "mmap_lock");
	spin_lock_init(&mm->page_table_lock, "page_table_lock");
	INIT_LIST_HEAD(&mm->mmap);
	thpsim_cpumask_clear(&mm->cpumask);
	thpsim__kconfig_init(mm);
	if (pgd_alloc(mm)) {
		thpsim__kconfig_fini(mm);
		snap_free(mm);
		return -THPSIM_ENOFRAME;	/* the allocator's message */
	}
	*out = mm;
	return 0;
}

/*
 * Models mm/mmap.c: unmap_region() / free_pgtables() (Linux 6.1) for the
 * detached VMAs: zap their pages, unlink them from the rmap, then free the
 * tables that neither prev nor next needs.  Caller holds mmap_lock for
 * write.
 *
 * munmap (exiting false): one mmu_gather, as 6.1's unmap_region() does
 * (tlb_gather_mmu() ... free_pgtables() ... tlb_finish_mmu()), so that
 * free_pte_range()'s pte_free_tlb() frees after the flush, and after a
 * grace period where the profile has MMU_GATHER_RCU_TABLE_FREE.
 * Simplified: the zap gathers its own pages; only the tables go through
 * this gather.  exit_mmap (exiting true) frees the tables right after the
 * flush (see free_detached_tables()).
 */
static void unmap_region(struct mm_struct *mm, struct list_head *detached,
			 struct vm_area_struct *prev,
			 struct vm_area_struct *next, bool exiting)
{
	struct vm_area_struct *vma, *first, *last;
	struct mmu_gather tlb;

	mmap_assert_write_locked(mm);
	list_for_each_entry(vma, detached, vm_list)
		zap_page_range(vma, vma->vm_start, vma->vm_end);
	list_for_each_entry(vma, detached, vm_list)
		unlink_rmap(vma);
	first = list_first_entry(detached, struct vm_area_struct, vm_list);
	last = list_last_entry(detached, struct vm_area_struct, vm_list);
	if (exiting) {
		free_pgd_range(NULL, mm, first->vm_start, last->vm_end,
			       prev ? prev->vm_end : 0,
			       next ? next->vm_start : 0);
		return;
	}
	tlb_gather_mmu(&tlb, mm);
	free_pgd_range(&tlb, mm, first->vm_start, last->vm_end,
		       prev ? prev->vm_end : 0, next ? next->vm_start : 0);
	tlb_finish_mmu(&tlb);
}

static void remove_vmas(struct list_head *detached)
{
	struct vm_area_struct *vma, *tmp;

	list_for_each_entry_safe(vma, tmp, detached, vm_list) {
		list_del(&vma->vm_list);
		snap_free(vma);
	}
}

/*
 * Models mm/mmap.c: exit_mmap() (Linux 6.1).  Simplified: mmap_lock is
 * held for write throughout (6.1 zaps under read, then upgrades).
 */
static void exit_mmap(struct mm_struct *mm)
{
	struct list_head detached;

	mmap_write_lock(mm);
	INIT_LIST_HEAD(&detached);
	if (!list_empty(&mm->mmap)) {
		list_splice_init(&mm->mmap, &detached);
		atomic_store(&mm->map_count, 0);
		unmap_region(mm, &detached, NULL, NULL, true);
	}
	/* Tables left by earlier partial unmaps go too. */
	free_pgd_range(NULL, mm, 0, mm->task_size, 0, 0);
	remove_vmas(&detached);
	mmap_write_unlock(mm);
	pgd_free(mm);
	mm_cpumask_drop_all(mm);
}

int thpsim_mm_destroy(thpsim_mm_t *mm)
{
	int err;

	if (!mm)
		return 0;
	err = thpsim__need_cpu("thpsim_mm_destroy");
	if (err)
		return err;
	exit_mmap(mm);
	/*
	 * Tables an earlier munmap (or a fix strategy) handed to mmu_gather's
	 * RCU batch may still be queued: leave no frame pending past the mm
	 * (the kernel makes no such promise; the simulator's callers count
	 * frames).
	 */
	if (atomic_load(&mm->rcu_tables_queued))
		rcu_barrier();
	thpsim__kconfig_fini(mm);
	snap_free(mm);
	return 0;
}

const thpsim_geometry_t *thpsim_mm_geometry(const thpsim_mm_t *mm)
{
	return mm ? &mm->geo : NULL;
}

thpsim_machine_t *thpsim_mm_machine(const thpsim_mm_t *mm)
{
	return mm ? mm->machine : NULL;
}

void thpsim_mm_stats(thpsim_mm_t *mm, thpsim_mm_stats_t *out)
{
	if (!mm || !out)
		return;
	out->nr_vmas = atomic_load(&mm->map_count);
	for (unsigned l = 0; l <= THPSIM_LEVELS_MAX; l++)
		out->nr_tables[l] = (uint64_t)atomic_load(&mm->nr_tables[l]);
	out->anon_pages = (uint64_t)atomic_load(&mm->rss_stat[MM_ANONPAGES]);
	out->file_pages = (uint64_t)atomic_load(&mm->rss_stat[MM_FILEPAGES]);
}

/* ---- mmap ---------------------------------------------------------------- */

static struct vm_area_struct *vma_new(struct mm_struct *mm,
				      thpsim_file_t *file, uint64_t pgoff,
				      uint64_t addr, uint64_t len, bool private)
{
	struct vm_area_struct *vma = snap_calloc(1, sizeof(*vma));

	if (!vma)
		return NULL;
	vma->vm_mm = mm;
	vma->vm_start = addr;
	vma->vm_end = addr + len;
	vma->vm_pgoff = pgoff;
	vma->vm_file = file;
	INIT_LIST_HEAD(&vma->shared);
	if (file && private) {
		/* MAP_PRIVATE: the anon_vma comes with the first copy
		 * (anon_vma_prepare()); file pages are mapped read-only. */
		vma->vm_flags = VM_READ | VM_WRITE;
		vma->vm_page_prot = PAGE_READONLY;
		return vma;
	}
	if (file) {
		vma->vm_flags = VM_READ | VM_WRITE | VM_SHARED;
		vma->vm_page_prot = PAGE_SHARED;
		return vma;
	}
	vma->vm_flags = VM_READ | VM_WRITE | VM_ANON;
	/* Private: write access is granted per PTE by the fault. */
	vma->vm_page_prot = PAGE_READONLY;
	vma->anon_vma = anon_vma_alloc();
	if (!vma->anon_vma) {
		snap_free(vma);
		return NULL;
	}
	return vma;
}

/*
 * Models mm/mmap.c: mmap_region() (Linux 6.1).  Simplified: fixed address
 * that must not overlap (MAP_FIXED_NOREPLACE), no merging with the
 * neighbours, no accounting.
 */
static int mmap_region(struct mm_struct *mm, struct vm_area_struct *vma)
{
	struct vm_area_struct *next;

	mmap_write_lock(mm);
	next = find_vma(mm, vma->vm_start);
	if (next && next->vm_start < vma->vm_end) {
		int err = thpsim__err(-THPSIM_EINVAL,
				      "mmap: [0x%lx, 0x%lx) overlaps the VMA [0x%lx, 0x%lx)",
				      vma->vm_start, vma->vm_end,
				      next->vm_start, next->vm_end);

		mmap_write_unlock(mm);
		return err;
	}
	list_add_tail(&vma->vm_list, next ? &next->vm_list : &mm->mmap);
	atomic_fetch_add(&mm->map_count, 1);
	vma_link_rmap(vma);
	mmap_write_unlock(mm);
	return 0;
}

static int do_mmap(struct mm_struct *mm, thpsim_file_t *file, uint64_t pgoff,
		   uint64_t addr, uint64_t len, bool private,
		   thpsim_vma_t **out)
{
	struct vm_area_struct *vma;
	int err;

	vma = vma_new(mm, file, pgoff, addr, len, private);
	if (!vma)
		return thpsim__err(-THPSIM_ENOMEM, "mmap: no host memory");
	err = mmap_region(mm, vma);
	if (err) {
		if (vma->anon_vma)
			anon_vma_put(vma->anon_vma);
		snap_free(vma);
		return err;
	}
	if (out)
		*out = vma;
	return 0;
}

int thpsim_mm_mmap_anon(thpsim_mm_t *mm, uint64_t addr, uint64_t len,
			thpsim_vma_t **vma)
{
	int err = thpsim__need_cpu("thpsim_mm_mmap_anon");

	if (!err)
		err = thpsim__check_range(mm, "thpsim_mm_mmap_anon", addr, len);
	if (err)
		return err;
	return do_mmap(mm, NULL, 0, addr, len, true, vma);
}

static int mmap_file(thpsim_mm_t *mm, thpsim_file_t *f, uint64_t pgoff,
		     uint64_t addr, uint64_t len, bool private)
{
	const char *fn = private ? "thpsim_mm_mmap_file_private" :
				   "thpsim_mm_mmap_file";
	int err = thpsim__need_cpu(fn);
	uint64_t pages;

	if (!err)
		err = thpsim__check_range(mm, fn, addr, len);
	if (err)
		return err;
	if (!f)
		return thpsim__err(-THPSIM_EINVAL, "%s: file is NULL", fn);
	if (f->machine != mm->machine)
		return thpsim__err(-THPSIM_EINVAL,
				   "%s: file and mm belong to different machines",
				   fn);
	pages = len >> mm->geo.page_shift;
	if (pgoff > f->mapping.size || pages > f->mapping.size - pgoff)
		return thpsim__err(-THPSIM_EINVAL,
				   "%s: pages [%llu, +%llu) beyond the file's %lu pages",
				   fn, (unsigned long long)pgoff,
				   (unsigned long long)pages, f->mapping.size);
	return do_mmap(mm, f, pgoff, addr, len, private, NULL);
}

int thpsim_mm_mmap_file(thpsim_mm_t *mm, thpsim_file_t *f, uint64_t pgoff,
			uint64_t addr, uint64_t len)
{
	return mmap_file(mm, f, pgoff, addr, len, false);
}

int thpsim_mm_mmap_file_private(thpsim_mm_t *mm, thpsim_file_t *f,
				uint64_t pgoff, uint64_t addr, uint64_t len)
{
	return mmap_file(mm, f, pgoff, addr, len, true);
}

/* ---- munmap ---------------------------------------------------------- */

/*
 * Models mm/mmap.c: __split_vma() (Linux 6.1).  Simplified: new (given by
 * the caller, so a split cannot fail halfway) always becomes the upper
 * part [addr, vm_end).  The bounds change under the rmap lock, as the
 * kernel's vma_adjust() does, so an rmap walker sees either VMA whole.
 */
static void split_vma(struct mm_struct *mm, struct vm_area_struct *vma,
		      unsigned long addr, struct vm_area_struct *new)
{
	struct address_space *mapping = vma->vm_file ?
					&vma->vm_file->mapping : NULL;

	*new = *vma;
	INIT_LIST_HEAD(&new->shared);
	new->vm_start = addr;
	new->vm_pgoff += (addr - vma->vm_start) >> mm->geo.page_shift;
	if (mapping) {
		/* A written private file VMA: both halves share its anon_vma. */
		if (vma->anon_vma)
			anon_vma_get(vma->anon_vma);
		i_mmap_lock_write(mapping);
		vma->vm_end = addr;
		list_add(&new->shared, &vma->shared);
		i_mmap_unlock_write(mapping);
	} else {
		anon_vma_get(vma->anon_vma);
		anon_vma_lock_write(vma->anon_vma);
		vma->vm_end = addr;
		anon_vma_unlock_write(vma->anon_vma);
	}
	list_add(&new->vm_list, &vma->vm_list);
	atomic_fetch_add(&mm->map_count, 1);
}

/*
 * Models mm/mmap.c: do_mas_align_munmap() (Linux 6.1).  Split the VMAs
 * straddling start and end, detach everything in between, then
 * unmap_region().  spare[] holds the two VMAs a split may need.  Caller
 * holds mmap_lock for write.
 */
static void do_munmap(struct mm_struct *mm, unsigned long start,
		      unsigned long end, struct vm_area_struct *spare[2])
{
	struct vm_area_struct *vma, *last, *prev, *next;
	struct list_head detached;

	mmap_assert_write_locked(mm);
	vma = find_vma(mm, start);
	if (!vma || vma->vm_start >= end)
		return;
	if (vma->vm_start < start) {
		split_vma(mm, vma, start, spare[0]);
		spare[0] = NULL;
		vma = vma_next(mm, vma);
	}
	last = find_vma(mm, end - 1);
	if (last && last->vm_start < end && last->vm_end > end) {
		split_vma(mm, last, end, spare[1]);
		spare[1] = NULL;
	}
	prev = vma_prev(mm, vma);
	INIT_LIST_HEAD(&detached);
	while (vma && vma->vm_start < end) {
		next = vma_next(mm, vma);
		list_del(&vma->vm_list);
		list_add_tail(&vma->vm_list, &detached);
		atomic_fetch_sub(&mm->map_count, 1);
		vma = next;
	}
	unmap_region(mm, &detached, prev, vma, false);
	remove_vmas(&detached);
}

int thpsim_mm_munmap(thpsim_mm_t *mm, uint64_t addr, uint64_t len)
{
	struct vm_area_struct **spare;
	int err = thpsim__need_cpu("thpsim_mm_munmap");

	if (!err)
		err = thpsim__check_range(mm, "thpsim_mm_munmap", addr, len);
	if (err)
		return err;
	/*
	 * The spares are allocated under the lock, as the kernel's
	 * __split_vma() does, and kept in the mm meanwhile: a run that a BUG
	 * ends while this thread is inside gives them back with the mm
	 * (mm/abandon.h).
	 */
	mmap_write_lock(mm);
	spare = mm->munmap_spare;
	spare[0] = snap_malloc(sizeof(*spare[0]));
	spare[1] = snap_malloc(sizeof(*spare[1]));
	if (spare[0] && spare[1])
		do_munmap(mm, addr, addr + len, spare);
	else
		err = thpsim__err(-THPSIM_ENOMEM, "munmap: no host memory");
	snap_free(spare[0]);
	snap_free(spare[1]);
	spare[0] = spare[1] = NULL;
	mmap_write_unlock(mm);
	return err;
}

/* mm/abandon.h: no locks, no pages; the VMAs and the mm go. */
void thpsim__mm_abandon(thpsim_mm_t *mm)
{
	struct vm_area_struct *vma, *tmp;

	if (!mm)
		return;
	list_for_each_entry_safe(vma, tmp, &mm->mmap, vm_list) {
		list_del(&vma->vm_list);
		if (vma->anon_vma)
			anon_vma_put(vma->anon_vma);
		snap_free(vma);
	}
	snap_free(mm->munmap_spare[0]);
	snap_free(mm->munmap_spare[1]);
	thpsim__kconfig_fini(mm);
	snap_free(mm);
}
