/*
 * lab/oracle_ref.c - the oracle's reference rules: the grabs and pins
 * walkers hold on data pages (WRONG-ADDR, STALE-PIN, SPEC-REF), the
 * copies and isolations of collapses, and pinned pages freed
 * (CORRUPTION).  The rules are listed in oracle.h.
 *
 * References outlive walks (a pin is held until WALK_UNPIN), so they are
 * kept in one array apart from the walks; a pin is judged once, when it
 * is returned (WALK_PIN) or when a collapse copies its page away.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "lab/oracle_internal.h"
#include "machine/snapshot.h"

/* ---- references: grabs and pins ------------------------------------------ */

static struct ref *ref_add(struct oracle *o, const thpsim_event_t *ev,
			   bool pin)
{
	struct walk *w = oracle_active_walk(o, ev->cpu);
	struct ref *r;

	if (o->nr_refs >= ORACLE_REFS_MAX)
		return NULL;
	if (o->nr_refs == o->cap_refs) {
		size_t cap = o->cap_refs ? o->cap_refs * 2 : 16;
		struct ref *refs = snap_realloc(o->refs, cap * sizeof(*refs));

		if (!refs)
			return NULL;
		o->refs = refs;
		o->cap_refs = cap;
	}
	r = &o->refs[o->nr_refs++];
	*r = (struct ref){
		.pfn = ev->pfn2, .addr = ev->addr, .cpu = ev->cpu, .pin = pin,
		.taken = evref_of(ev),
		.pinned = pin ? evref_of(ev) : evref_none(),
		.walk_seq = w ? w->begin.seq : NO_SEQ,
	};
	return r;
}

/* The newest reference of cpu (any cpu if cpu < 0) on pfn in state pin,
 * preferring one taken for addr. */
static struct ref *ref_find(struct oracle *o, int cpu, uint64_t pfn, bool pin,
			    uint64_t addr)
{
	struct ref *any = NULL;

	for (size_t i = o->nr_refs; i-- > 0;) {
		struct ref *r = &o->refs[i];

		if (r->pfn != pfn || r->pin != pin ||
		    (cpu >= 0 && r->cpu != cpu))
			continue;
		if (r->addr == addr)
			return r;
		if (!any)
			any = r;
	}
	return any;
}

static void ref_remove(struct oracle *o, struct ref *r)
{
	*r = o->refs[--o->nr_refs];
}

/* Whether the folio of pfn (pfn itself when not compound) was mapped at
 * addr during the walk: speculative references are taken on folios. */
static bool walk_seen_folio(struct oracle *o, const struct walk *w,
			    uint64_t addr, uint64_t pfn)
{
	struct frame *f = oracle_frame(o, pfn, false);
	struct frame *h;

	if (thpsim__pmap_get(&w->seen, addr, pfn))
		return true;
	if (!f || f->head == NO_PFN)
		return false;
	h = oracle_frame(o, f->head, false);
	for (uint64_t i = 0; h && i < (UINT64_C(1) << h->order); i++)
		if (thpsim__pmap_get(&w->seen, addr, f->head + i))
			return true;
	return false;
}

static bool walk_grab(struct oracle *o, const thpsim_event_t *ev)
{
	if (ev->pfn2 >= o->nr_frames) {
		oracle_garbage_pfn(o, ev, ev->pfn2, "took a reference on");
		return true;
	}
	if (ev->arg == 1)
		ref_add(o, ev, false);
	return true;
}

