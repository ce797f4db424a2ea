/*
 * S3 - the deposit writes into a table being walked.  G reads the pmd of
 * A (table T) and stalls before reading T[0]; K collapses A and deposits
 * T (on ppc64-radix the deposit stores list pointers in slots 0 and 1);
 * G reads T[0].  G walks the first page of A for that reason.
 */
#include "thpsim/thpsim.h"

static int s3_setup(thpsim_scenario_ctx_t *ctx)
{
	ctx->walk_addr = ctx->A;	/* slot 0 */
	return thpsim_lab_populate_anon(ctx, ctx->A);
}

static const thpsim_script_step_t s3_script[] = {
	THPSIM_RUN_UNTIL('G', GUP_AFTER_PMD_READ),
	THPSIM_PREEMPT('G'),
	THPSIM_RUN('K'),
	THPSIM_RUN('G'),
	THPSIM_SCRIPT_END,
};

const thpsim_scenario_def_t S3_scenario = {
	.id = "S3",
	.title = "radix deposit writes list pointers into a table being walked",
	.setup = s3_setup,
	.threads = {
		{ 'G', "GUP-fast walker", thpsim_lab_gup, true },
		{ 'K', "khugepaged", thpsim_lab_collapse_A, false },
	},
	.script = s3_script,
};
