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
 * pages, never the rest of the arena.  The struct page array is copied
 * back whole (fields change on every path).
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
	uint64_t *always;		/* frames copied back every time */
	size_t words;
};

int phys_snapshot_take(struct phys *p, struct phys_snapshot **out)
{
	struct phys_snapshot *ps = calloc(1, sizeof(*ps));
	size_t bytes = p->nr_frames << p->page_shift;

	if (!ps)
		return thpsim__err(-THPSIM_ENOMEM, "snapshot: out of memory");
	ps->words = (p->nr_frames + 63) / 64;
	ps->pages = malloc(p->nr_frames * sizeof(*p->pages));
	ps->mem = malloc(bytes);
	ps->always = calloc(ps->words, sizeof(uint64_t));
	p->dirty = calloc(ps->words, sizeof(uint64_t));
	if (!ps->pages || !ps->mem || !ps->always || !p->dirty) {
		phys_snapshot_free(p, ps);
		return thpsim__err(-THPSIM_ENOMEM, "snapshot: out of memory for %zu frames",
				   p->nr_frames);
	}
	for (size_t pfn = 0; pfn < p->nr_frames; pfn++) {
		thpsim_page_kind_t k = page_kind(&p->pages[pfn]);

		if (k == THPSIM_PAGE_TABLE || k == THPSIM_PAGE_BATCH)
			ps->always[pfn / 64] |= UINT64_C(1) << (pfn % 64);
	}
	memcpy(ps->pages, p->pages, p->nr_frames * sizeof(*p->pages));
	memcpy(ps->mem, p->mem, bytes);
	ps->phys = *p;
	*out = ps;
	return 0;
}

void phys_snapshot_restore(struct phys *p, struct phys_snapshot *ps)
{
	uint64_t *dirty = p->dirty;

	for (size_t w = 0; w < ps->words; w++) {
		uint64_t bits = dirty[w] | ps->always[w];

		dirty[w] = 0;
		for (; bits; bits &= bits - 1) {
			size_t off = (w * 64 + (size_t)__builtin_ctzll(bits)) <<
				     p->page_shift;

			memcpy(p->mem + off, ps->mem + off, p->page_size);
		}
	}
	memcpy(p->pages, ps->pages, p->nr_frames * sizeof(*p->pages));
	*p = ps->phys;
}

void phys_snapshot_free(struct phys *p, struct phys_snapshot *ps)
{
	if (!ps)
		return;
	free(p->dirty);
	p->dirty = NULL;
	free(ps->pages);
	free(ps->mem);
	free(ps->always);
	free(ps);
}
