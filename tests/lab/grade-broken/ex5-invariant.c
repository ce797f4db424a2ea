/*
 * Exercise 5: an invariant the built-in oracle does not check
 * (docs/labs/README.md).
 *
 * The oracle judges what walkers read and pin.  It does not look for
 * leaks.  A strategy that unhooks the old PTE table and then never frees
 * it is "SAFE" to the oracle, yet a real kernel would lose a page per
 * collapse.  Write the invariant "every page table that is unhooked is,
 * by the end of the run, linked again or handed to a free path".
 *
 * Events to look at (thpsim/event.h): TABLE_STATE (pfn: the table, arg:
 * its new thpsim_pt_state_t, val: the old one, thpsim/phys.h) and
 * TABLE_FREE (pfn handed to a free path: pte_free, RCU, mmu_gather).
 * The contract of each callback is in thpsim/observe.h.
 *
 * The checker runs a leaking strategy with your invariant (it must find
 * the leak, and the schedule it reports must replay), and the sound
 * strategies (it must find nothing there).
 */
#include "lab.h"

struct leak_state {
	int todo;		/* TODO: what do you need to remember? */
};

static struct leak_state state;

static void leak_begin(void *arg)
{
	struct leak_state *st = arg;

	st->todo = 0;
}

static const thpsim_invariant_t leak_invariant = {
	.name = "no-leaked-table",
	.begin = leak_begin,
	/* TODO: .on_event = ..., .at_end = ... */
	.arg = &state,
};

const thpsim_invariant_t *lab_ex5_invariant(void)
{
	return &leak_invariant;
}
