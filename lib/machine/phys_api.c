/*
 * machine/phys_api.c - the public face of the frame arena
 * (include/thpsim/phys.h): page snapshots, frame reads, failure
 * injection, the observer and statistics.  The allocator itself is
 * phys.c; a frame's bytes are phys_bytes.c's.
 */
#include <string.h>

#include "machine/errors.h"
#include "machine/phys.h"

static struct phys *machine_phys_checked(thpsim_machine_t *m)
{
	return m ? thpsim__machine_phys(m) : NULL;
}

int thpsim_page_info(thpsim_machine_t *m, uint64_t pfn,
		     thpsim_page_info_t *info)
{
	struct phys *p = machine_phys_checked(m);
	struct page *page;

	if (!p || !info)
		return thpsim__err(-THPSIM_EINVAL,
				   "thpsim_page_info: machine or info is NULL");
	page = pfn_to_page(p, (unsigned long)pfn);
	if (!page)
		return thpsim__err(-THPSIM_EINVAL,
				   "thpsim_page_info: pfn %llu outside the arena (0..%zu)",
				   (unsigned long long)pfn, p->nr_frames - 1);
	/* Under the allocator lock: no allocation or free half done. */
	pthread_mutex_lock(&p->lock);
	info->pfn = pfn;
	info->kind = page_kind(page);
	info->flags = atomic_load(&page->flags);
	info->refcount = page_ref_count(page);
	info->mapcount = page_mapcount(page);
	info->order = compound_order(page);
	info->head_pfn = page_to_pfn(compound_head(page));
	info->generation = page_generation(page);
	info->pt_state = page_pt_state(page);
	info->pt_level = page->pt_level;
	info->pt_addr = atomic_load(&page->pt_addr);
	info->file = page->mapping && !PageAnon(page);
	info->index = info->file ? page->index : 0;
	pthread_mutex_unlock(&p->lock);
	return 0;
}

int thpsim_phys_read(thpsim_machine_t *m, uint64_t pfn, size_t off,
		     void *buf, size_t len)
{
	struct phys *p = machine_phys_checked(m);
	void *src;

	if (!p || !buf)
		return thpsim__err(-THPSIM_EINVAL,
				   "thpsim_phys_read: machine or buf is NULL");
	src = pfn_to_virt(p, (unsigned long)pfn);
	if (!src)
		return thpsim__err(-THPSIM_EINVAL,
				   "thpsim_phys_read: pfn %llu outside the arena (0..%zu)",
				   (unsigned long long)pfn, p->nr_frames - 1);
	if (off > p->page_size || len > p->page_size - off)
		return thpsim__err(-THPSIM_EINVAL,
				   "thpsim_phys_read: off %zu + len %zu exceeds the page size %zu",
				   off, len, p->page_size);
	phys_bytes_read(p, (unsigned long)pfn, off, buf, len);
	return 0;
}

int thpsim_phys_inject_failure(thpsim_machine_t *m, thpsim_alloc_kind_t kind,
			       unsigned skip, unsigned count)
{
	struct phys *p = machine_phys_checked(m);

	if (!p)
		return thpsim__err(-THPSIM_EINVAL,
				   "thpsim_phys_inject_failure: machine is NULL");
	if ((unsigned)kind >= THPSIM_ALLOC__NR)
		return thpsim__err(-THPSIM_EINVAL,
				   "thpsim_phys_inject_failure: kind %d outside 0..%d",
				   (int)kind, THPSIM_ALLOC__NR - 1);
	pthread_mutex_lock(&p->lock);
	p->inject[kind].skip = count ? skip : 0;
	p->inject[kind].count = count;
	p->inject[kind].nr_failed = 0;
	pthread_mutex_unlock(&p->lock);
	return 0;
}

void thpsim_phys_set_observer(thpsim_machine_t *m, thpsim_phys_observer_fn fn,
			      void *arg)
{
	struct phys *p = machine_phys_checked(m);

	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->observer = fn;
	p->observer_arg = arg;
	pthread_mutex_unlock(&p->lock);
}

void thpsim_phys_stats(thpsim_machine_t *m, thpsim_phys_stats_t *out)
{
	struct phys *p = machine_phys_checked(m);

	if (!p || !out)
		return;
	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&p->lock);
	out->nr_frames = p->nr_frames;
	out->nr_free = p->nr_free;
	memcpy(out->used, p->used, sizeof(out->used));
	memcpy(out->allocs, p->allocs, sizeof(out->allocs));
	memcpy(out->failed, p->failed, sizeof(out->failed));
	out->frees = p->frees;
	pthread_mutex_unlock(&p->lock);
}
