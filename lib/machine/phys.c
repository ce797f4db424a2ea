/*
 * machine/phys.c - the frame arena, its allocator and struct page helpers.
 *
 * Why LIFO and poison: the races this simulator studies end with a lockless
 * walker (GUP-fast) reading a page table that collapse, retract or zap has
 * already freed.  Reusing the most recently freed frame first makes such a
 * use-after-free show within a step or two, and poisoning the frame (every
 * byte THPSIM_POISON_BYTE, which decodes as a present PTE whose pfn lies
 * far outside the arena) makes a read of it recognisable.  The generation
 * bump on every allocation and free lets the oracle tell "the table I read
 * the pmd from" apart from "a new table in the same frame".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "machine/errors.h"
#include "machine/event.h"
#include "machine/phys.h"
#include "machine/sched.h"

static const char *const page_kind_names[THPSIM_PAGE__NR] = {
	[THPSIM_PAGE_FREE] = "free",
	[THPSIM_PAGE_DATA] = "data",
	[THPSIM_PAGE_TABLE] = "table",
	[THPSIM_PAGE_BATCH] = "batch",
	[THPSIM_PAGE_HUGE] = "huge",
};

static const char *const pt_state_names[THPSIM_PT__NR] = {
	[THPSIM_PT_NONE] = "none",
	[THPSIM_PT_LIVE] = "live",
	[THPSIM_PT_DETACHED] = "detached",
	[THPSIM_PT_DEPOSITED] = "deposited",
	[THPSIM_PT_FREED] = "freed",
};

const char *thpsim_page_kind_name(thpsim_page_kind_t kind)
{
	return (unsigned)kind < THPSIM_PAGE__NR ? page_kind_names[kind] : "?";
}

const char *thpsim_pt_state_name(thpsim_pt_state_t state)
{
	return (unsigned)state < THPSIM_PT__NR ? pt_state_names[state] : "?";
}

static thpsim_page_kind_t alloc_kind_to_page_kind(thpsim_alloc_kind_t kind)
{
	return (thpsim_page_kind_t)(kind + 1);
}

static const char *alloc_kind_name(thpsim_alloc_kind_t kind)
{
	return thpsim_page_kind_name(alloc_kind_to_page_kind(kind));
}

/* Every frame free, on the free list in ascending order (a fresh machine
 * hands out pfn 0 first). */
static void phys_init_frames(struct phys *p)
{
	pthread_mutex_init(&p->lock, NULL);
	INIT_LIST_HEAD(&p->free_list);
	for (size_t pfn = 0; pfn < p->nr_frames; pfn++) {
		struct page *page = &p->pages[pfn];

		page->phys = p;
		atomic_init(&page->head, page);
		INIT_LIST_HEAD(&page->lru);
		list_add_tail(&page->buddy, &p->free_list);
	}
	p->nr_free = p->nr_frames;
	p->used[THPSIM_PAGE_FREE] = p->nr_frames;
}

/*
 * The last arena freed on this OS thread is kept, with its struct page
 * array, and handed to the next machine of the same size: exploration
 * makes thousands of machines a second, and a fresh mapping costs a page
 * fault per frame.  A reused arena is handed out exactly as a fresh one
 * would be: every struct page zero before phys_init_frames, and every
 * frame's bytes "all poison" - symbolically (phys_bytes.c), whatever the
 * arena's bytes are, so nothing is re-poisoned.  Host addresses never
 * reach the event stream, so a reused arena changes nothing a run
 * observes; THPSIM_NO_FASTPATH=1 in the environment makes every byte real
 * and re-poisons the whole arena (tests/lab/test_fastpath.c compares both
 * ways).
 */
#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define PHYS_NO_ARENA_CACHE 1	/* LeakSanitizer: no memory kept at exit */
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define PHYS_NO_ARENA_CACHE 1
#endif

bool thpsim__fastpath(void)
{
	const char *env = getenv("THPSIM_NO_FASTPATH");

	return !env || !*env || !strcmp(env, "0");
}

static int arena_alloc(struct phys *p)
{
	p->mem = aligned_alloc(p->page_size, p->nr_frames << p->page_shift);
	p->pages = calloc(p->nr_frames, sizeof(*p->pages));
	if (p->mem)
		memset(p->mem, THPSIM_POISON_BYTE, p->nr_frames << p->page_shift);
	return p->mem && p->pages ? 0 : -1;
}

#ifdef PHYS_NO_ARENA_CACHE
static int arena_get(struct phys *p)
{
	return arena_alloc(p);
}

