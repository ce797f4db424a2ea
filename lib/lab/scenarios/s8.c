/*
 * S8 - S1 with the mmu_gather batch-page allocation failing: a fix that
 * frees the old table through tlb_remove_table() falls back to
 * tlb_remove_table_one() (sync IPI + immediate free).  Where no batch
 * exists the injected failure changes nothing.
 */
#include "thpsim/thpsim.h"

static int s8_setup(thpsim_scenario_ctx_t *ctx)
{
	int err = thpsim_lab_populate_anon(ctx, ctx->A);

	if (!err)
		thpsim_lab_fail_batch_alloc(ctx);
	return err;
}

const thpsim_scenario_def_t S8_scenario = {
	.id = "S8",
	.title = "S1 with the mmu_gather batch-page allocation failing",
	.setup = s8_setup,
	.threads = {
		{ 'G', "GUP-fast walker", thpsim_lab_gup, true },
		{ 'K', "khugepaged", thpsim_lab_collapse_A, false },
		{ 'U', "user thread: munmap", thpsim_lab_munmap_A, true },
	},
	.script = thpsim_lab_script_stall_collapse_zap,	/* S1's order */
};
