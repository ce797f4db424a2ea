/*
 * machine/phys.h - simulated physical memory: struct page, the frame
 * allocator and the kernel-named page helpers the mm layer calls.
 *
 * API overview, in call order:
 *
 *   thpsim__phys_create(nr_frames, page_shift, &p)   (machine_create)
 *     phys_alloc(p, kind, order, &pfn) / alloc_pages(p, kind, order)
 *     pfn_valid(p, pfn), pfn_to_page(p, pfn), page_to_pfn(page)
 *     page_address(page), pfn_to_virt(p, pfn), virt_to_page(p, addr)
 *     get_page(page), try_get_page(page), page_ref_add_unless(...)
 *     put_page(page)                  frees at refcount 0
 *     phys_free(p, pfn)               __free_pages: drop the caller's ref
 *     page_pt_set_state(page, st, addr)    page-table life cycle
 *   thpsim__phys_destroy(p)           (machine_destroy)
 *
 * Struct page is internal; the public snapshot is thpsim_page_info_t.
 *
 * Locking: the allocator's lock is a leaf (see machine/lock.h): it nests
 * inside every mm lock, never blocks on anything else and never passes a
 * scheduling point while held, so a deterministic scheduler never parks a
 * thread that holds it.  Per-page fields that change while a page is in use
 * (refcount, mapcount, flags, generation, pt_state) are atomics; kind, order
 * and head are written only under the allocator lock while the frame is
 * being allocated or freed.
 */
#ifndef THPSIM_MACHINE_PHYS_H
#define THPSIM_MACHINE_PHYS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "thpsim/machine.h"
#include "thpsim/phys.h"
#include "machine/list.h"
#include "machine/lock.h"
#include "machine/rcu.h"
#include "machine/sched.h"

struct phys;

/* pfns are unsigned long inside, uint64_t in the public API. */
_Static_assert(sizeof(unsigned long) == sizeof(uint64_t),
	       "thpsim needs an LP64 host");

/* Kernel-named flag bits (the public numbers). */
enum pageflags {
	PG_locked = THPSIM_PG_LOCKED,
	PG_head = THPSIM_PG_HEAD,
	PG_tail = THPSIM_PG_TAIL,
	PG_anon = THPSIM_PG_ANON,
	PG_pgtable = THPSIM_PG_PGTABLE,
	PG_poisoned = THPSIM_PG_POISONED,
	PG_dirty = THPSIM_PG_DIRTY,
	PG_referenced = THPSIM_PG_REFERENCED,
	PG_uptodate = THPSIM_PG_UPTODATE,
	PG_waiters = THPSIM_PG_WAITERS,
};

struct page {
	_Atomic unsigned long flags;
	_Atomic int _refcount;
	_Atomic int _mapcount;		/* simplified: starts at 0, not -1 */
	_Atomic uint64_t generation;	/* bumped on alloc and on free */
	/* References GUP returned on this (sub)page and not yet unpinned
	 * (kernel: what FOLL_PIN's pincount tracks); never reset, so that a
	 * pin outliving a wrong free is still counted.  thpsim_unpin()
	 * refuses a frame at 0: a double unpin. */
	_Atomic int gup_pins;
	/* kind, order and head change only under the allocator lock, but a
	 * lockless walker (GUP-fast's speculative grab) may read them while
	 * the frame is freed and reused: relaxed atomics, via page_kind(),
	 * compound_order() and compound_head(). */
	_Atomic uint8_t kind;		/* thpsim_page_kind_t */
	_Atomic uint8_t order;		/* compound order, head and tails */
	uint8_t pt_level;		/* tables: 1 = PTE, 2 = PMD, ... */
	_Atomic int pt_state;		/* thpsim_pt_state_t */
	_Atomic unsigned long pt_addr;	/* first address covered while LIVE */
	struct page *_Atomic head;	/* self unless a tail */
	struct phys *phys;

	/* Deposit linkage (pgtable_trans_huge_deposit), as the kernel's lru. */
	struct list_head lru;
	/* Deposit list head of a PMD-table page (kernel: pmd_huge_pte). */
	struct page *pmd_huge_pte;
	/* Allocator free list. */
	struct list_head buddy;
	/* Deferred table freeing (pte_free_defer, tlb_remove_table). */
	struct rcu_head rcu_head;
	/* Split page-table lock of a table page (kernel: page->ptl). */
	spinlock_t ptl;