static void arena_put(struct phys *p)
{
	free(p->mem);
	free(p->pages);
}
#else
static _Thread_local struct {
	unsigned char *mem;
	struct page *pages;
	size_t nr_frames;
	unsigned page_shift;
} arena_cache;

static int arena_get(struct phys *p)
{
	if (!arena_cache.mem || arena_cache.nr_frames != p->nr_frames ||
	    arena_cache.page_shift != p->page_shift)
		return arena_alloc(p);
	p->mem = arena_cache.mem;
	p->pages = arena_cache.pages;
	arena_cache.mem = NULL;
	arena_cache.pages = NULL;
	if (!thpsim__fastpath())
		memset(p->mem, THPSIM_POISON_BYTE, p->nr_frames << p->page_shift);
	memset(p->pages, 0, p->nr_frames * sizeof(*p->pages));
	return 0;
}

static void arena_put(struct phys *p)
{
	if (!p->mem || !p->pages) {
		free(p->mem);
		free(p->pages);
		return;
	}
	free(arena_cache.mem);
	free(arena_cache.pages);
	arena_cache.mem = p->mem;
	arena_cache.pages = p->pages;
	arena_cache.nr_frames = p->nr_frames;
	arena_cache.page_shift = p->page_shift;
}
#endif

int thpsim__phys_create(size_t nr_frames, unsigned page_shift,
			struct phys **out)
{
	struct phys *p;

	if (!out)
		return thpsim__err(-THPSIM_EINVAL, "phys: out is NULL");
	if (page_shift < 6 || page_shift > 16)
		return thpsim__err(-THPSIM_EINVAL,
				   "phys: page_shift %u outside 6..16",
				   page_shift);
	if (nr_frames == 0 || nr_frames > (SIZE_MAX >> 17))
		return thpsim__err(-THPSIM_EINVAL,
				   "phys: nr_frames %zu outside 1..%zu",
				   nr_frames, SIZE_MAX >> 17);
	p = calloc(1, sizeof(*p));
	if (!p)
		return thpsim__err(-THPSIM_ENOMEM, "phys: no host memory");
	p->nr_frames = nr_frames;
	p->page_shift = page_shift;
	p->page_size = (size_t)1 << page_shift;
	if (arena_get(p)) {
		arena_put(p);
		free(p);
		return thpsim__err(-THPSIM_ENOMEM,
				   "phys: no host memory for %zu frames",
				   nr_frames);
	}
	phys_init_frames(p);
	if (phys_bytes_init(p, thpsim__fastpath(), THPSIM_POISON_BYTE)) {
		thpsim__phys_destroy(p);
		return thpsim__err(-THPSIM_ENOMEM,
				   "phys: no host memory for %zu frames",
				   nr_frames);
	}
	*out = p;
	return 0;
}

void thpsim__phys_destroy(struct phys *p)
{
	if (!p)
		return;
	pthread_mutex_destroy(&p->lock);
	phys_bytes_fini(p);
	arena_put(p);
	free(p);
}

struct page *virt_to_page(struct phys *p, const void *addr)
{
	const unsigned char *a = addr;

	if (!p || a < p->mem || a >= p->mem + (p->nr_frames << p->page_shift))
		return NULL;
	return &p->pages[(size_t)(a - p->mem) >> p->page_shift];
}

/*
 * The same history in the observation stream (thpsim/event.h): the
 * oracle's frame states and generations come from here.
 */
static void phys_emit(thpsim_phys_event_kind_t what, struct page *page,
		      unsigned order, thpsim_page_kind_t kind,
		      thpsim_pt_state_t old)
{
	uint64_t pfn = page_to_pfn(page);
	int alloc_kind = (int)kind - 1;	/* page kind -> alloc kind */

	switch (what) {
	case THPSIM_PHYS_EV_ALLOC:
		emit(.kind = THPSIM_EV_FRAME_ALLOC, .pfn = pfn,
		     .arg = alloc_kind, .level = (int)order,
		     .gen = page_generation(page));
		break;
	case THPSIM_PHYS_EV_FREE:
		emit(.kind = THPSIM_EV_FRAME_FREE, .pfn = pfn,
		     .arg = alloc_kind, .level = (int)order,
		     .gen = page_generation(page));
		break;
	case THPSIM_PHYS_EV_PT_STATE:
		emit(.kind = THPSIM_EV_TABLE_STATE, .pfn = pfn,
		     .arg = (int)page_pt_state(page), .val = (uint64_t)old,
		     .gen = page_generation(page), .level = page->pt_level,
		     .addr = atomic_load(&page->pt_addr));
		break;
	}
}

