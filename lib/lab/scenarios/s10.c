/*
 * S10 - an RCU-only walker (the 6.5+ pte_offset_map under rcu_read_lock,
 * IRQs on) against a retracted table.  W maps table T of a shmem range
 * and stalls; K retracts the range's page table; W reads T[i].  An IPI
 * interrupts W at once (its IRQs are on): only a grace period protects it.
 */
#include "thpsim/thpsim.h"

/*
 * Where K's IPI waits for W's preempted vCPU (a guest), W's resume takes
 * the IPI before W reads anything, and K goes on while W is parked at its
 * pte load: the race of bare metal, after the resume.  Where K did not
 * wait it has ended by then and the two middle steps change nothing.
 */
static const thpsim_script_step_t s10_script[] = {
	THPSIM_RUN_UNTIL('W', RCU_WALK_AFTER_MAP),
	THPSIM_PREEMPT('W'),
	THPSIM_RUN('K'),
	THPSIM_RUN_UNTIL('W', ENTRY_LOAD),
	THPSIM_RUN('K'),
	THPSIM_RUN('W'),
	THPSIM_SCRIPT_END,
};

const thpsim_scenario_def_t S10_scenario = {
	.id = "S10",
	.title = "RCU-only walker (6.5+ pte_offset_map, IRQs on) vs a retracted table",
	.setup = thpsim_lab_setup_file_A,
	.threads = {
		{ 'W', "RCU-only walker", thpsim_lab_rcu_walk, true },
		{ 'K', "khugepaged (file)", thpsim_lab_collapse_file_A, false },
	},
	.script = s10_script,
};
