/*
 * lab/oracle.c - the oracle's truth: frames, the live mapping, findings
 * and the verdict.  The rules are listed in oracle.h; the walker side
 * (reads, grabs, pins, rechecks, IPI waits) is in oracle_walk.c.
 *
 * Frames are tracked in chunks allocated on first mention, so the
 * oracle's memory follows the frames a run touches, not the arena size.
 * A PTE table's entries are kept only once one is set; pmds are kept by
 * pmd index in a hash map, so a sparse 5-level address space costs what
 * it maps.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "arch/pgtable_x86.h"
#include "lab/oracle_internal.h"
#include "machine/errors.h"
#include "machine/snapshot.h"

#define CHUNK_FRAMES (UINT64_C(1) << ORACLE_CHUNK_SHIFT)

static unsigned ilog2_u64(uint64_t x)
{
	unsigned r = 0;

	while (x > 1) {
		x >>= 1;
		r++;
	}
	return r;
}

static void verdict_reset(thpsim_verdict_t *v)
{
	memset(v, 0, sizeof(*v));
	v->outcome = THPSIM_OUTCOME_SAFE;
}

/**
 * oracle_create() - an oracle for one run.
 * @g: the run's page-table geometry (NULL: the default).
 * @nr_frames: frames in the simulated arena; a pfn at or above it is
 *	garbage.
 *
 * Returns the oracle, or NULL with thpsim_errmsg() set.
 */
struct oracle *oracle_create(const thpsim_geometry_t *g, size_t nr_frames)
{
	thpsim_geometry_t def;
	struct oracle *o;

	if (!g) {
		thpsim_geometry_default(&def);
		g = &def;
	}
	if (thpsim_geometry_validate(g))
		return NULL;
	if ((uint64_t)nr_frames > ORACLE_FRAMES_MAX) {
		thpsim__err(-THPSIM_EINVAL,
			    "oracle: %zu frames, at most %" PRIu64, nr_frames,
			    ORACLE_FRAMES_MAX);
		return NULL;
	}
	o = snap_calloc(1, sizeof(*o));
	if (!o)
		goto out_nomem;
	o->g = *g;
	o->nr_frames = nr_frames;
	o->page_shift = g->page_shift;
	o->entries = g->entries;
	o->pmd_shift = g->page_shift + ilog2_u64(g->entries);
	o->nr_chunks = (o->nr_frames + CHUNK_FRAMES - 1) >> ORACLE_CHUNK_SHIFT;
	o->chunks = snap_calloc(o->nr_chunks ? o->nr_chunks : 1, sizeof(*o->chunks));
	if (!o->chunks)
		goto out_free;
	thpsim__pmap_init(&o->pmds, ORACLE_PMDS_MAX);
	pthread_mutex_init(&o->lock, NULL);
	o->last = evref_none();
	verdict_reset(&o->v);
	return o;

out_free:
	snap_free(o);
out_nomem:
	thpsim__err(-THPSIM_ENOMEM, "oracle: out of host memory");
	return NULL;
}

/* Frames in chunk i: the last chunk stops at the arena's end (small
 * arenas, made thousands of times a second by exploration). */
static uint64_t chunk_len(const struct oracle *o, uint64_t i)
{
	uint64_t base = i << ORACLE_CHUNK_SHIFT;

	return o->nr_frames - base < CHUNK_FRAMES ? o->nr_frames - base :
						    CHUNK_FRAMES;
}

void oracle_destroy(struct oracle *o)
{
	if (!o)
		return;
	for (uint64_t i = 0; i < o->nr_chunks; i++) {
		if (!o->chunks[i])
			continue;
		for (uint64_t j = 0; j < chunk_len(o, i); j++)
			snap_free(o->chunks[i][j].ptes);
		snap_free(o->chunks[i]);
	}
	for (int i = 0; i < ORACLE_CPUS_MAX; i++) {
		if (!o->cpus[i])
			continue;
		oracle_walk_free(&o->cpus[i]->walk);
		snap_free(o->cpus[i]);
	}
	thpsim__pmap_free(&o->pmds);
	snap_free(o->refs);
	snap_free(o->chunks);
	pthread_mutex_destroy(&o->lock);
	snap_free(o);
}

static void frame_init(struct frame *f)
{
	memset(f, 0, sizeof(*f));
	f->head = NO_PFN;
	f->copy_to = NO_PFN;
	f->alloc = f->freed = f->state_chg = evref_none();
	f->set = f->copied = f->isolated = evref_none();
}

