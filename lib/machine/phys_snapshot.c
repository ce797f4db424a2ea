/*
 * phys_snapshot.c - the frame arena and struct page array of a snapshot
 * (see snapshot.h).
 *
 * The whole arena is copied once, at the snapshot.  A schedule then marks
 * in p->dirty every frame whose bytes it may change: the allocator marks
 * what it hands out (zeroed) and what it frees (poisoned), and a write
 * through a mapping (mm/access.c) marks its frame.  Entries are written
 * only into page tables, and every table a schedule can reach was either
 * a table at the snapshot or allocated by the schedule: the restore copies
 * back the marked frames and the snapshot's tables and mmu_gather batch
 * pages, never the rest of the arena.  Of a table whose entries alone
 * were stored to (p->dirty_entries) only the first table_bytes (the
 * geometry's entries) are copied back: nothing else writes there.  The
 * struct pages copied back are those of the marked frames and of every
 * frame in use at the snapshot: a frame free then and not allocated since
 * changes only in its free-list links, and the allocator marks the
 * neighbours whose links it changes.  THPSIM_SNAPSHOT_CHECK=1 compares the
 * whole array after each restore and stops on a difference (a test aid).
 * A frame whose bytes were symbolic at the snapshot (phys_bytes.c: every
 * byte one value) is restored by one store, not a page of memcpy; the
 * set of exact frames is restored with it.
 */
#include <stdlib.h>
#include <string.h>

#include "machine/errors.h"
#include "machine/phys.h"
#include "machine/snapshot.h"

struct phys_snapshot {
	struct phys phys;		/* the struct, dirty pointer included */
	struct page *pages;
	unsigned char *mem;
	int16_t *uniform;		/* NULL when p->uniform is */
	uint64_t *exact;
	uint64_t *always;		/* frames copied back every time */
	uint64_t *inuse;		/* not free at the snapshot */
	bool check;			/* THPSIM_SNAPSHOT_CHECK */
	uint64_t *tables;		/* ... their entries only */
	size_t words, table_bytes;
};

int phys_snapshot_take(struct phys *p, size_t table_bytes,
		       struct phys_snapshot **out)
{
	struct phys_snapshot *ps = calloc(1, sizeof(*ps));
	size_t bytes = p->nr_frames << p->page_shift;

	if (!ps)
		return thpsim__err(-THPSIM_ENOMEM, "snapshot: out of memory");
	ps->words = (p->nr_frames + 63) / 64;
	ps->pages = malloc(p->nr_frames * sizeof(*p->pages));
	ps->mem = malloc(bytes);
	ps->exact = malloc(ps->words * sizeof(uint64_t));
	if (p->uniform)
		ps->uniform = malloc(p->nr_frames * sizeof(*p->uniform));
	ps->always = calloc(ps->words, sizeof(uint64_t));
	ps->inuse = calloc(ps->words, sizeof(uint64_t));
	ps->tables = calloc(ps->words, sizeof(uint64_t));
	ps->table_bytes = table_bytes < p->page_size ? table_bytes : p->page_size;
	p->dirty = calloc(ps->words, sizeof(uint64_t));
	p->dirty_entries = calloc(ps->words, sizeof(uint64_t));
	if (!ps->pages || !ps->mem || !ps->always || !ps->tables || !p->dirty ||
	    !p->dirty_entries || !ps->exact || (p->uniform && !ps->uniform) || !ps->inuse) {
		phys_snapshot_free(p, ps);
		return thpsim__err(-THPSIM_ENOMEM, "snapshot: out of memory for %zu frames",
				   p->nr_frames);
	}
	for (size_t pfn = 0; pfn < p->nr_frames; pfn++) {
		thpsim_page_kind_t k = page_kind(&p->pages[pfn]);

		if (k == THPSIM_PAGE_BATCH)
			ps->always[pfn / 64] |= UINT64_C(1) << (pfn % 64);
		if (k == THPSIM_PAGE_TABLE)
			ps->tables[pfn / 64] |= UINT64_C(1) << (pfn % 64);
		if (k != THPSIM_PAGE_FREE)
			ps->inuse[pfn / 64] |= UINT64_C(1) << (pfn % 64);
	}
	memcpy(ps->pages, p->pages, p->nr_frames * sizeof(*p->pages));
	memcpy(ps->mem, p->mem, bytes);
	memcpy(ps->exact, p->exact, ps->words * sizeof(uint64_t));
	if (p->uniform)
		memcpy(ps->uniform, p->uniform, p->nr_frames * sizeof(*p->uniform));
	ps->phys = *p;
	ps->check = getenv("THPSIM_SNAPSHOT_CHECK") &&
		    strcmp(getenv("THPSIM_SNAPSHOT_CHECK"), "0");
	*out = ps;
	return 0;
}

void phys_snapshot_restore(struct phys *p, struct phys_snapshot *ps)
{
	uint64_t *dirty = p->dirty, *entries = p->dirty_entries;

	for (size_t w = 0; w < ps->words; w++) {
		uint64_t full = dirty[w] | ps->always[w];
		uint64_t part = (entries[w] | ps->tables[w]) & ~full;

		for (uint64_t pg = full | ps->inuse[w]; pg; pg &= pg - 1) {
			size_t pfn = w * 64 + (size_t)__builtin_ctzll(pg);

			memcpy(&p->pages[pfn], &ps->pages[pfn], sizeof(*p->pages));
		}
		dirty[w] = entries[w] = 0;
		for (; full; full &= full - 1) {
			size_t pfn = w * 64 + (size_t)__builtin_ctzll(full);
			size_t off = pfn << p->page_shift;

			if (ps->uniform) {
				p->uniform[pfn] = ps->uniform[pfn];
				if (ps->uniform[pfn] != PHYS_BYTES_REAL)
					continue;
			}
			memcpy(p->mem + off, ps->mem + off, p->page_size);
		}
		for (; part; part &= part - 1) {
			size_t off = (w * 64 + (size_t)__builtin_ctzll(part)) <<
				     p->page_shift;

			memcpy(p->mem + off, ps->mem + off, ps->table_bytes);
		}
	}
	memcpy(p->exact, ps->exact, ps->words * sizeof(uint64_t));
	*p = ps->phys;
	if (ps->check)
		for (size_t pfn = 0; pfn < p->nr_frames; pfn++)
			if (memcmp(&p->pages[pfn], &ps->pages[pfn],
				   sizeof(*p->pages)))
				thpsim__bug(__FILE__, __LINE__,
					    "snapshot: struct page of pfn %zu not restored",
					    pfn);
}

void phys_snapshot_free(struct phys *p, struct phys_snapshot *ps)
{
	if (!ps)
		return;
	free(p->dirty);
	free(p->dirty_entries);
	p->dirty = p->dirty_entries = NULL;
	free(ps->tables);
	free(ps->pages);
	free(ps->mem);
	free(ps->always);
	free(ps->inuse);
	free(ps->exact);
	free(ps->uniform);
	free(ps);
}