static bool walk_ungrab(struct oracle *o, const thpsim_event_t *ev)
{
	struct ref *r = ref_find(o, ev->cpu, ev->pfn2, false, ev->addr);
	struct walk *w = oracle_active_walk(o, ev->cpu);
	struct ref grab;
	thpsim_finding_t *fd;

	if (!r)
		return false;
	grab = *r;
	ref_remove(o, r);
	if (!w || w->seen_overflow || !oracle_walk_covers(o, w, grab.addr) ||
	    walk_seen_folio(o, w, grab.addr, grab.pfn))
		return true;
	fd = oracle_judge(o, THPSIM_OUTCOME_SPEC_REF, ev);
	if (!fd)
		return true;
	fd->addr = grab.addr;
	fd->read_seq = grab.taken.seq;
	fd->read_step = grab.taken.step;
	oracle_text(fd, "CPU %d took a speculative reference on page %" PRIu64
		    " for address 0x%" PRIx64 " at step %" PRIu64 ", a page "
		    "that address never mapped during the walk (begun at step %"
		    PRIu64 "), and dropped it at step %" PRIu64 " after its "
		    "recheck: a harmless speculative reference.", ev->cpu,
		    grab.pfn, grab.addr, grab.taken.step, w->begin.step,
		    ev->step);
	return true;
}

static void wrong_addr(struct oracle *o, const thpsim_event_t *ev,
		       const struct walk *w)
{
	thpsim_finding_t *fd = oracle_judge(o, THPSIM_OUTCOME_WRONG_ADDR, ev);
	struct pmap_entry *e = thpsim__pmap_get(&o->pmds,
						ev->addr >> o->pmd_shift, 0);
	char now[64];

	if (!fd)
		return;
	if (e && e->v[2] != 0 && e->v[2] >= w->begin.seq) {
		fd->cause_seq = e->v[2];
		fd->cause_step = e->v[3];
		fd->cause_cpu = e->i;
	}
	fd->read_seq = w->begin.seq;
	fd->read_step = w->begin.step;
	oracle_text_mapping(o, ev->addr, now, sizeof(now));
	oracle_text(fd, "CPU %d returned page %" PRIu64 " for address 0x%"
		    PRIx64 ", but during its walk (begun at step %" PRIu64
		    ") that address never mapped page %" PRIu64 " (it maps %s "
		    "now): the walker pinned a page of another address.",
		    ev->cpu, ev->pfn2, ev->addr, w->begin.step, ev->pfn2, now);
}

/* STALE-PIN: the pinned page was copied away by a collapse (at ev or at
 * the frame's last COPY) without the collapse seeing the pin. */
static void stale_pin(struct oracle *o, const thpsim_event_t *ev,
		      const struct ref *r, const struct frame *f)
{
	thpsim_finding_t *fd = oracle_judge(o, THPSIM_OUTCOME_STALE_PIN, ev);
	char iso[96];

	if (!fd)
		return;
	fd->addr = r->addr;
	fd->pfn = f->copy_to;
	fd->pfn2 = r->pfn;
	fd->read_seq = r->pinned.seq;
	fd->read_step = r->pinned.step;
	fd->cause_seq = f->copied.seq;
	fd->cause_step = f->copied.step;
	fd->cause_cpu = f->copied.cpu;
	oracle_text_when(f->isolated, iso, sizeof(iso));
	oracle_text(fd, "CPU %d pinned page %" PRIu64 " for address 0x%" PRIx64
		    " at step %" PRIu64 ", and CPU %d copied that page into "
		    "frame %" PRIu64 " for a collapse at step %" PRIu64 " (its "
		    "isolate check passed %s): the collapse did not see the "
		    "pin, so the pinned page is no longer the one mapped "
		    "there: "
		    "stale pin.", r->cpu, r->pfn, r->addr, r->pinned.step,
		    f->copied.cpu, f->copy_to, f->copied.step, iso);
}

static bool walk_pin(struct oracle *o, const thpsim_event_t *ev)
{
	struct ref *r = ref_find(o, ev->cpu, ev->pfn2, false, ev->addr);
	struct walk *w = oracle_active_walk(o, ev->cpu);
	struct frame *f;

	if (ev->pfn2 >= o->nr_frames) {
		oracle_garbage_pfn(o, ev, ev->pfn2, "returned a pin on");
		return true;
	}
	if (r) {
		r->pin = true;
		r->pinned = evref_of(ev);
		r->addr = ev->addr;
	} else {
		r = ref_add(o, ev, true);
	}
	if (!r || !w || w->seen_overflow || !oracle_walk_covers(o, w, ev->addr))
		return true;
	if (!thpsim__pmap_get(&w->seen, ev->addr, ev->pfn2)) {
		r->judged = true;
		wrong_addr(o, ev, w);
		return true;
	}
	f = oracle_frame(o, ev->pfn2, false);
	if (f && f->copied.seq != NO_SEQ && f->copied.seq >= w->begin.seq) {
		r->judged = true;
		stale_pin(o, ev, r, f);
	}
	return true;
}

