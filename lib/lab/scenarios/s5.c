/*
 * S5 - a deposited table withdrawn at another address (issue 3b).  B, in
 * the same PMD table as A, is a THP already (its collapse deposited one
 * table).  G reads the pmd of A (table T) and stalls; K collapses A and
 * deposits T, which becomes the list head; S splits B: the withdraw
 * returns T, filled with B's ptes and populated at B; G reads T[i].
 */
#include "thpsim/thpsim.h"

static int s5_setup(thpsim_scenario_ctx_t *ctx)
{
	int err = thpsim_lab_populate_anon(ctx, ctx->B);

	if (!err)
		err = thpsim_lab_collapse_now(ctx, ctx->B);
	if (!err)
		err = thpsim_lab_populate_anon(ctx, ctx->A);
	return err;
}

static const thpsim_script_step_t s5_script[] = {
	THPSIM_RUN_UNTIL('G', GUP_AFTER_PMD_READ),
	THPSIM_PREEMPT('G'),
	THPSIM_RUN('K'),
	THPSIM_RUN('S'),
	THPSIM_RUN('G'),
	THPSIM_SCRIPT_END,
};

const thpsim_scenario_def_t S5_scenario = {
	.id = "S5",
	.title = "deposited table withdrawn by a split at another address",
	.setup = s5_setup,
	.threads = {
		{ 'G', "GUP-fast walker", thpsim_lab_gup, true },
		{ 'K', "khugepaged", thpsim_lab_collapse_A, false },
		{ 'S', "splitter at B", thpsim_lab_split_B, true },
	},
	.script = s5_script,
};
