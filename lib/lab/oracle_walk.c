/*
 * lab/oracle_walk.c - the oracle's walker rules: what a walk read (UAF,
 * GARBAGE), its rechecks (BENIGN-ABA) and the IPI waits walkers caused
 * (BLOCKED).  The rules are listed in oracle.h; frames and the mapping
 * are in oracle.c; grabs, pins and copies in oracle_ref.c.
 *
 * A walk is what one CPU does between WALK_BEGIN and WALK_END.  Its set
 * of (address, pfn) pairs holds every page mapped in its range at any
 * moment since it began: seeded at WALK_BEGIN and extended by oracle.c on
 * every ENTRY_SET that changes what a covered address maps.  "p was never
 * mapped at A during the walk" is then one lookup.  References outlive
 * walks (a pin is held until WALK_UNPIN), so they are kept apart.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "arch/pgtable_x86.h"
#include "lab/oracle_internal.h"

struct walk *oracle_active_walk(struct oracle *o, int cpu)
{
	struct cpu_state *c = oracle_cpu(o, cpu, false);

	return c && c->walk.active ? &c->walk : NULL;
}

bool oracle_walk_covers(const struct oracle *o, const struct walk *w,
			uint64_t addr)
{
	uint64_t first = w->start >> o->page_shift;
	uint64_t page = addr >> o->page_shift;

	return page >= first && page - first < w->nr_pages;
}

static void walk_note_addr(struct oracle *o, struct walk *w, uint64_t addr)
{
	uint64_t pfn = oracle_resolve(o, addr);

	if (pfn == NO_PFN)
		return;
	if (!thpsim__pmap_put(&w->seen, addr, pfn, NULL))
		w->seen_overflow = true;
}

/* What [addr, addr + len) maps may have changed: extend the seen sets. */
void oracle_walks_note(struct oracle *o, uint64_t addr, uint64_t len)
{
	uint64_t lo = addr >> o->page_shift;
	uint64_t hi = lo + (len >> o->page_shift);

	for (int cpu = 0; cpu < o->nr_cpus; cpu++) {
		struct walk *w = oracle_active_walk(o, cpu);
		uint64_t a, b;

		if (!w)
			continue;
		a = w->start >> o->page_shift;
		b = a + w->nr_pages;
		a = a > lo ? a : lo;
		b = b < hi ? b : hi;
		for (uint64_t p = a; p < b; p++)
			walk_note_addr(o, w, p << o->page_shift);
	}
}

/* An entry was set to val: mark it changed in the walks that read it. */
void oracle_walks_entry_changed(struct oracle *o, int level, uint64_t k1,
				uint64_t k2, uint64_t val,
				const thpsim_event_t *ev)
{
	for (int cpu = 0; cpu < o->nr_cpus; cpu++) {
		struct walk *w = oracle_active_walk(o, cpu);
		unsigned n;

		if (!w)
			continue;
		n = w->nr_reads < WALK_READS_MAX ? w->nr_reads : WALK_READS_MAX;
		for (unsigned i = 0; i < n; i++) {
			struct walk_read *r = &w->reads[i];

			if (r->level != level || r->k1 != k1 || r->k2 != k2 ||
			    r->first == val || r->change.seq != NO_SEQ)
				continue;
			r->change = evref_of(ev);
			o->v.nr_changed_reads++;
		}
	}
}

static void walk_reset(struct walk *w)
{
	w->active = false;
	thpsim__pmap_clear(&w->seen);
	w->seen_overflow = false;
	w->nr_child = 0;
	w->nr_reads = 0;
}

void oracle_walk_free(struct walk *w)
{
	thpsim__pmap_free(&w->seen);
}

