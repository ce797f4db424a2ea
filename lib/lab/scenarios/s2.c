/*
 * S2 - file/shmem retract frees the table at once (6.1
 * collapse_and_free_pmd).  G reads the pmd of a shmem mapping (table T)
 * and stalls; K collapses the file range and retracts the page table:
 * pmdp_collapse_flush, [fix], pte_free(T); G reads T[i].
 */
#include "lab/scenario.h"

static int s2_setup(struct scenario_ctx *ctx)
{
	return ks_populate_file(ctx, ctx->A);
}

static const struct script_step s2_script[] = {
	RUN_UNTIL('G', GUP_AFTER_PMD_READ),
	PREEMPT('G'),
	RUN('K'),
	RUN('G'),
	SCRIPT_DONE,
};

const struct scenario S2_scenario = {
	.id = "S2",
	.setup = s2_setup,
	.threads = {
		{ 'G', "GUP-fast walker", ks_gup, true },
		{ 'K', "khugepaged (file)", ks_collapse_file_A, false },
	},
	.script = s2_script,
};
