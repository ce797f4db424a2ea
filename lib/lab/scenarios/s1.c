/*
 * S1 - anon collapse deposits the table, then a zap frees it
 * (docs/KERNEL-NOTES.md section 8, issue 1 of the 2022 fix).
 *
 * G reads the pmd of A (table T) with IRQs off and its vCPU is preempted;
 * K collapses A (flush, [fix], isolate, copy, deposit T, huge pmd); U
 * unmaps A, which zaps the huge pmd and frees the deposited table; G
 * resumes and reads T[i].
 */
#include "lab/scenario.h"

static int s1_setup(struct scenario_ctx *ctx)
{
	return ks_populate_anon(ctx, ctx->A);
}

/* Shared by S7 and S8, which vary the setup or the zap, not the order. */
const struct script_step stall_collapse_zap_script[] = {
	RUN_UNTIL('G', GUP_AFTER_PMD_READ),
	PREEMPT('G'),
	RUN('K'),
	RUN('U'),
	RUN('G'),
	SCRIPT_DONE,
};

const struct scenario S1_scenario = {
	.id = "S1",
	.setup = s1_setup,
	.threads = {
		{ 'G', "GUP-fast walker", ks_gup, true },
		{ 'K', "khugepaged", ks_collapse_A, false },
		{ 'U', "user thread: munmap", ks_munmap_A, true },
	},
	.script = stall_collapse_zap_script,
};
