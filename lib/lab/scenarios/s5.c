/*
 * S5 - a deposited table withdrawn at another address (issue 3b).  B, in
 * the same PMD table as A, is a THP already (its collapse deposited one
 * table).  G reads the pmd of A (table T) and stalls; K collapses A and
 * deposits T, which becomes the list head; S splits B: the withdraw
 * returns T, filled with B's ptes and populated at B; G reads T[i].
 */
#include "lab/scenario.h"

static int s5_setup(struct scenario_ctx *ctx)
{
	int err = ks_populate_anon(ctx, ctx->B);

	if (!err)
		err = ks_collapse_setup(ctx, ctx->B);
	if (!err)
		err = ks_populate_anon(ctx, ctx->A);
	return err;
}

static const struct script_step s5_script[] = {
	RUN_UNTIL('G', GUP_AFTER_PMD_READ),
	PREEMPT('G'),
	RUN('K'),
	RUN('S'),
	RUN('G'),
	SCRIPT_DONE,
};

const struct scenario S5_scenario = {
	.id = "S5",
	.setup = s5_setup,
	.threads = {
		{ 'G', "GUP-fast walker", ks_gup, true },
		{ 'K', "khugepaged", ks_collapse_A, false },
		{ 'S', "splitter at B", ks_split_B, true },
	},
	.script = s5_script,
};
