/*
 * S7 - the KVM PV TLB flush skips a preempted vCPU.  As S1, with the
 * user thread zapping A by MADV_DONTNEED: G's vCPU is preempted inside
 * its IRQ-off section, K's flush skips it on x86-kvm-pv, U's zap frees
 * the deposited table, G resumes.
 */
#include "thpsim/thpsim.h"

const thpsim_scenario_def_t S7_scenario = {
	.id = "S7",
	.title = "KVM PV flush skips the preempted walker; zap by MADV_DONTNEED",
	.setup = thpsim_lab_setup_anon_A,
	.threads = {
		{ 'G', "GUP-fast walker", thpsim_lab_gup, true },
		{ 'K', "khugepaged", thpsim_lab_collapse_A, false },
		{ 'U', "user thread: MADV_DONTNEED", thpsim_lab_dontneed_A, true },
	},
	.script = thpsim_lab_script_stall_collapse_zap,	/* S1's order */
};