/* The frame pfn; NULL outside the arena (or, unless create, when nothing
 * was ever said about its chunk). */
struct frame *oracle_frame(struct oracle *o, uint64_t pfn, bool create)
{
	struct frame *chunk;
	struct frame *f;

	if (pfn >= o->nr_frames)
		return NULL;
	chunk = o->chunks[pfn >> ORACLE_CHUNK_SHIFT];
	if (!chunk) {
		if (!create)
			return NULL;
		uint64_t n = chunk_len(o, pfn >> ORACLE_CHUNK_SHIFT);

		chunk = snap_malloc(n * sizeof(*chunk));
		if (!chunk)
			return NULL;
		for (uint64_t i = 0; i < n; i++)
			frame_init(&chunk[i]);
		o->chunks[pfn >> ORACLE_CHUNK_SHIFT] = chunk;
	}
	f = &chunk[pfn & (CHUNK_FRAMES - 1)];
	if (create)
		f->known = true;
	return f;
}

struct cpu_state *oracle_cpu(struct oracle *o, int cpu, bool create)
{
	struct cpu_state *c;

	if (cpu < 0 || cpu >= ORACLE_CPUS_MAX)
		return NULL;
	c = o->cpus[cpu];
	if (c || !create)
		return c;
	/* Not calloc: the walk's rings (16 KiB) are read only below their
	 * counts, so zeroing them per run would be wasted (2x4 profile). */
	c = snap_malloc(sizeof(*c));
	if (!c)
		return NULL;
	c->irq_off = false;
	c->walk.active = false;
	c->walk.kind = 0;
	c->walk.start = c->walk.nr_pages = 0;
	c->walk.seen_overflow = false;
	c->walk.nr_child = c->walk.nr_reads = 0;
	thpsim__pmap_init(&c->walk.seen, WALK_SEEN_MAX);
	c->irq_off_at = c->walk.begin = evref_none();
	o->cpus[cpu] = c;
	if (cpu >= o->nr_cpus)
		o->nr_cpus = cpu + 1;
	return c;
}

/* ---- the mapping --------------------------------------------------------- */

static bool pmd_is_table(uint64_t v)
{
	return pmd_present(__pmd(v)) && !pmd_trans_huge(__pmd(v));
}

/* The pfn mapped at page address addr now, NO_PFN when none. */
uint64_t oracle_resolve(struct oracle *o, uint64_t addr)
{
	struct pmap_entry *e = thpsim__pmap_get(&o->pmds,
						addr >> o->pmd_shift, 0);
	uint64_t idx = (addr >> o->page_shift) & (o->entries - 1);
	struct frame *t;
	pmd_t pmd;
	pte_t pte;

	if (!e || !pmd_present(__pmd(e->v[0])))
		return NO_PFN;
	pmd = __pmd(e->v[0]);
	if (pmd_trans_huge(pmd))
		return pmd_pfn(pmd) + idx;
	t = oracle_frame(o, pmd_pfn(pmd), false);
	if (!t || !t->ptes)
		return NO_PFN;
	pte = __pte(t->ptes[idx]);
	return pte_present(pte) ? pte_pfn(pte) : NO_PFN;
}

/* A pmd at pmd-aligned base now points at (or away from) a PTE table. */
static void pmd_link(struct oracle *o, uint64_t val, uint64_t base, bool on)
{
	struct frame *t;

	if (!pmd_is_table(val))
		return;
	t = oracle_frame(o, pmd_pfn(__pmd(val)), on);
	if (!t)
		return;
	if (on) {
		t->linked = true;
		t->linked_at = base;
	} else if (t->linked && t->linked_at == base) {
		t->linked = false;
	}
}

static bool pte_set(struct oracle *o, const thpsim_event_t *ev)
{
	struct frame *t = oracle_frame(o, ev->pfn, true);
	uint64_t idx = (uint64_t)ev->idx;

	if (!t || ev->idx < 0 || idx >= o->entries)
		return false;
	if (!t->ptes) {
		t->ptes = snap_calloc(o->entries, sizeof(*t->ptes));
		if (!t->ptes)
			return false;
	}
	t->set = evref_of(ev);
	oracle_walks_entry_changed(o, 1, ev->pfn, idx, ev->val2, ev);
	if (t->ptes[idx] == ev->val2)
		return true;
	t->ptes[idx] = ev->val2;
	if (t->linked)
		oracle_walks_note(o, t->linked_at + (idx << o->page_shift),
				  UINT64_C(1) << o->page_shift);
	return true;
}