static bool walk_begin(struct oracle *o, const thpsim_event_t *ev)
{
	struct cpu_state *c = oracle_cpu(o, ev->cpu, true);
	struct walk *w;
	uint64_t n, room;

	if (!c)
		return false;
	w = &c->walk;
	walk_reset(w);
	w->active = true;
	w->kind = ev->arg;
	w->begin = evref_of(ev);
	w->start = ev->addr >> o->page_shift << o->page_shift;
	room = ((UINT64_MAX - w->start) >> o->page_shift) + 1;
	n = ev->val ? ev->val : 1;
	n = n < room ? n : room;
	w->nr_pages = n < WALK_PAGES_MAX ? n : WALK_PAGES_MAX;
	for (uint64_t i = 0; i < w->nr_pages; i++)
		walk_note_addr(o, w, w->start + (i << o->page_shift));
	return true;
}

static bool walk_end(struct oracle *o, const thpsim_event_t *ev)
{
	struct walk *w = oracle_active_walk(o, ev->cpu);

	if (!w)
		return false;
	walk_reset(w);
	return true;
}

/* ---- reads --------------------------------------------------------------- */

static bool entry_present(int level, uint64_t v)
{
	if (level == 1)
		return pte_present(__pte(v));
	if (level == 2)
		return pmd_present(__pmd(v));
	return pxd_present(__pxd(v));
}

/* The table an upper entry points at, NO_PFN when it is no table pointer. */
static uint64_t entry_child(int level, uint64_t v)
{
	if (level == 2)
		return pmd_present(__pmd(v)) && !pmd_trans_huge(__pmd(v)) ?
		       pmd_pfn(__pmd(v)) : NO_PFN;
	if (level > 2)
		return pxd_present(__pxd(v)) ? pxd_pfn(__pxd(v)) : NO_PFN;
	return NO_PFN;
}

static const struct walk_child *walk_find_child(const struct walk *w,
						uint64_t pfn)
{
	unsigned n = w->nr_child < WALK_CHILD_MAX ? w->nr_child :
						    WALK_CHILD_MAX;

	for (unsigned i = 0; i < n; i++) {
		unsigned k = (w->nr_child - 1 - i) % WALK_CHILD_MAX;

		if (w->child[k].pfn == pfn)
			return &w->child[k];
	}
	return NULL;
}

static void uaf_text(thpsim_finding_t *fd, const thpsim_event_t *ev,
		     const struct frame *f, const struct walk_child *ch)
{
	char freed[96], now[64];

	oracle_text_when(f ? f->freed : evref_none(), freed, sizeof(freed));
	oracle_text_frame_now(f, now, sizeof(now));
	if (ch)
		oracle_text(fd, "CPU %d read %s %d of table frame %" PRIu64
			    " (generation %" PRIu64 ", reached at step %" PRIu64
			    " when its %s pointed to it) but frame %" PRIu64
			    " was freed %s (generation now %" PRIu64 ", %s): "
			    "use after free.", ev->cpu,
			    oracle_level_name(ev->level), ev->idx, ev->pfn,
			    ch->gen, ch->read.step,
			    oracle_level_name(ev->level + 1), ev->pfn, freed,
			    fd->gen_now, now);
	else
		oracle_text(fd, "CPU %d read %s %d of table frame %" PRIu64
			    ", but frame %" PRIu64 " was freed %s (generation "
			    "now %" PRIu64 ", %s): use after free.", ev->cpu,
			    oracle_level_name(ev->level), ev->idx, ev->pfn,
			    ev->pfn, freed, fd->gen_now, now);
}

