/*
 * S7 - the KVM PV TLB flush skips a preempted vCPU.  As S1, with the
 * user thread zapping A by MADV_DONTNEED: G's vCPU is preempted inside
 * its IRQ-off section, K's flush skips it on x86-kvm-pv, U's zap frees
 * the deposited table, G resumes.
 */
#include "lab/scenario.h"

static int s7_setup(struct scenario_ctx *ctx)
{
	return ks_populate_anon(ctx, ctx->A);
}

const struct scenario S7_scenario = {
	.id = "S7",
	.setup = s7_setup,
	.threads = {
		{ 'G', "GUP-fast walker", ks_gup, true },
		{ 'K', "khugepaged", ks_collapse_A, false },
		{ 'U', "user thread: MADV_DONTNEED", ks_dontneed_A, true },
	},
	.script = stall_collapse_zap_script,
};