static bool pmd_set(struct oracle *o, const thpsim_event_t *ev)
{
	uint64_t key = ev->addr >> o->pmd_shift;
	uint64_t base = key << o->pmd_shift;
	struct pmap_entry *e = thpsim__pmap_put(&o->pmds, key, 0, NULL);
	struct frame *dir = oracle_frame(o, ev->pfn, true);
	uint64_t old;

	if (!e)
		return false;
	old = e->v[0];
	e->v[0] = ev->val2;
	e->v[1] = ev->pfn;
	e->v[2] = ev->seq;
	e->v[3] = ev->step;
	e->i = ev->cpu;
	if (dir)
		dir->has_pmds = true;
	oracle_walks_entry_changed(o, 2, key, 0, ev->val2, ev);
	if (old == ev->val2)
		return true;
	pmd_link(o, old, base, false);
	pmd_link(o, ev->val2, base, true);
	oracle_walks_note(o, base, UINT64_C(1) << o->pmd_shift);
	return true;
}

static bool entry_set(struct oracle *o, const thpsim_event_t *ev)
{
	if (ev->level == 1)
		return pte_set(o, ev);
	if (ev->level == 2)
		return pmd_set(o, ev);
	/* Upper levels are not needed to resolve an address. */
	return ev->level > 2 && ev->level <= THPSIM_LEVELS_MAX;
}

/*
 * A pmd table was freed: its entries are gone with it (they were cleared
 * first on every legitimate path; this keeps the oracle right when not).
 */
static void pmds_forget_table(struct oracle *o, const thpsim_event_t *ev)
{
	for (size_t i = 0; i < o->pmds.cap; i++) {
		struct pmap_entry *e = &o->pmds.e[i];

		if (!e->used || e->v[1] != ev->pfn || !e->v[0])
			continue;
		pmd_link(o, e->v[0], e->k1 << o->pmd_shift, false);
		e->v[0] = 0;
		oracle_walks_entry_changed(o, 2, e->k1, 0, 0, ev);
	}
}

/* ---- frames -------------------------------------------------------------- */

/* Mark the tails of the compound page at head (head NO_PFN: none). */
static void frame_set_tails(struct oracle *o, uint64_t pfn, unsigned order,
			    uint64_t head)
{
	uint64_t n = UINT64_C(1) << order;

	for (uint64_t i = 0; i < n && pfn + i < o->nr_frames; i++) {
		struct frame *t = oracle_frame(o, pfn + i, true);

		if (t)
			t->head = head;
	}
}

/*
 * A new allocation is a new page: what a collapse copied or isolated of
 * the frame's previous life says nothing about a pin of it now (a frame
 * freed after a copy and reused LIFO within one long walk, free mode).
 */
static void frame_forget_copies(struct oracle *o, uint64_t pfn, unsigned order)
{
	uint64_t n = UINT64_C(1) << order;

	for (uint64_t i = 0; i < n && pfn + i < o->nr_frames; i++) {
		struct frame *t = oracle_frame(o, pfn + i, false);

		if (t) {
			t->copied = t->isolated = evref_none();
			t->copy_to = NO_PFN;
		}
	}
}

static void frame_clear_ptes(struct oracle *o, struct frame *f)
{
	if (f->ptes)
		memset(f->ptes, 0, o->entries * sizeof(*f->ptes));
}

static bool frame_alloc(struct oracle *o, const thpsim_event_t *ev)
{
	struct frame *f = oracle_frame(o, ev->pfn, true);

	if (!f)
		return false;
	f->gen = ev->gen ? ev->gen : f->gen + 1;
	f->allocated = true;
	f->kind = (unsigned)ev->arg < THPSIM_ALLOC__NR ? ev->arg + 1 : 0;
	f->order = (unsigned)ev->level <= ORACLE_ORDER_MAX ? ev->level : 0;
	f->pt_state = ev->arg == THPSIM_ALLOC_TABLE ? THPSIM_PT_DETACHED :
						      THPSIM_PT_NONE;
	f->has_pmds = false;
	f->alloc = evref_of(ev);
	frame_clear_ptes(o, f);
	if (f->order)
		frame_set_tails(o, ev->pfn, f->order, ev->pfn);
	frame_forget_copies(o, ev->pfn, f->order);
	return true;
}