/* Rule UAF.  Returns true when the read was judged one. */
static bool read_check_uaf(struct oracle *o, const struct walk *w,
			   const thpsim_event_t *ev)
{
	struct frame *f = oracle_frame(o, ev->pfn, false);
	bool known = f && f->known;
	unsigned state = known ? f->pt_state : (unsigned)ev->arg;
	uint64_t gen = known ? f->gen : ev->gen;
	const struct walk_child *ch = w ? walk_find_child(w, ev->pfn) : NULL;
	bool moved = ch && ch->gen && ch->gen != gen;
	thpsim_finding_t *fd;

	if (!moved && state != THPSIM_PT_FREED)
		return false;
	if (ch && !ch->gen)
		ch = NULL;	/* the table was unknown when reached */
	fd = oracle_judge(o, THPSIM_OUTCOME_UAF, ev);
	if (!fd)
		return true;
	fd->gen_then = ch ? ch->gen : 0;
	fd->gen_now = gen;
	if (ch) {
		fd->read_seq = ch->read.seq;
		fd->read_step = ch->read.step;
	}
	if (f && f->freed.seq != NO_SEQ) {
		fd->cause_seq = f->freed.seq;
		fd->cause_step = f->freed.step;
		fd->cause_cpu = f->freed.cpu;
	}
	uaf_text(fd, ev, known ? f : NULL, ch);
	return true;
}

static void garbage_deposited(struct oracle *o, const thpsim_event_t *ev,
			      const struct frame *f)
{
	thpsim_finding_t *fd = oracle_judge(o, THPSIM_OUTCOME_GARBAGE, ev);
	char when[96];

	if (!fd)
		return;
	fd->gen_now = f ? f->gen : ev->gen;
	if (f && f->state_chg.seq != NO_SEQ) {
		fd->cause_seq = f->state_chg.seq;
		fd->cause_step = f->state_chg.step;
		fd->cause_cpu = f->state_chg.cpu;
	}
	oracle_text_when(f ? f->state_chg : evref_none(), when, sizeof(when));
	oracle_text(fd, "CPU %d read %s %d of table frame %" PRIu64 " and got "
		    "0x%" PRIx64 ", but the table was deposited (%s): the "
		    "deposit list's bookkeeping read as a page-table entry: "
		    "garbage.", ev->cpu, oracle_level_name(ev->level), ev->idx,
		    ev->pfn, ev->val, when);
}

void oracle_garbage_pfn(struct oracle *o, const thpsim_event_t *ev,
			uint64_t pfn, const char *what)
{
	thpsim_finding_t *fd = oracle_judge(o, THPSIM_OUTCOME_GARBAGE, ev);

	if (!fd)
		return;
	oracle_text(fd, "CPU %d %s frame %" PRIu64 " (address 0x%" PRIx64
		    "), but the machine has only %" PRIu64 " frames: a pfn "
		    "outside memory, garbage (never dereferenced).", ev->cpu,
		    what, pfn, ev->addr, o->nr_frames);
}

/* Rule GARBAGE on a read that was not judged UAF. */
static void read_check_garbage(struct oracle *o, const thpsim_event_t *ev)
{
	struct frame *f = oracle_frame(o, ev->pfn, false);
	bool known = f && f->known;
	unsigned state = known ? f->pt_state : (unsigned)ev->arg;
	uint64_t pfn = pte_pfn(__pte(ev->val));

	if (state == THPSIM_PT_DEPOSITED && ev->val) {
		garbage_deposited(o, ev, known ? f : NULL);
		return;
	}
	if (entry_present(ev->level, ev->val) && pfn >= o->nr_frames)
		oracle_garbage_pfn(o, ev, pfn, "read an entry pointing at");
}

static void walk_record_read(struct oracle *o, struct walk *w,
			     const thpsim_event_t *ev)
{
	struct walk_read *r = &w->reads[w->nr_reads++ % WALK_READS_MAX];
	uint64_t child = entry_child(ev->level, ev->val);
	struct frame *cf;

	r->level = ev->level;
	r->k1 = ev->level == 2 ? ev->addr >> o->pmd_shift : ev->pfn;
	r->k2 = ev->level == 2 ? 0 : (uint64_t)ev->idx;
	r->addr = ev->addr;
	r->first = ev->val;
	r->read = evref_of(ev);
	r->change = evref_none();
	if (child == NO_PFN || child >= o->nr_frames)
		return;
	cf = oracle_frame(o, child, false);
	w->child[w->nr_child++ % WALK_CHILD_MAX] = (struct walk_child){
		.pfn = child,
		.gen = cf && cf->known ? cf->gen : 0,
		.read = evref_of(ev),
	};
}

