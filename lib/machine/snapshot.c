/*
 * snapshot.c - the recorded heap objects and regions of a snapshot (see
 * snapshot.h); the frame arena is phys_snapshot.c's.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "machine/errors.h"
#include "machine/internal.h"
#include "machine/phys.h"
#include "machine/snapshot.h"

enum obj_state {
	OBJ_SAVED,		/* allocated before the snapshot: put back */
	OBJ_DEFERRED,		/* ... and freed by this schedule: put back */
	OBJ_RUN,		/* allocated by this schedule: freed */
};

struct obj {
	void *p;
	size_t n;
	void *copy;		/* OBJ_SAVED / OBJ_DEFERRED, after take */
	enum obj_state state;
};

struct region {
	void *p;
	size_t n;
	void *copy;
};

struct snapshot {
	struct obj *obj;
	size_t nr_obj, cap_obj;
	struct region *reg;
	size_t nr_reg, cap_reg;
	bool taken;
	bool oom;		/* a record could not be kept */
	thpsim_machine_t *m;
	struct phys_snapshot *phys;
};

static _Thread_local struct snapshot *recording;

static bool grow(void **v, size_t *cap, size_t nr, size_t size)
{
	size_t ncap;
	void *n;

	if (nr < *cap)
		return true;
	ncap = *cap ? *cap * 2 : 64;
	n = realloc(*v, ncap * size);
	if (!n)
		return false;
	*v = n;
	*cap = ncap;
	return true;
}

static void note_alloc(void *p, size_t n)
{
	struct snapshot *s = recording;

	if (!p || !s)
		return;
	if (!grow((void **)&s->obj, &s->cap_obj, s->nr_obj, sizeof(*s->obj))) {
		s->oom = true;
		return;
	}
	s->obj[s->nr_obj++] = (struct obj){ p, n, NULL,
					    s->taken ? OBJ_RUN : OBJ_SAVED };
}

/* The record of p, latest first (recent objects die first). */
static struct obj *find(struct snapshot *s, const void *p)
{
	for (size_t i = s->nr_obj; i-- > 0;)
		if (s->obj[i].p == p && s->obj[i].state != OBJ_DEFERRED)
			return &s->obj[i];
	return NULL;
}

static void drop(struct snapshot *s, struct obj *o)
{
	free(o->copy);
	*o = s->obj[--s->nr_obj];
}

void *snap_malloc(size_t n)
{
	void *p = malloc(n);

	note_alloc(p, n);
	return p;
}

void *snap_calloc(size_t k, size_t n)
{
	void *p = calloc(k, n);

	note_alloc(p, k * n);
	return p;
}

void snap_free(void *p)
{
	struct snapshot *s = recording;
	struct obj *o;

	if (!p)
		return;
	o = s ? find(s, p) : NULL;
	if (o && o->state == OBJ_SAVED && s->taken) {
		o->state = OBJ_DEFERRED;	/* the restore puts it back */
		return;
	}
	if (o)
		drop(s, o);
	free(p);
}

void *snap_realloc(void *p, size_t n)
{
	struct snapshot *s = recording;
	struct obj *o = s && p ? find(s, p) : NULL;
	void *q;

	if (!o || (o->state == OBJ_SAVED && !s->taken) || o->state == OBJ_RUN) {
		q = realloc(p, n);
		if (q && o) {
			o->p = q;
			o->n = n;
		} else if (q && !p) {
			note_alloc(q, n);
		}
		return q;
	}
	/* A saved object: a new one for this schedule, the old one kept. */
	q = snap_malloc(n);
	if (q) {
		memcpy(q, p, o->n < n ? o->n : n);
		o->state = OBJ_DEFERRED;
	}
	return q;
}

int snapshot_begin(struct snapshot **out)
{
	struct snapshot *s;

	if (recording)
		return thpsim__err(-THPSIM_EBUSY,
				   "snapshot: one is already recorded on this thread");
	s = calloc(1, sizeof(*s));
	if (!s)
		return thpsim__err(-THPSIM_ENOMEM, "snapshot: out of memory");
	recording = s;
	*out = s;
	return 0;
}

int snapshot_add_region(struct snapshot *s, void *p, size_t n)
{
	if (!grow((void **)&s->reg, &s->cap_reg, s->nr_reg, sizeof(*s->reg)))
		return thpsim__err(-THPSIM_ENOMEM, "snapshot: out of memory");
	s->reg[s->nr_reg++] = (struct region){ p, n, NULL };
	return 0;
}

static int add_machine(struct snapshot *s, thpsim_machine_t *m)
{
	unsigned n = m->cfg.nr_cpus;
	int err = snapshot_add_region(s, m, sizeof(*m));

	if (!err)
		err = snapshot_add_region(s, m->cpus, n * sizeof(*m->cpus));
	if (!err)
		err = snapshot_add_region(s, m->csd_pool,
					  (size_t)n * n * sizeof(*m->csd_pool));
	return err;
}

int snapshot_take(struct snapshot *s, thpsim_machine_t *m, size_t table_bytes)
{
	int err = s->oom ? thpsim__err(-THPSIM_ENOMEM, "snapshot: out of memory") :
			   add_machine(s, m);

	if (!err)
		err = phys_snapshot_take(m->phys, table_bytes, &s->phys);
	for (size_t i = 0; !err && i < s->nr_reg; i++) {
		s->reg[i].copy = malloc(s->reg[i].n);
		if (!s->reg[i].copy)
			err = thpsim__err(-THPSIM_ENOMEM, "snapshot: out of memory");
		else
			memcpy(s->reg[i].copy, s->reg[i].p, s->reg[i].n);
	}
	for (size_t i = 0; !err && i < s->nr_obj; i++) {
		struct obj *o = &s->obj[i];

		o->copy = malloc(o->n ? o->n : 1);
		if (!o->copy)
			err = thpsim__err(-THPSIM_ENOMEM, "snapshot: out of memory");
		else
			memcpy(o->copy, o->p, o->n);
	}
	s->m = m;
	s->taken = !err;
	return err;
}

void snapshot_restore(struct snapshot *s)
{
	if (!s->taken)
		return;
	for (size_t i = s->nr_obj; i-- > 0;) {
		struct obj *o = &s->obj[i];

		if (o->state == OBJ_RUN) {
			free(o->p);
			*o = s->obj[--s->nr_obj];
			continue;
		}
		memcpy(o->p, o->copy, o->n);
		o->state = OBJ_SAVED;
	}
	for (size_t i = 0; i < s->nr_reg; i++)
		memcpy(s->reg[i].p, s->reg[i].copy, s->reg[i].n);
	phys_snapshot_restore(s->m->phys, s->phys);
}

void snapshot_end(struct snapshot *s)
{
	if (!s)
		return;
	if (recording == s)
		recording = NULL;
	if (s->phys)
		phys_snapshot_free(s->m->phys, s->phys);
	for (size_t i = 0; i < s->nr_obj; i++)
		free(s->obj[i].copy);
	for (size_t i = 0; i < s->nr_reg; i++)
		free(s->reg[i].copy);
	free(s->obj);
	free(s->reg);
	free(s);
}