	/* lock_page() sleepers wait for this to change (bumped by every
	 * unlock_page()); the holder's CPU id, -1 when unlocked. */
	_Atomic uint32_t lock_seq;
	_Atomic int lock_owner;

	/* Page cache: an address_space and index; anon: an anon_vma. */
	void *mapping;
	unsigned long index;
};

struct phys_inject {
	unsigned skip;		/* successes still to let through */
	unsigned count;		/* failures still to inject */
	unsigned nr_failed;	/* injected since the last arming */
};

struct phys {
	size_t nr_frames;
	unsigned page_shift;
	size_t page_size;
	unsigned char *mem;		/* nr_frames << page_shift bytes */
	struct page *pages;
	/* While a snapshot is kept (machine/snapshot.h): frames whose bytes
	 * this schedule may have changed; NULL otherwise. */
	uint64_t *dirty;
	/* ... and tables whose entries (only) it may have changed. */
	uint64_t *dirty_entries;
	/* A frame's bytes (phys_bytes.c): uniform[pfn] is PHYS_BYTES_REAL
	 * (they are in mem) or the one value every byte has; NULL when
	 * every frame is real (THPSIM_NO_FASTPATH).  exact: frames read as
	 * entries, whose bytes are always real (one bit each). */
	int16_t *uniform;
	uint64_t *exact;

	pthread_mutex_t lock;		/* the allocator lock (leaf) */
	struct list_head free_list;	/* order-0 LIFO, via page->buddy */
	size_t nr_free;
	uint64_t used[THPSIM_PAGE__NR];
	uint64_t allocs[THPSIM_ALLOC__NR];
	uint64_t failed[THPSIM_ALLOC__NR];
	uint64_t frees;
	struct phys_inject inject[THPSIM_ALLOC__NR];

	thpsim_phys_observer_fn observer;
	void *observer_arg;
};

int thpsim__phys_create(size_t nr_frames, unsigned page_shift,
			struct phys **out);
void thpsim__phys_destroy(struct phys *p);
/* The schedule-independent shortcuts of exploration (arena re-poisoning
 * by record, ...) are on unless THPSIM_NO_FASTPATH is set (not "0"). */
bool thpsim__fastpath(void);
/* Provided by machine/machine.c. */
struct phys *thpsim__machine_phys(thpsim_machine_t *m);

/* ---- frames and addresses (all bounds-checked) ---------------------- */

/* Models include/linux/mmzone.h: pfn_valid() (Linux 6.1). */
static inline bool pfn_valid(const struct phys *p, unsigned long pfn)
{
	return p && pfn < p->nr_frames;
}

/* Models include/asm-generic/memory_model.h: pfn_to_page() / page_to_pfn()
 * (Linux 6.1).  Simplified: NULL for a pfn outside the arena. */
static inline struct page *pfn_to_page(struct phys *p, unsigned long pfn)
{
	return pfn_valid(p, pfn) ? &p->pages[pfn] : NULL;
}

static inline unsigned long page_to_pfn(const struct page *page)
{
	return (unsigned long)(page - page->phys->pages);
}

/* Models include/linux/mm.h: pfn_to_virt() / page_address() (Linux 6.1):
 * the frame's bytes in the arena (NULL for a pfn outside it). */
static inline void *pfn_to_virt(struct phys *p, unsigned long pfn)
{
	return pfn_valid(p, pfn) ? p->mem + (pfn << p->page_shift) : NULL;
}

static inline void *page_address(const struct page *page)
{
	return page->phys->mem + (page_to_pfn(page) << page->phys->page_shift);
}

/* Models include/linux/mm.h: virt_to_page() (Linux 6.1): the frame holding
 * addr, or NULL when addr is outside the arena. */
struct page *virt_to_page(struct phys *p, const void *addr);

/* A write into frame pfn's bytes (snapshot.h: restored after the run). */
static inline void phys_mark_dirty(struct phys *p, unsigned long pfn)
{
	if (p->dirty && pfn < p->nr_frames)
		p->dirty[pfn / 64] |= UINT64_C(1) << (pfn % 64);
}