/*
 * Did the upper entry this walk followed to table pfn change since the
 * walk read it?  The latest read one level up that points at pfn decides.
 */
static bool walk_parent_changed(const struct walk *w, int level, uint64_t pfn)
{
	unsigned n = w->nr_reads < WALK_READS_MAX ? w->nr_reads :
						    WALK_READS_MAX;

	for (unsigned i = 0; i < n; i++) {
		const struct walk_read *r =
			&w->reads[(w->nr_reads - 1 - i) % WALK_READS_MAX];

		if (r->level == level + 1 && entry_child(r->level, r->first) == pfn)
			return r->change.seq != NO_SEQ;
	}
	return false;
}

static bool walk_read(struct oracle *o, const thpsim_event_t *ev)
{
	struct walk *w = oracle_active_walk(o, ev->cpu);
	bool uaf;

	if (ev->level < 1 || ev->level > THPSIM_LEVELS_MAX)
		return false;
	if (ev->pfn >= o->nr_frames) {
		oracle_garbage_pfn(o, ev, ev->pfn, "read an entry of");
		return true;
	}
	uaf = read_check_uaf(o, w, ev);
	if (!uaf)
		read_check_garbage(o, ev);
	if (uaf || (w && walk_parent_changed(w, ev->level, ev->pfn)))
		o->v.nr_unhooked_reads++;
	if (w)
		walk_record_read(o, w, ev);
	return true;
}

/* ---- rechecks ------------------------------------------------------------ */

/* The read a recheck compares against: the entry by its key, else the
 * latest read at that level for the same page. */
static const struct walk_read *walk_find_read(const struct oracle *o,
					      const struct walk *w,
					      const thpsim_event_t *ev)
{
	unsigned n = w->nr_reads < WALK_READS_MAX ? w->nr_reads :
						    WALK_READS_MAX;
	uint64_t k1 = ev->level == 2 ? ev->addr >> o->pmd_shift : ev->pfn;
	uint64_t k2 = ev->level == 2 ? 0 : (uint64_t)ev->idx;
	const struct walk_read *by_addr = NULL;

	for (unsigned i = 0; i < n; i++) {
		const struct walk_read *r =
			&w->reads[(w->nr_reads - 1 - i) % WALK_READS_MAX];

		if (r->level != ev->level || r->first != ev->val)
			continue;
		if (r->k1 == k1 && r->k2 == k2)
			return r;
		if (!by_addr && (r->addr >> o->page_shift) ==
				(ev->addr >> o->page_shift))
			by_addr = r;
	}
	return by_addr;
}

static bool walk_recheck(struct oracle *o, const thpsim_event_t *ev)
{
	struct walk *w = oracle_active_walk(o, ev->cpu);
	const struct walk_read *r;
	thpsim_finding_t *fd;

	if (!w)
		return false;
	if (ev->arg != 1 || ev->val2 != ev->val)
		return true;
	r = walk_find_read(o, w, ev);
	if (!r || r->change.seq == NO_SEQ)
		return true;
	fd = oracle_judge(o, THPSIM_OUTCOME_BENIGN_ABA, ev);
	if (!fd)
		return true;
	fd->read_seq = r->read.seq;
	fd->read_step = r->read.step;
	fd->cause_seq = r->change.seq;
	fd->cause_step = r->change.step;
	fd->cause_cpu = r->change.cpu;
	oracle_text(fd, "CPU %d rechecked the %s for address 0x%" PRIx64
		    " and found 0x%" PRIx64 " as it first read it at step %"
		    PRIu64 ", though CPU %d changed it at step %" PRIu64
		    " and it came back since: the same mapping, benign ABA.",
		    ev->cpu, oracle_level_name(ev->level), ev->addr, ev->val,
		    r->read.step, r->change.cpu, r->change.step);
	return true;
}

/* ---- interrupts and IPI waits -------------------------------------------- */

