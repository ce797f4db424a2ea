/*
 * S6 - collapse failure restores the same table (control).  Another page
 * of A is locked, so collapse's trylock_page fails after the flush and the
 * old table is put back at the same pmd.  G read pte X -> s before the
 * flush and grabs s after the restore: the rechecks see the same values.
 */
#include "lab/scenario.h"

static int s6_setup(struct scenario_ctx *ctx)
{
	int err = ks_populate_anon(ctx, ctx->A);

	if (!err)
		err = ks_lock_page_at(ctx, ctx->A);	/* not G's page */
	return err;
}

static const struct script_step s6_script[] = {
	RUN_UNTIL('G', GUP_BEFORE_GRAB),
	PREEMPT('G'),
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
	},
	.script = s6_script,
};