static bool frame_is_table(const struct frame *f, const thpsim_event_t *ev)
{
	return ev->arg == THPSIM_ALLOC_TABLE ||
	       f->kind == THPSIM_ALLOC_TABLE + 1 ||
	       f->pt_state != THPSIM_PT_NONE;
}

/*
 * Rule CORRUPTION: a PTE table freed while one of its entries still maps
 * a page.  Every legitimate path clears a table's entries before freeing
 * it (zap, the collapse copy, collapse_pte_mapped_thp), so the mapping is
 * lost with the table: what was written to that page is no longer
 * reachable at its address, and the page is never unmapped.  One finding
 * per table.
 */
static void table_freed_mapping(struct oracle *o, const struct frame *f,
				const thpsim_event_t *ev)
{
	thpsim_finding_t *fd;

	for (uint64_t i = 0; f->ptes && i < o->entries; i++) {
		pte_t pte = __pte(f->ptes[i]);

		if (!pte_present(pte))
			continue;
		fd = oracle_judge(o, THPSIM_OUTCOME_CORRUPTION, ev);
		if (!fd)
			return;
		fd->pfn = ev->pfn;
		fd->pfn2 = pte_pfn(pte);
		fd->addr = f->linked_at + (i << o->page_shift);
		fd->cause_seq = f->set.seq;
		fd->cause_step = f->set.step;
		fd->cause_cpu = f->set.cpu;
		oracle_text(fd, "Page table %" PRIu64 " was freed at step %" PRIu64
			    " by CPU %d while its entry %" PRIu64 " (address 0x%"
			    PRIx64 ") still mapped frame %" PRIu64 " (its last "
			    "entry store was at step %" PRIu64 " by CPU %d): the "
			    "mapping is lost with the table, so what was "
			    "written to that page is no longer reachable there.",
			    ev->pfn, ev->step, ev->cpu, i, fd->addr, fd->pfn2,
			    f->set.step, f->set.cpu);
		return;
	}
}

static bool frame_free(struct oracle *o, const thpsim_event_t *ev)
{
	struct frame *f = oracle_frame(o, ev->pfn, true);
	unsigned order;

	if (!f)
		return false;
	order = ev->level > 0 && ev->level <= ORACLE_ORDER_MAX ?
		(unsigned)ev->level : f->order;
	f->gen = ev->gen ? ev->gen : f->gen + 1;
	f->allocated = false;
	f->freed = evref_of(ev);
	if (frame_is_table(f, ev)) {
		table_freed_mapping(o, f, ev);
		f->pt_state = THPSIM_PT_FREED;
		if (f->has_pmds)
			pmds_forget_table(o, ev);
	} else {
		oracle_refs_freed(o, ev, ev->pfn, UINT64_C(1) << order);
	}
	frame_clear_ptes(o, f);
	if (order)
		frame_set_tails(o, ev->pfn, order, NO_PFN);
	f->order = 0;
	return true;
}

static bool table_state(struct oracle *o, const thpsim_event_t *ev)
{
	struct frame *f = oracle_frame(o, ev->pfn, true);

	if (!f || ev->arg < 0 || ev->arg >= THPSIM_PT__NR)
		return false;
	f->pt_state = (uint8_t)ev->arg;
	if (ev->gen)
		f->gen = ev->gen;
	if (!f->kind)
		f->kind = THPSIM_ALLOC_TABLE + 1;
	f->state_chg = evref_of(ev);
	return true;
}

/* ---- feeding, findings, verdict ------------------------------------------ */

void oracle_feed(struct oracle *o, const thpsim_event_t *ev)
{
	bool ok;

	if (!o || !ev)
		return;
	o->v.nr_events++;
	o->last = evref_of(ev);
	switch (ev->kind) {
	case THPSIM_EV_FRAME_ALLOC:
		ok = frame_alloc(o, ev);
		break;
	case THPSIM_EV_FRAME_FREE:
		ok = frame_free(o, ev);
		break;
	case THPSIM_EV_TABLE_STATE:
		ok = table_state(o, ev);
		break;
	case THPSIM_EV_ENTRY_SET:
		ok = entry_set(o, ev);
		break;
	default:
		ok = oracle_walk_event(o, ev);
		break;
	}
	if (!ok)
		o->v.nr_ignored++;
}