static bool irq(struct oracle *o, const thpsim_event_t *ev, bool off)
{
	struct cpu_state *c = oracle_cpu(o, ev->cpu, true);

	if (!c)
		return false;
	c->irq_off = off;
	c->irq_off_at = off ? evref_of(ev) : evref_none();
	return true;
}

static void blocked_text(struct oracle *o, thpsim_finding_t *fd)
{
	char end[48];

	if (fd->wait_end_step == NO_SEQ)
		snprintf(end, sizeof(end),
			 "the end of the run (still waiting)");
	else
		snprintf(end, sizeof(end), "step %" PRIu64, fd->wait_end_step);
	oracle_text(fd, "CPU %d waited from step %" PRIu64 " to %s for CPU "
		    "%d to acknowledge its IPI, because CPU %d had interrupts "
		    "off%s (since step %" PRIu64 "): the collapse waited on "
		    "the walker.", fd->waiter, fd->wait_step, end, fd->target,
		    fd->target,
		    o->blocked_in_walk ? " inside a page-table walk" : "",
		    fd->read_step);
}

static bool ipi_wait(struct oracle *o, const thpsim_event_t *ev)
{
	struct cpu_state *t = oracle_cpu(o, ev->arg, false);
	thpsim_finding_t *fd;

	/* val bit 0: the target was masked (bit 1: a preempted vCPU). */
	if (!(ev->val & 1) || !t || !(t->walk.active || t->irq_off))
		return true;
	fd = oracle_judge(o, THPSIM_OUTCOME_BLOCKED, ev);
	if (!fd)
		return true;
	o->blocked_in_walk = t->walk.active;
	fd->waiter = ev->cpu;
	fd->target = ev->arg;
	fd->wait_step = ev->step;
	fd->wait_end_step = NO_SEQ;
	fd->read_seq = t->walk.active ? t->walk.begin.seq : t->irq_off_at.seq;
	fd->read_step = t->walk.active ? t->walk.begin.step :
					 t->irq_off_at.step;
	blocked_text(o, fd);
	return true;
}

static bool ipi_wait_end(struct oracle *o, const thpsim_event_t *ev)
{
	thpsim_finding_t *fd = &o->v.first[THPSIM_OUTCOME_BLOCKED];

	if (!o->v.found[THPSIM_OUTCOME_BLOCKED] || fd->waiter != ev->cpu ||
	    fd->target != ev->arg || fd->wait_end_step != NO_SEQ)
		return true;
	fd->wait_end_step = ev->step;
	fd->cause_seq = ev->seq;
	fd->cause_step = ev->step;
	fd->cause_cpu = ev->cpu;
	blocked_text(o, fd);
	return true;
}

bool oracle_walk_event(struct oracle *o, const thpsim_event_t *ev)
{
	switch (ev->kind) {
	case THPSIM_EV_WALK_BEGIN:	return walk_begin(o, ev);
	case THPSIM_EV_WALK_END:	return walk_end(o, ev);
	case THPSIM_EV_WALK_READ:	return walk_read(o, ev);
	case THPSIM_EV_WALK_RECHECK:	return walk_recheck(o, ev);
	case THPSIM_EV_IRQ_OFF:		return irq(o, ev, true);
	case THPSIM_EV_IRQ_ON:		return irq(o, ev, false);
	case THPSIM_EV_IPI_WAIT:	return ipi_wait(o, ev);
	case THPSIM_EV_IPI_WAIT_END:	return ipi_wait_end(o, ev);
	case THPSIM_EV_WALK_GRAB:
	case THPSIM_EV_WALK_UNGRAB:
	case THPSIM_EV_WALK_PIN:
	case THPSIM_EV_WALK_UNPIN:
	case THPSIM_EV_ISOLATE:
	case THPSIM_EV_COPY:		return oracle_ref_event(o, ev);
	default:
		/* Known kinds with nothing to judge; unknown ones ignored. */
		return (unsigned)ev->kind < THPSIM_EV__NR;
	}
}
