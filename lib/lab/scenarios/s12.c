/*
 * S12 - control: a split under gup_huge_pmd.  A is a THP; G reads its
 * huge pmd and grabs the subpage; S splits A (pmdp_invalidate, withdraw,
 * populate); G rechecks the pmd, sees it changed and drops the reference
 * on the right page.  On IPI-flush profiles the split's flush waits for G.
 */
#include "thpsim/thpsim.h"

static int s12_setup(thpsim_scenario_ctx_t *ctx)
{
	int err = thpsim_lab_populate_anon(ctx, ctx->A);

	if (!err)
		err = thpsim_lab_collapse_now(ctx, ctx->A);
	return err;
}

static const thpsim_script_step_t s12_script[] = {
	THPSIM_RUN_UNTIL('G', GUP_AFTER_GRAB),
	THPSIM_PREEMPT('G'),
	THPSIM_RUN('S'),
	THPSIM_RUN('G'),
	THPSIM_SCRIPT_END,
};

const thpsim_scenario_def_t S12_scenario = {
	.id = "S12",
	.title = "control: a split under gup_huge_pmd; the pmd recheck drops the reference",
	.setup = s12_setup,
	.threads = {
		{ 'G', "GUP-fast walker", thpsim_lab_gup, true },
		{ 'S', "splitter at A", thpsim_lab_split_A, true },
	},
	.script = s12_script,
};
