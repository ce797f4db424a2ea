/*
 * mm/shmem.c - a shmem-like file: an array page cache filled on first
 * fault.  The page cache holds one reference on each cached page; every
 * PTE mapping it holds another (taken by the fault, dropped by the zap),
 * so a zap leaves the page cached and a file THP collapse (later issue)
 * finds the pages here.
 */
#include <stdlib.h>

#include "mm/abandon.h"
#include "mm/internal.h"
#include "machine/snapshot.h"

/* 16 Mi pages: the page-cache array stays below 128 MiB of host memory. */
#define FILE_PAGES_MAX (UINT64_C(1) << 24)

int thpsim_file_create(thpsim_machine_t *m, uint64_t nr_pages,
		       thpsim_file_t **out)
{
	struct thpsim_file *f;
	struct address_space *mapping;

	if (!m || !out)
		return thpsim__err(-THPSIM_EINVAL,
				   "thpsim_file_create: machine or out is NULL");
	if (nr_pages == 0 || nr_pages > FILE_PAGES_MAX)
		return thpsim__err(-THPSIM_EINVAL,
				   "thpsim_file_create: nr_pages %llu outside 1..%llu",
				   (unsigned long long)nr_pages,
				   (unsigned long long)FILE_PAGES_MAX);
	f = snap_calloc(1, sizeof(*f));
	if (!f)
		return thpsim__err(-THPSIM_ENOMEM, "thpsim_file_create: no host memory");
	mapping = &f->mapping;
	mapping->i_pages = snap_calloc(nr_pages, sizeof(*mapping->i_pages));
	if (!mapping->i_pages) {
		snap_free(f);
		return thpsim__err(-THPSIM_ENOMEM,
				   "thpsim_file_create: no host memory for %llu pages",
				   (unsigned long long)nr_pages);
	}
	f->machine = m;
	f->phys = thpsim__machine_phys(m);
	mapping->host = f;
	mapping->size = nr_pages;
	init_rwsem(&mapping->i_mmap_rwsem, "i_mmap_rwsem");
	INIT_LIST_HEAD(&mapping->i_mmap);
	spin_lock_init(&mapping->i_pages_lock, "i_pages");
	*out = f;
	return 0;
}

/*
 * Models mm/truncate.c: truncate_inode_pages() on the last close (Linux
 * 6.1).  Simplified: refuses while a VMA maps the file instead of
 * unmapping it.  A page someone still holds (a pin) survives, detached
 * from the cache, until its last put_page().
 */
int thpsim_file_destroy(thpsim_file_t *f)
{
	struct address_space *mapping;
	int err;

	if (!f)
		return 0;
	err = thpsim__need_cpu("thpsim_file_destroy");
	if (err)
		return err;
	mapping = &f->mapping;
	i_mmap_lock_read(mapping);
	err = list_empty(&mapping->i_mmap) ? 0 : -THPSIM_EBUSY;
	i_mmap_unlock_read(mapping);
	if (err)
		return thpsim__err(err, "thpsim_file_destroy: file still mapped");
	for (unsigned long i = 0; i < mapping->size; i++) {
		struct page *page = mapping->i_pages[i];

		if (!page)
			continue;
		mapping->i_pages[i] = NULL;
		page->mapping = NULL;
		put_page(page);
	}
	snap_free(mapping->i_pages);
	snap_free(f);
	return 0;
}

int thpsim_file_page_pfn(thpsim_file_t *f, uint64_t pgoff, uint64_t *pfn)
{
	struct address_space *mapping;
	struct page *page;

	if (!f || !pfn)
		return thpsim__err(-THPSIM_EINVAL,
				   "thpsim_file_page_pfn: file or pfn is NULL");
	mapping = &f->mapping;
	if (pgoff >= mapping->size)
		return thpsim__err(-THPSIM_EINVAL,
				   "thpsim_file_page_pfn: pgoff %llu beyond the file's %lu pages",
				   (unsigned long long)pgoff, mapping->size);
	spin_lock(&mapping->i_pages_lock);
	page = mapping->i_pages[pgoff];
	if (page)
		*pfn = page_to_pfn(page);
	spin_unlock(&mapping->i_pages_lock);
	if (!page)
		return thpsim__err(-THPSIM_ENOENT,
				   "thpsim_file_page_pfn: pgoff %llu not cached",
				   (unsigned long long)pgoff);
	return 0;
}

/* Insert new at pgoff unless a racing fault got there first; returns the
 * cached page with a reference for the caller.  new is locked and not yet
 * visible, as the kernel adds a folio it has just locked. */
static struct page *shmem_add_to_page_cache(struct address_space *mapping,
					    unsigned long pgoff,
					    struct page **new)
{
	struct page *page;

	spin_lock(&mapping->i_pages_lock);
	page = mapping->i_pages[pgoff];
	if (!page && *new) {
		page = *new;
		*new = NULL;
		mapping->i_pages[pgoff] = page;
		mapping->nrpages++;
	}
	if (page)
		get_page(page);
	spin_unlock(&mapping->i_pages_lock);
	return page;
}

/*
 * Models mm/filemap.c: __filemap_get_folio() with FGP_LOCK (Linux 6.1):
 * the cached page at pgoff, referenced and locked, or NULL.  The lock may
 * sleep (a collapse holds it); once held, a page that left the cache
 * meanwhile (its mapping cleared: collapse_file replaced it) is dropped
 * and the lookup repeated, so the caller never maps a page the cache no
 * longer holds.
 */
static struct page *filemap_lock_page(struct address_space *mapping,
				      unsigned long pgoff)
{
	struct page *page, *none = NULL;

	for (;;) {
		page = shmem_add_to_page_cache(mapping, pgoff, &none);
		if (!page)
			return NULL;
		lock_page(page);
		if (page->mapping == mapping && page->index == pgoff)
			return page;
		unlock_page(page);
		put_page(page);
	}
}

/*
 * Models mm/shmem.c: shmem_get_folio_gfp() with SGP_CACHE (Linux 6.1):
 * the page at pgoff, referenced and LOCKED (the fault maps it under its
 * lock, then unlocks: do_read_fault).  Simplified: no swap, no huge pages
 * at fault time, no accounting; a cached page that is not uptodate is not
 * possible here (a collapse's huge page is locked until it is).  The page
 * is allocated outside the i_pages lock, as the kernel does, so two faults
 * may both allocate: the loser frees its page.
 */
struct page *shmem_get_page(struct address_space *mapping, unsigned long pgoff)
{
	struct page *page, *new;

	page = filemap_lock_page(mapping, pgoff);
	if (page)
		return page;
	new = alloc_pages(mapping->host->phys, THPSIM_ALLOC_DATA, 0);
	if (!new)
		return NULL;
	new->mapping = mapping;
	new->index = pgoff;
	SetPageUptodate(new);
	trylock_page(new);	/* not yet visible: cannot fail */
	page = shmem_add_to_page_cache(mapping, pgoff, &new);
	if (new) {
		/* A racing fault cached its own page first: lock that one. */
		new->mapping = NULL;
		unlock_page(new);
		put_page(new);
		put_page(page);
		return filemap_lock_page(mapping, pgoff);
	}
	return page;
}

/* mm/abandon.h: the page cache array and the file go; the pages stay in
 * the arena. */
void thpsim__file_abandon(thpsim_file_t *f)
{
	if (!f)
		return;
	snap_free(f->mapping.i_pages);
	snap_free(f);
}
