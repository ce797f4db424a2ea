/*
 * Exercise 5, reference solution: no page table is leaked.
 *
 * Follow every table frame through its TABLE_STATE events.  A table that
 * goes from LIVE or DEPOSITED to DETACHED has been unhooked: from then on
 * it must be linked again (LIVE, DEPOSITED), freed (FREED), or handed to
 * a free path (TABLE_FREE: pte_free, pte_free_defer, mmu_gather), which
 * may free it after the run's end (an RCU callback still pending).  At
 * the end of the run, one still unhooked and never handed over is a
 * leak.  A table allocated and not yet used (DETACHED from NONE) is not
 * unhooked: a strategy's preallocated table is the strategy's to free.
 */
#include <stdio.h>
#include <string.h>

#include "lab.h"

#define TABLES_MAX 4096

struct leak_state {
	/* pfn -> unhooked and not handed over since, with the step */
	unsigned char unhooked[TABLES_MAX];
	uint64_t since[TABLES_MAX];
};

static struct leak_state state;

static void leak_begin(void *arg)
{
	struct leak_state *st = arg;

	memset(st->unhooked, 0, sizeof(st->unhooked));
}

static bool leak_event(const thpsim_event_t *ev, void *arg, thpsim_finding_t *f)
{
	struct leak_state *st = arg;

	(void)f;
	if (ev->pfn >= TABLES_MAX)
		return false;
	if (ev->kind == THPSIM_EV_TABLE_STATE) {
		bool was_linked = ev->val == THPSIM_PT_LIVE || ev->val == THPSIM_PT_DEPOSITED;

		st->unhooked[ev->pfn] = ev->arg == THPSIM_PT_DETACHED && was_linked;
		st->since[ev->pfn] = ev->step;
	} else if (ev->kind == THPSIM_EV_TABLE_FREE) {
		st->unhooked[ev->pfn] = 0;
	}
	return false;
}

static bool leak_at_end(const thpsim_invariant_view_t *view, void *arg,
			thpsim_finding_t *f)
{
	struct leak_state *st = arg;

	(void)view;
	for (uint64_t pfn = 0; pfn < TABLES_MAX; pfn++)
		if (st->unhooked[pfn]) {
			f->pfn = pfn;
			snprintf(f->text, sizeof(f->text),
				 "page table frame %llu was unhooked at step %llu and never linked again, freed or handed to a free path: leaked",
				 (unsigned long long)pfn, (unsigned long long)st->since[pfn]);
			return true;
		}
	return false;
}

static const thpsim_invariant_t leak_invariant = {
	.name = "no-leaked-table",
	.begin = leak_begin,
	.on_event = leak_event,
	.at_end = leak_at_end,
	.arg = &state,
};

const thpsim_invariant_t *lab_ex5_invariant(void)
{
	return &leak_invariant;
}
