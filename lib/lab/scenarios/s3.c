/*
 * S3 - the deposit writes into a table being walked.  G reads the pmd of
 * A (table T) and stalls before reading T[0]; K collapses A and deposits
 * T (on ppc64-radix the deposit stores list pointers in slots 0 and 1);
 * G reads T[0].  G walks the first page of A for that reason.
 */
#include "lab/scenario.h"

static int s3_setup(struct scenario_ctx *ctx)
{
	ctx->walk_addr = ctx->A;	/* slot 0 */
	return ks_populate_anon(ctx, ctx->A);
}

static const struct script_step s3_script[] = {
	RUN_UNTIL('G', GUP_AFTER_PMD_READ),
	PREEMPT('G'),
	RUN('K'),
	RUN('G'),
	SCRIPT_DONE,
};

const struct scenario S3_scenario = {
	.id = "S3",
	.setup = s3_setup,
	.threads = {
		{ 'G', "GUP-fast walker", ks_gup, true },
		{ 'K', "khugepaged", ks_collapse_A, false },
	},
	.script = s3_script,
};