/* Tell the observer.  Caller holds p->lock, so events arrive in order. */
static void phys_notify(struct phys *p, thpsim_phys_event_kind_t what,
			struct page *page, unsigned order,
			thpsim_page_kind_t kind, thpsim_pt_state_t old)
{
	thpsim_phys_observer_fn fn = p->observer;
	thpsim_phys_event_t ev;

	phys_emit(what, page, order, kind, old);
	if (!fn)
		return;
	ev.what = what;
	ev.pfn = page_to_pfn(page);
	ev.generation = page_generation(page);
	ev.kind = kind;
	ev.order = order;
	ev.pt_state = page_pt_state(page);
	ev.pt_old_state = old;
	ev.pt_level = page->pt_level;
	ev.pt_addr = atomic_load(&page->pt_addr);
	fn(&ev, p->observer_arg);
}

/*
 * Decide whether injection fails this allocation.  Caller holds p->lock.
 * Returns the 1-based number of the injected failure, 0 when it succeeds.
 */
static unsigned inject_should_fail(struct phys *p, thpsim_alloc_kind_t kind)
{
	struct phys_inject *in = &p->inject[kind];

	if (in->count == 0)
		return 0;
	if (in->skip > 0) {
		in->skip--;
		return 0;
	}
	in->count--;
	p->failed[kind]++;
	return ++in->nr_failed;
}

/* An aligned run of 1 << order free frames, or -1.  Caller holds p->lock. */
static long find_free_run(struct phys *p, unsigned order)
{
	size_t n = (size_t)1 << order;

	for (size_t start = 0; start + n <= p->nr_frames; start += n) {
		size_t i;

		for (i = 0; i < n; i++)
			if (page_kind(&p->pages[start + i]) != THPSIM_PAGE_FREE)
				break;
		if (i == n)
			return (long)start;
	}
	return -1;
}

/*
 * The allocator's stores into struct page: under p->lock, which orders
 * them for every locked reader; a lockless reader (GUP-fast's speculative
 * grab) needs each field atomic, not ordered against the others (the
 * kernel's are plain stores).  Relaxed: a seq_cst store is an xchg on
 * x86, and a 512-frame huge page's set-up made thousands of them.
 */
#define store_relaxed(obj, v) \
	atomic_store_explicit((obj), (v), memory_order_relaxed)

static void generation_bump(struct page *page)
{
	store_relaxed(&page->generation,
		      atomic_load_explicit(&page->generation,
					   memory_order_relaxed) + 1);
}

/*
 * A free-list link of another frame's struct page is about to change (a
 * neighbour of a frame taken off or put on the list): a snapshot restores
 * the struct pages of frames marked dirty and of frames in use at the
 * snapshot only (phys_snapshot.c), and this one may be neither.
 */
static void buddy_mark_dirty(struct phys *p, struct list_head *link)
{
	if (p->dirty && link != &p->free_list)
		phys_mark_dirty(p, page_to_pfn(list_entry(link, struct page,
							  buddy)));
}

/* Caller holds p->lock; lockless readers see each field change alone. */
static void set_page_frame(struct page *page, thpsim_page_kind_t kind,
			   unsigned order, struct page *head)
{
	atomic_store_explicit(&page->kind, (uint8_t)kind, memory_order_relaxed);
	atomic_store_explicit(&page->order, (uint8_t)order,
			      memory_order_relaxed);
	atomic_store_explicit(&page->head, head, memory_order_relaxed);
}

/* Take frames [start, start + 2^order) off the free list and set them up as
 * one (possibly compound) page of kind.  Caller holds p->lock. */
static void prep_new_page(struct phys *p, unsigned long start, unsigned order,
			  thpsim_alloc_kind_t kind)
{
	size_t n = (size_t)1 << order;
	struct page *head = &p->pages[start];

	sched_access(head, true);
	for (size_t i = 0; i < n; i++) {
		struct page *page = head + i;

		buddy_mark_dirty(p, page->buddy.prev);
		buddy_mark_dirty(p, page->buddy.next);
		list_del_init(&page->buddy);
		set_page_frame(page, alloc_kind_to_page_kind(kind), order,
			       head);
		page->mapping = NULL;
		page->index = 0;
		page->pt_level = 0;
		page->pmd_huge_pte = NULL;
		INIT_LIST_HEAD(&page->lru);
		store_relaxed(&page->flags, i ? 1UL << PG_tail :
				   (order ? 1UL << PG_head : 0));
		store_relaxed(&page->_refcount, i ? 0 : 1);
		store_relaxed(&page->_mapcount, 0);
		store_relaxed(&page->pt_state, THPSIM_PT_NONE);
		store_relaxed(&page->pt_addr, 0);
		generation_bump(page);
	}
	/* Tables and batches are read as entries by lockless walkers:
	 * their bytes are real (phys_bytes.c); data may stay symbolic. */
	if (kind == THPSIM_ALLOC_TABLE || kind == THPSIM_ALLOC_BATCH)
		phys_bytes_set_exact(p, start, n, false);
	phys_bytes_set(p, start, n, 0);
	p->nr_free -= n;
	p->used[THPSIM_PAGE_FREE] -= n;
	p->used[page_kind(head)] += n;
	p->allocs[kind]++;
}