/* A store of the entry at host address a (inside a table frame). */
static inline void phys_mark_entry_dirty(struct phys *p, const void *a)
{
	if (p->dirty_entries) {
		size_t off = (size_t)((const unsigned char *)a - p->mem);

		if (off < (p->nr_frames << p->page_shift))
			p->dirty_entries[(off >> p->page_shift) / 64] |=
				UINT64_C(1) << ((off >> p->page_shift) % 64);
	}
}

/* ---- a frame's bytes (phys_bytes.c) ------------------------------------ */

#define PHYS_BYTES_REAL (-1)

/* Set up uniform[] (every frame holding initial, or real when !symbolic)
 * and an empty exact set; -1 when out of host memory. */
int phys_bytes_init(struct phys *p, bool symbolic, int initial);
void phys_bytes_fini(struct phys *p);
/* Frames [pfn, pfn + n) get every byte = byte (alloc zeroes, free
 * poisons); symbolic unless exact.  Marks them dirty. */
void phys_bytes_set(struct phys *p, unsigned long pfn, size_t n,
		    unsigned char byte);
/* Frames [pfn, pfn + n) are read as entries from now on: real bytes for
 * the machine's life.  keep: make the current content real first (false
 * when the caller overwrites every byte next).  Caller holds p->lock. */
void phys_bytes_set_exact(struct phys *p, unsigned long pfn, size_t n,
			  bool keep);
/* Frame pfn's bytes are real for the machine's life. */
static inline bool phys_bytes_exact(const struct phys *p, unsigned long pfn)
{
	return !p->uniform ||
	       (__atomic_load_n(&p->exact[pfn / 64], __ATOMIC_ACQUIRE) >>
		(pfn % 64)) & 1;
}
void phys_bytes_expose_slow(struct phys *p, unsigned long pfn);
/* pt_entry(): the frame at pfn is about to be read as a table. */
static inline void phys_bytes_expose(struct phys *p, unsigned long pfn)
{
	if (!phys_bytes_exact(p, pfn))
		phys_bytes_expose_slow(p, pfn);
}
/* Real bytes, one value each word, atomically under ThreadSanitizer. */
void phys_bytes_fill_real(void *frame, size_t bytes, unsigned char byte);
/* buf's n bytes are all the same. */
bool phys_bytes_uniform(const void *buf, size_t n);
/* Copy n bytes at off out of / into frame pfn (write marks it dirty). */
void phys_bytes_read(struct phys *p, unsigned long pfn, size_t off,
		     void *buf, size_t n);
void phys_bytes_write(struct phys *p, unsigned long pfn, size_t off,
		      const void *buf, size_t n);
/* The frame's real bytes, to write (marks it dirty). */
void *phys_bytes_map(struct phys *p, unsigned long pfn);
/* copy_user_highpage(): frame dst = frame src, whole (marks dst dirty). */
void phys_bytes_copy(struct phys *p, unsigned long dst, unsigned long src);
/* Frames a and b hold the same bytes. */
bool phys_bytes_equal(struct phys *p, unsigned long a, unsigned long b);

/* ---- flags ------------------------------------------------------------ */

/*
 * The getters and setters here log their struct page access for
 * partial-order reduction (machine/sched.h): a read of a refcount, a
 * flag or a table's state must conflict with a write of it in another
 * thread even when no lock orders the two (khugepaged's scan reads the
 * refcount a lockless GUP-fast grab raised).
 */

#define THPSIM__PAGEFLAG(uname, bit)                                         \
	static inline bool Page##uname(struct page *page)                    \
	{                                                                    \
		sched_access(page, false);                                   \
		return (atomic_load(&page->flags) >> (bit)) & 1;             \
	}                                                                    \
	static inline void SetPage##uname(struct page *page)                 \
	{                                                                    \
		sched_access(page, true);                                    \
		sched_fetch_or(&page->flags, 1UL << (bit));                  \
	}                                                                    \
	static inline void ClearPage##uname(struct page *page)               \
	{                                                                    \
		sched_access(page, true);                                    \
		sched_fetch_and(&page->flags, ~(1UL << (bit)));              \
	}

