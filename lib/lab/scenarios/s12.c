/*
 * S12 - control: a split under gup_huge_pmd.  A is a THP; G reads its
 * huge pmd and grabs the subpage; S splits A (pmdp_invalidate, withdraw,
 * populate); G rechecks the pmd, sees it changed and drops the reference
 * on the right page.  On IPI-flush profiles the split's flush waits for G.
 */
#include "lab/scenario.h"

static int s12_setup(struct scenario_ctx *ctx)
{
	int err = ks_populate_anon(ctx, ctx->A);

	if (!err)
		err = ks_collapse_setup(ctx, ctx->A);
	return err;
}

static const struct script_step s12_script[] = {
	RUN_UNTIL('G', GUP_AFTER_GRAB),
	PREEMPT('G'),
	RUN('S'),
	RUN('G'),
	SCRIPT_DONE,
};

const struct scenario S12_scenario = {
	.id = "S12",
	.setup = s12_setup,
	.threads = {
		{ 'G', "GUP-fast walker", ks_gup, true },
		{ 'S', "splitter at A", ks_split_A, true },
	},
	.script = s12_script,
};