/* Pick the frames for an allocation.  Caller holds p->lock. */
static long pick_frames(struct phys *p, unsigned order)
{
	if (order == 0) {
		if (list_empty(&p->free_list))
			return -1;
		/* LIFO: the most recently freed frame is reused first. */
		return (long)page_to_pfn(list_first_entry(&p->free_list,
							  struct page, buddy));
	}
	return find_free_run(p, order);
}

/*
 * Models mm/page_alloc.c: __alloc_pages() (Linux 6.1).  Simplified: one
 * free list instead of buddy free areas (compound requests scan for an
 * aligned free run), no watermarks or reclaim, a kind instead of gfp flags,
 * always __GFP_ZERO, and failure injection per kind.
 */
int phys_alloc(struct phys *p, thpsim_alloc_kind_t kind, unsigned order,
	       unsigned long *pfn)
{
	unsigned injected;
	long start;

	if (!p || !pfn || (unsigned)kind >= THPSIM_ALLOC__NR || order > 20)
		return thpsim__err(-THPSIM_EINVAL,
				   "phys_alloc: bad argument (kind %d, order %u)",
				   (int)kind, order);
	sched_point(PAGE_ALLOC);
	sched_access(p, true);	/* the free lists and the failure counters */
	pthread_mutex_lock(&p->lock);
	injected = inject_should_fail(p, kind);
	if (injected) {
		pthread_mutex_unlock(&p->lock);
		return thpsim__err(-THPSIM_ENOFRAME,
				   "injected allocation failure #%u for kind %s (order %u)",
				   injected, alloc_kind_name(kind), order);
	}
	start = pick_frames(p, order);
	if (start < 0) {
		size_t nr_free = p->nr_free;

		p->failed[kind]++;
		pthread_mutex_unlock(&p->lock);
		return thpsim__err(-THPSIM_ENOFRAME,
				   "physical frame pool exhausted: no %zu free frame(s) for kind %s order %u (%zu of %zu free)",
				   (size_t)1 << order, alloc_kind_name(kind),
				   order, nr_free, p->nr_frames);
	}
	prep_new_page(p, (unsigned long)start, order, kind);
	phys_notify(p, THPSIM_PHYS_EV_ALLOC, &p->pages[start], order,
		    alloc_kind_to_page_kind(kind), THPSIM_PT_NONE);
	pthread_mutex_unlock(&p->lock);
	*pfn = (unsigned long)start;
	return 0;
}

struct page *alloc_pages(struct phys *p, thpsim_alloc_kind_t kind,
			 unsigned order)
{
	unsigned long pfn;

	if (phys_alloc(p, kind, order, &pfn))
		return NULL;
	return &p->pages[pfn];
}

/*
 * Poison one frame and put it back.  Tails go on the list before the head
 * so that the head, on top, is reused first.  Caller holds p->lock.
 */
static void free_one_frame(struct phys *p, struct page *page)
{
	phys_bytes_set(p, page_to_pfn(page), 1, THPSIM_POISON_BYTE);
	store_relaxed(&page->flags, 1UL << PG_poisoned);
	if (page_pt_state(page) != THPSIM_PT_NONE)
		store_relaxed(&page->pt_state, THPSIM_PT_FREED);
	generation_bump(page);
	p->used[page_kind(page)]--;
	p->used[THPSIM_PAGE_FREE]++;
	set_page_frame(page, THPSIM_PAGE_FREE, 0, page);
	page->mapping = NULL;
	buddy_mark_dirty(p, p->free_list.next);
	list_add(&page->buddy, &p->free_list);
	p->nr_free++;
}

/*
 * Models mm/page_alloc.c: free_the_page() / __free_pages_ok() (Linux 6.1).
 * Simplified: bad_page() checks become thpsim__bug(); no merging.  The
 * observer sees the head (with its order) after poisoning, so the event's
 * generation is the frame's freed generation.
 */