static __thread bool in_oracle_sink;

void oracle_sink(const thpsim_event_t *ev, void *arg)
{
	struct oracle *o = arg;

	if (!o)
		return;
	if (in_oracle_sink) {
		/* Re-entered from a signal handler on this thread. */
		__atomic_fetch_add(&o->nr_reentered, 1, __ATOMIC_RELAXED);
		return;
	}
	in_oracle_sink = true;
	pthread_mutex_lock(&o->lock);
	oracle_feed(o, ev);
	pthread_mutex_unlock(&o->lock);
	in_oracle_sink = false;
}

/*
 * Count a finding of class c judged at ev (NULL: the last event fed).
 * Returns the finding to fill when it is the class's first, else NULL.
 */
thpsim_finding_t *oracle_judge(struct oracle *o, thpsim_outcome_t c,
			       const thpsim_event_t *ev)
{
	struct evref at = ev ? evref_of(ev) : o->last;
	thpsim_finding_t *f;

	if ((unsigned)c >= THPSIM_OUTCOME_SAFE)
		return NULL;
	o->v.counts[c]++;
	if (o->v.found[c])
		return NULL;
	o->v.found[c] = true;
	f = &o->v.first[c];
	memset(f, 0, sizeof(*f));
	f->outcome = c;
	f->seq = at.seq;
	f->step = at.step;
	f->cpu = at.cpu;
	f->addr = ev ? ev->addr : 0;
	f->pfn = ev ? ev->pfn : 0;
	f->pfn2 = ev ? ev->pfn2 : 0;
	f->read_seq = f->cause_seq = NO_SEQ;
	f->cause_cpu = f->waiter = f->target = THPSIM_NO_CPU;
	f->wait_step = f->wait_end_step = NO_SEQ;
	return f;
}

void oracle_report_deadlock(struct oracle *o, const char *who_waits_on_whom)
{
	thpsim_finding_t *f;

	if (!o)
		return;
	pthread_mutex_lock(&o->lock);
	f = oracle_judge(o, THPSIM_OUTCOME_DEADLOCK, NULL);
	if (f)
		oracle_text(f, "A wait that can never end: %s.",
			    who_waits_on_whom && *who_waits_on_whom ?
			    who_waits_on_whom : "(no detail given)");
	pthread_mutex_unlock(&o->lock);
}

/*
 * *out = *v, but a finding's paragraph is copied only for the classes
 * found: the rest are zeroed, or left alone when out_zeroed says they are
 * zero already (a schedule's result, every run of an exploration).
 */
static void verdict_copy(thpsim_verdict_t *out, const thpsim_verdict_t *v,
			 bool out_zeroed)
{
	const size_t head = offsetof(thpsim_verdict_t, first);
	const size_t tail = offsetof(thpsim_verdict_t, first) +
			    sizeof(v->first);

	memcpy(out, v, head);
	for (int c = 0; c < THPSIM_OUTCOME__NR; c++) {
		if (v->found[c])
			out->first[c] = v->first[c];
		else if (!out_zeroed)
			memset(&out->first[c], 0, sizeof(out->first[c]));
	}
	memcpy((char *)out + tail, (const char *)v + tail, sizeof(*v) - tail);
}

static void verdict_finish(struct oracle *o, thpsim_verdict_t *out)
{
	out->nr_ignored += __atomic_load_n(&o->nr_reentered, __ATOMIC_RELAXED);
	out->outcome = THPSIM_OUTCOME_SAFE;
	for (int c = 0; c < THPSIM_OUTCOME_SAFE; c++) {
		if (out->found[c]) {
			out->outcome = (thpsim_outcome_t)c;
			break;
		}
	}
}

void oracle_verdict_zeroed(struct oracle *o, thpsim_verdict_t *out)
{
	if (!o) {
		verdict_reset(out);
		return;
	}
	pthread_mutex_lock(&o->lock);
	verdict_copy(out, &o->v, true);
	pthread_mutex_unlock(&o->lock);
	verdict_finish(o, out);
}

void oracle_verdict(struct oracle *o, thpsim_verdict_t *out)
{
	if (!out)
		return;
	if (!o) {
		verdict_reset(out);
		return;
	}
	pthread_mutex_lock(&o->lock);
	verdict_copy(out, &o->v, false);
	pthread_mutex_unlock(&o->lock);
	verdict_finish(o, out);
}