THPSIM__PAGEFLAG(Locked, PG_locked)
THPSIM__PAGEFLAG(Head, PG_head)
THPSIM__PAGEFLAG(Tail, PG_tail)
THPSIM__PAGEFLAG(Anon, PG_anon)
THPSIM__PAGEFLAG(Table, PG_pgtable)
THPSIM__PAGEFLAG(Poisoned, PG_poisoned)
THPSIM__PAGEFLAG(Dirty, PG_dirty)
THPSIM__PAGEFLAG(Referenced, PG_referenced)
THPSIM__PAGEFLAG(Uptodate, PG_uptodate)

/*
 * The page lock (PG_locked) of page's folio: the compound head, as
 * folio_trylock(page_folio(page)) does (Linux 6.1).  A sleeping lock:
 * lock_page() blocks through sched_wait(), so the deterministic scheduler
 * knows who waits on whom.  machine/page_lock.c.
 */
bool trylock_page(struct page *page);
void lock_page(struct page *page);
void unlock_page(struct page *page);
/* Models include/linux/page-flags.h: compound_head() (Linux 6.1). */
static inline struct page *compound_head(struct page *page)
{
	sched_access(page, false);
	return atomic_load_explicit(&page->head, memory_order_relaxed);
}

/* Models include/linux/mm.h: compound_order() (Linux 6.1). */
static inline unsigned compound_order(struct page *page)
{
	sched_access(page, false);
	return atomic_load_explicit(&page->order, memory_order_relaxed);
}

static inline thpsim_page_kind_t page_kind(struct page *page)
{
	sched_access(page, false);
	return (thpsim_page_kind_t)atomic_load_explicit(&page->kind,
							memory_order_relaxed);
}

/* ---- allocation ------------------------------------------------------- */

/*
 * Allocate 1 << order frames of a kind: zeroed, refcount 1, generation
 * bumped.  -THPSIM_ENOFRAME (message set) on exhaustion or injection.
 */
int phys_alloc(struct phys *p, thpsim_alloc_kind_t kind, unsigned order,
	       unsigned long *pfn);
/* Models mm/page_alloc.c: alloc_pages() (Linux 6.1). Simplified: a kind
 * instead of gfp flags; always zeroed; NULL on failure (message set). */
struct page *alloc_pages(struct phys *p, thpsim_alloc_kind_t kind,
			 unsigned order);
/*
 * __free_pages(): drop the caller's reference to pfn's page, free it when
 * it was the last.  -THPSIM_EINVAL for a pfn outside the arena or a free
 * frame.
 */
int phys_free(struct phys *p, unsigned long pfn);

/* ---- references ------------------------------------------------------- */

/* Models include/linux/page_ref.h: page_ref_count() (Linux 6.1). */
static inline int page_ref_count(struct page *page)
{
	sched_access(page, false);
	return atomic_load(&page->_refcount);
}

/*
 * Models include/linux/page_ref.h: page_ref_freeze() / page_ref_unfreeze()
 * (Linux 6.1), on the folio's head.  Freeze turns count into 0 atomically,
 * so every speculative reference (try_get_page, GUP-fast's try_grab_folio)
 * fails until unfreeze sets the count again.
 */
bool page_ref_freeze(struct page *page, int count);
void page_ref_unfreeze(struct page *page, int count);

/* Models include/linux/mm.h: page_mapcount() (Linux 6.1).  Simplified:
 * counts from 0, per frame (a THP's PMD mapping is on the head). */
static inline int page_mapcount(struct page *page)
{
	sched_access(page, false);
	return atomic_load(&page->_mapcount);
}

void get_page(struct page *page);
void put_page(struct page *page);
bool page_ref_add_unless(struct page *page, int nr, int u);
bool try_get_page(struct page *page);

/* ---- page-table state ------------------------------------------------- */

static inline thpsim_pt_state_t page_pt_state(struct page *page)
{
	sched_access(page, false);
	return (thpsim_pt_state_t)atomic_load(&page->pt_state);
}

static inline uint64_t page_generation(struct page *page)
{
	sched_access(page, false);
	return atomic_load(&page->generation);
}

/*
 * Move a table page to a new state (addr is recorded for LIVE) and tell
 * the observer.  Returns the old state.
 */
thpsim_pt_state_t page_pt_set_state(struct page *page, thpsim_pt_state_t st,
				    unsigned long addr);

#endif /* THPSIM_MACHINE_PHYS_H */