static void free_the_page(struct phys *p, struct page *head)
{
	unsigned order = compound_order(head);
	thpsim_page_kind_t kind = page_kind(head);
	thpsim_pt_state_t old = page_pt_state(head);

	if (page_mapcount(head))
		thpsim__bug(__FILE__, __LINE__,
			    "freeing pfn %lu with mapcount %d",
			    page_to_pfn(head), page_mapcount(head));
	sched_point(PAGE_FREE);
	sched_access(p, true);
	sched_access(head, true);
	pthread_mutex_lock(&p->lock);
	for (size_t i = (size_t)1 << order; i-- > 0;)
		free_one_frame(p, head + i);
	p->frees++;
	phys_notify(p, THPSIM_PHYS_EV_FREE, head, order, kind, old);
	pthread_mutex_unlock(&p->lock);
}

/* Models mm/page_alloc.c: __free_pages() (Linux 6.1).  Simplified: by
 * pfn, bounds- and state-checked, the order taken from the page. */
int phys_free(struct phys *p, unsigned long pfn)
{
	struct page *page = pfn_to_page(p, pfn);

	if (!page)
		return thpsim__err(-THPSIM_EINVAL,
				   "phys_free: pfn %lu outside the arena (0..%zu)",
				   pfn, p ? p->nr_frames - 1 : 0);
	if (page_kind(page) == THPSIM_PAGE_FREE || page != compound_head(page))
		return thpsim__err(-THPSIM_EINVAL,
				   "phys_free: pfn %lu is %s",
				   pfn, page_kind(page) == THPSIM_PAGE_FREE ?
				   "already free" : "a tail page");
	put_page(page);
	return 0;
}

/* Models include/linux/mm.h: get_page() (Linux 6.1). */
void get_page(struct page *page)
{
	struct page *head = compound_head(page);

	sched_point(PAGE_REF);
	sched_access(head, true);
	if (sched_fetch_add(&head->_refcount, 1) <= 0)
		thpsim__bug(__FILE__, __LINE__,
			    "get_page on pfn %lu with refcount 0",
			    page_to_pfn(head));
}

/*
 * Models include/linux/mm.h: put_page() (Linux 6.1).  Simplified: the
 * last reference frees the page at once (no pagevec, no LRU).
 */
void put_page(struct page *page)
{
	struct page *head = compound_head(page);
	int old;

	sched_point(PAGE_REF);
	sched_access(head, true);
	old = sched_fetch_sub(&head->_refcount, 1);
	if (old <= 0)
		thpsim__bug(__FILE__, __LINE__,
			    "put_page on pfn %lu with refcount %d",
			    page_to_pfn(head), old);
	if (old == 1)
		free_the_page(head->phys, head);
}

/*
 * Models include/linux/page_ref.h: page_ref_add_unless() (Linux 6.1).
 * Add nr unless the count is u; true when added.  On the compound head, as
 * folio_ref_add_unless().
 */
bool page_ref_add_unless(struct page *page, int nr, int u)
{
	struct page *head = compound_head(page);
	int old = atomic_load(&head->_refcount);

	sched_point(PAGE_REF);
	sched_access(head, true);
	old = atomic_load(&head->_refcount);
	do {
		if (old == u)
			return false;
	} while (!atomic_compare_exchange_weak(&head->_refcount, &old,
					       old + nr));
	return true;
}

/*
 * Models include/linux/mm.h: try_get_page() (Linux 6.1).  Fails on a page
 * being freed (refcount 0): the speculative grab of GUP-fast (see
 * try_grab_folio) depends on exactly that.
 */
bool try_get_page(struct page *page)
{
	return page_ref_add_unless(page, 1, 0);
}

thpsim_pt_state_t page_pt_set_state(struct page *page, thpsim_pt_state_t st,
				    unsigned long addr)
{
	struct phys *p = page->phys;
	thpsim_pt_state_t old;

	/* Under the allocator lock so the observer's history is one total
	 * order of allocations, frees and state changes. */
	sched_access(page, true);
	pthread_mutex_lock(&p->lock);
	if (st == THPSIM_PT_LIVE)
		atomic_store(&page->pt_addr, addr);
	old = (thpsim_pt_state_t)atomic_exchange(&page->pt_state, (int)st);
	phys_notify(p, THPSIM_PHYS_EV_PT_STATE, page, compound_order(page),
		    page_kind(page), old);
	pthread_mutex_unlock(&p->lock);
	return old;
}
