/*
 * S4 - stale pin after the isolate refcount check (Yang Shi's race,
 * issue 3a).  G reads pte X -> page s and stalls before try_grab_folio;
 * K flushes, [fix], isolates (s's refcount equals its mapcount) and stops;
 * G grabs s and rechecks; K copies s into the huge page and frees it.
 * Meant to be run with the pmd recheck on and off.
 */
#include "lab/scenario.h"

static int s4_setup(struct scenario_ctx *ctx)
{
	return ks_populate_anon(ctx, ctx->A);
}

static const struct script_step s4_script[] = {
	RUN_UNTIL('G', GUP_BEFORE_GRAB),
	PREEMPT('G'),
	RUN_UNTIL('K', COLLAPSE_AFTER_ISOLATE),
	RUN('G'),
	RUN('K'),
	SCRIPT_DONE,
};

const struct scenario S4_scenario = {
	.id = "S4",
	.setup = s4_setup,
	.threads = {
		{ 'G', "GUP-fast walker", ks_gup, true },
		{ 'K', "khugepaged", ks_collapse_A, false },
	},
	.script = s4_script,
};
