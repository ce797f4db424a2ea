/*
 * S7 - the KVM PV TLB flush skips a preempted vCPU.  As S1, with the
 * user thread zapping A by MADV_DONTNEED: G's vCPU is preempted inside
 * its IRQ-off section, K's flush skips it on x86-kvm-pv, U's zap frees
 * the deposited table, G resumes.
 */
#include "thpsim/thpsim.h"

static int s7_setup(thpsim_scenario_ctx_t *ctx)
{
	return thpsim_lab_populate_anon(ctx, ctx->A);
}

/* S1's order: G stalls after its pmd read, K collapses, U zaps. */
static const thpsim_script_step_t s7_script[] = {
	THPSIM_RUN_UNTIL('G', GUP_AFTER_PMD_READ),
	THPSIM_PREEMPT('G'),
	THPSIM_RUN('K'),
	THPSIM_RUN('U'),
	THPSIM_RUN('G'),
	THPSIM_SCRIPT_END,
};

const thpsim_scenario_def_t S7_scenario = {
	.id = "S7",
	.title = "KVM PV flush skips the preempted walker; zap by MADV_DONTNEED",
	.setup = s7_setup,
	.threads = {
		{ 'G', "GUP-fast walker", thpsim_lab_gup, true },
		{ 'K', "khugepaged", thpsim_lab_collapse_A, false },
		{ 'U', "user thread: MADV_DONTNEED", thpsim_lab_dontneed_A, true },
	},
	.script = s7_script,
};