static bool walk_unpin(struct oracle *o, const thpsim_event_t *ev)
{
	struct ref *r = ref_find(o, ev->cpu, ev->pfn2, true, ev->addr);

	if (!r)
		r = ref_find(o, -1, ev->pfn2, true, ev->addr);
	if (!r)
		return false;
	ref_remove(o, r);
	return true;
}

/* Rule CORRUPTION: data frames [pfn, pfn + n) freed; drop their refs. */
void oracle_refs_freed(struct oracle *o, const thpsim_event_t *ev,
		       uint64_t pfn, uint64_t n)
{
	for (size_t i = o->nr_refs; i-- > 0;) {
		struct ref r = o->refs[i];
		thpsim_finding_t *fd;

		if (r.pfn < pfn || r.pfn - pfn >= n)
			continue;
		ref_remove(o, &o->refs[i]);
		fd = oracle_judge(o, THPSIM_OUTCOME_CORRUPTION, ev);
		if (!fd)
			continue;
		fd->pfn2 = r.pfn;
		fd->addr = r.addr;
		fd->read_seq = r.taken.seq;
		fd->read_step = r.taken.step;
		oracle_text(fd, "Frame %" PRIu64 " was freed at step %" PRIu64
			    " by CPU %d while CPU %d still held a %s on it "
			    "(taken at step %" PRIu64 " for address 0x%" PRIx64
			    "): the page can be reused under the walker.",
			    r.pfn, ev->step, ev->cpu, r.cpu,
			    r.pin ? "pin" : "reference", r.taken.step, r.addr);
	}
}

/* ---- kernel paths: isolate, copy ----------------------------------------- */

static bool isolate(struct oracle *o, const thpsim_event_t *ev)
{
	struct frame *f = oracle_frame(o, ev->pfn2, true);

	if (!f)
		return false;
	if (ev->arg == 1)
		f->isolated = evref_of(ev);
	return true;
}

static bool copy(struct oracle *o, const thpsim_event_t *ev)
{
	struct frame *f = oracle_frame(o, ev->pfn2, true);
	thpsim_finding_t *fd;

	fd = ev->arg == 0 ? oracle_judge(o, THPSIM_OUTCOME_CORRUPTION, ev) :
			    NULL;
	if (fd)
		oracle_text(fd, "CPU %d copied page %" PRIu64 " (address 0x%"
			    PRIx64 ") into frame %" PRIu64 " and the bytes "
			    "differ: the collapse lost data.", ev->cpu,
			    ev->pfn2, ev->addr, ev->pfn);
	if (!f)
		return false;
	f->copied = evref_of(ev);
	f->copy_to = ev->pfn;
	for (size_t i = 0; i < o->nr_refs; i++) {
		struct ref *r = &o->refs[i];

		if (r->pfn != ev->pfn2 || !r->pin || r->judged)
			continue;
		r->judged = true;
		stale_pin(o, ev, r, f);
	}
	return true;
}

bool oracle_ref_event(struct oracle *o, const thpsim_event_t *ev)
{
	switch (ev->kind) {
	case THPSIM_EV_WALK_GRAB:	return walk_grab(o, ev);
	case THPSIM_EV_WALK_UNGRAB:	return walk_ungrab(o, ev);
	case THPSIM_EV_WALK_PIN:	return walk_pin(o, ev);
	case THPSIM_EV_WALK_UNPIN:	return walk_unpin(o, ev);
	case THPSIM_EV_ISOLATE:		return isolate(o, ev);
	case THPSIM_EV_COPY:		return copy(o, ev);
	default:			return false;
	}
}
