/*
 * S8 - S1 with the mmu_gather batch-page allocation failing: a fix that
 * frees the old table through tlb_remove_table() falls back to
 * tlb_remove_table_one() (sync IPI + immediate free).  Where no batch
 * exists the injected failure changes nothing.
 */
#include "lab/scenario.h"

static int s8_setup(struct scenario_ctx *ctx)
{
	int err = ks_populate_anon(ctx, ctx->A);

	if (!err)
		ks_fail_batch_alloc(ctx);
	return err;
}

const struct scenario S8_scenario = {
	.id = "S8",
	.setup = s8_setup,
	.threads = {
		{ 'G', "GUP-fast walker", ks_gup, true },
		{ 'K', "khugepaged", ks_collapse_A, false },
		{ 'U', "user thread: munmap", ks_munmap_A, true },
	},
	.script = stall_collapse_zap_script,
};
