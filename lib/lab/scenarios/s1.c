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

const thpsim_scenario_def_t S1_scenario = {
	.id = "S1",
	.title = "anon collapse deposits the table, then a zap frees it under a stalled walker",
	.setup = thpsim_lab_setup_anon_A,
	.threads = {
		{ 'G', "GUP-fast walker", thpsim_lab_gup, true },
		{ 'K', "khugepaged", thpsim_lab_collapse_A, false },
		{ 'U', "user thread: munmap", thpsim_lab_munmap_A, true },
	},
	.script = thpsim_lab_script_stall_collapse_zap,	/* S1's order */
};
