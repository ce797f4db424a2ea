/*
 * S6 - collapse failure restores the same table (control).  G reads pte
 * X -> s and stalls before the grab.  K's scan finds every page of A
 * unlocked and stops; L (reclaim, say) locks A's first page, which is not
 * G's; K goes on: flush, [fix], its isolate's trylock_page fails, and the
 * old table is put back at the same pmd.  G grabs s after the restore:
 * the rechecks see the same values.  The lock comes after the scan: a
 * page already locked there would be refused before any flush
 * (SCAN_PAGE_LOCK), and nothing would race.
 */
#include "lab/scenario.h"

static int s6_setup(struct scenario_ctx *ctx)
{
	return ks_populate_anon(ctx, ctx->A);
}

static const struct script_step s6_script[] = {
	RUN_UNTIL('G', GUP_BEFORE_GRAB),
	PREEMPT('G'),
	RUN_UNTIL('K', COLLAPSE_AFTER_SCAN),
	RUN('L'),
	RUN('K'),
	RUN('G'),
	SCRIPT_DONE,
};

const struct scenario S6_scenario = {
	.id = "S6",
	.setup = s6_setup,
	.threads = {
		{ 'G', "GUP-fast walker", ks_gup, true },
		{ 'K', "khugepaged", ks_collapse_A, false },
		{ 'L', "locks a page of A (reclaim)", ks_lock_page_A, false },
	},
	.script = s6_script,
};
