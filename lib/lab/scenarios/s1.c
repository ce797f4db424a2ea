/*
 * S1 - anon collapse deposits the table, then a zap frees it
 * (docs/KERNEL-NOTES.md section 8, issue 1 of the 2022 fix).
 *
 * G reads the pmd of A (table T) with IRQs off and its vCPU is preempted;
 * K collapses A (flush, [fix], isolate, copy, deposit T, huge pmd); U
 * unmaps A, which zaps the huge pmd and frees the deposited table; G
 * resumes and reads T[i].
 */
#include "thpsim/thpsim.h"

static int s1_setup(thpsim_scenario_ctx_t *ctx)
{
	return thpsim_lab_populate_anon(ctx, ctx->A);
}

/* S7 and S8 have the same order and vary the setup or the zap. */
static const thpsim_script_step_t s1_script[] = {
	THPSIM_RUN_UNTIL('G', GUP_AFTER_PMD_READ),
	THPSIM_PREEMPT('G'),
	THPSIM_RUN('K'),
	THPSIM_RUN('U'),
	THPSIM_RUN('G'),
	THPSIM_SCRIPT_END,
};

const thpsim_scenario_def_t S1_scenario = {
	.id = "S1",
	.title = "anon collapse deposits the table, then a zap frees it under a stalled walker",
	.setup = s1_setup,
	.threads = {
		{ 'G', "GUP-fast walker", thpsim_lab_gup, true },
		{ 'K', "khugepaged", thpsim_lab_collapse_A, false },
		{ 'U', "user thread: munmap", thpsim_lab_munmap_A, true },
	},
	.script = s1_script,
};
