/*
 * thpsim/phys.h - simulated physical memory: frames with struct-page-like
 * metadata, read-only from outside the library.
 *
 * API overview, in call order:
 *
 *   thpsim_machine_create(&cfg, &m);           creates the arena of
 *                                              cfg.nr_frames frames
 *     thpsim_phys_set_observer(m, fn, arg);    see every alloc / free /
 *                                              page-table state change
 *     thpsim_phys_inject_failure(m, kind, skip, count);
 *                                              make allocations fail
 *     ... run the mm layer ...
 *     thpsim_page_info(m, pfn, &info);         snapshot of one frame
 *     thpsim_phys_read(m, pfn, off, buf, len); the frame's bytes
 *     thpsim_phys_stats(m, &st);               frames free / used per kind
 *   thpsim_machine_destroy(m);
 *
 * Frames are reused LIFO and poisoned (every byte THPSIM_POISON_BYTE) when
 * freed, and every allocation and every free bumps the frame's 64-bit
 * generation, so a walker that read a freed or reused page table can be
 * caught and classified instead of crashing.  A pfn outside the arena is
 * never dereferenced: every call here bounds-checks it.
 */
#ifndef THPSIM_PHYS_H
#define THPSIM_PHYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "thpsim/errors.h"
#include "thpsim/machine.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Every byte of a freed frame. */
#define THPSIM_POISON_BYTE 0x6b

/* What a frame is used for now (tail frames carry their head's kind). */
typedef enum thpsim_page_kind {
	THPSIM_PAGE_FREE = 0,
	THPSIM_PAGE_DATA,	/* anonymous or page-cache data */
	THPSIM_PAGE_TABLE,	/* a page table at any level */
	THPSIM_PAGE_BATCH,	/* an mmu_gather batch page */
	THPSIM_PAGE_HUGE,	/* a compound (THP) page */
	THPSIM_PAGE__NR
} thpsim_page_kind_t;

/* Bit numbers in thpsim_page_info_t.flags. */
typedef enum thpsim_page_flag {
	THPSIM_PG_LOCKED = 0,	/* page lock (lock_page / trylock_page) */
	THPSIM_PG_HEAD,		/* first frame of a compound page */
	THPSIM_PG_TAIL,		/* other frames of a compound page */
	THPSIM_PG_ANON,		/* mapping is an anon_vma */
	THPSIM_PG_PGTABLE,	/* a page-table page */
	THPSIM_PG_POISONED,	/* freed and filled with the poison byte */
	THPSIM_PG_DIRTY,
	THPSIM_PG_REFERENCED,
	THPSIM_PG_UPTODATE,
	THPSIM_PG_WAITERS,	/* someone sleeps in lock_page() */
	THPSIM_PG__NR
} thpsim_page_flag_t;

/* Life cycle of a page-table frame. */
typedef enum thpsim_pt_state {
	THPSIM_PT_NONE = 0,	/* not a page table */
	THPSIM_PT_LIVE,		/* linked in a tree, covering pt_addr */
	THPSIM_PT_DETACHED,	/* allocated or unhooked, in no tree */
	THPSIM_PT_DEPOSITED,	/* on a pmd's deposit list */
	THPSIM_PT_FREED,	/* given back to the allocator */
	THPSIM_PT__NR
} thpsim_pt_state_t;

const char *thpsim_page_kind_name(thpsim_page_kind_t kind);
const char *thpsim_pt_state_name(thpsim_pt_state_t state);

/* A snapshot of one frame's metadata (fields read one by one, not atomically
 * as a whole). */
typedef struct thpsim_page_info {
	uint64_t pfn;
	thpsim_page_kind_t kind;
	uint64_t flags;		/* bit THPSIM_PG_x set when the flag is */
	int refcount;		/* this frame's own count (tails: 0) */
	int mapcount;		/* page-table mappings of this frame */
	unsigned order;		/* compound order (head and tails) */
	uint64_t head_pfn;	/* == pfn unless a tail */
	uint64_t generation;	/* bumped on every allocation and free */
	thpsim_pt_state_t pt_state;
	unsigned pt_level;	/* 1 = PTE table, 2 = PMD table, ... */
	uint64_t pt_addr;	/* first address covered while LIVE */
	bool file;		/* a page-cache page */
	uint64_t index;		/* page-cache index when file */
} thpsim_page_info_t;

/* -THPSIM_EINVAL for a pfn outside the arena (message names it). */
int thpsim_page_info(thpsim_machine_t *m, uint64_t pfn,
		     thpsim_page_info_t *info);

/* Copy len bytes at offset off of frame pfn (bounds-checked). */
int thpsim_phys_read(thpsim_machine_t *m, uint64_t pfn, size_t off,
		     void *buf, size_t len);

/*
 * Failure injection for one allocation kind: let the next skip allocations
 * of that kind succeed, then fail the following count ones with
 * -THPSIM_ENOFRAME.  count == 0 disables injection for the kind.
 */
int thpsim_phys_inject_failure(thpsim_machine_t *m, thpsim_alloc_kind_t kind,
			       unsigned skip, unsigned count);

typedef enum thpsim_phys_event_kind {
	THPSIM_PHYS_EV_ALLOC = 0,
	THPSIM_PHYS_EV_FREE,
	THPSIM_PHYS_EV_PT_STATE,	/* page-table state changed */
} thpsim_phys_event_kind_t;

typedef struct thpsim_phys_event {
	thpsim_phys_event_kind_t what;
	uint64_t pfn;		/* head pfn for compound pages */
	uint64_t generation;	/* after the event */
	thpsim_page_kind_t kind;
	unsigned order;
	thpsim_pt_state_t pt_state;	/* after the event */
	thpsim_pt_state_t pt_old_state;
	unsigned pt_level;
	uint64_t pt_addr;
} thpsim_phys_event_t;

/*
 * Called on every event.  Alloc and free events are delivered under the
 * allocator's lock (so they arrive in allocation order); the observer must
 * not call back into the allocator.  NULL removes it.
 */
typedef void (*thpsim_phys_observer_fn)(const thpsim_phys_event_t *ev,
					void *arg);
void thpsim_phys_set_observer(thpsim_machine_t *m, thpsim_phys_observer_fn fn,
			      void *arg);

typedef struct thpsim_phys_stats {
	uint64_t nr_frames;
	uint64_t nr_free;
	uint64_t used[THPSIM_PAGE__NR];	/* frames per kind ([FREE] = nr_free) */
	uint64_t allocs[THPSIM_ALLOC__NR];	/* successful, per alloc kind */
	uint64_t frees;			/* pages (not frames) freed */
	uint64_t failed[THPSIM_ALLOC__NR];	/* injected or exhausted */
} thpsim_phys_stats_t;

void thpsim_phys_stats(thpsim_machine_t *m, thpsim_phys_stats_t *out);

#ifdef __cplusplus
}
#endif
#endif /* THPSIM_PHYS_H */
