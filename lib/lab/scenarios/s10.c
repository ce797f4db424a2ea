/*
 * S10 - an RCU-only walker (the 6.5+ pte_offset_map under rcu_read_lock,
 * IRQs on) against a retracted table.  W maps table T of a shmem range
 * and stalls; K retracts the range's page table; W reads T[i].  An IPI
 * interrupts W at once (its IRQs are on): only a grace period protects it.
 */
#include "lab/scenario.h"

static int s10_setup(struct scenario_ctx *ctx)
{
	return ks_populate_file(ctx, ctx->A);
}

/*
 * Where K's IPI waits for W's preempted vCPU (a guest), W's resume takes
 * the IPI before W reads anything, and K goes on while W is parked at its
 * pte load: the race of bare metal, after the resume.  Where K did not
 * wait it has ended by then and the two middle steps change nothing.
 */
static const struct script_step s10_script[] = {
	RUN_UNTIL('W', RCU_WALK_AFTER_MAP),
	PREEMPT('W'),
	RUN('K'),
	RUN_UNTIL('W', ENTRY_LOAD),
	RUN('K'),
	RUN('W'),
	SCRIPT_DONE,
};

const struct scenario S10_scenario = {
	.id = "S10",
	.setup = s10_setup,
	.threads = {
		{ 'W', "RCU-only walker", ks_rcu_walk, true },
		{ 'K', "khugepaged (file)", ks_collapse_file_A, false },
	},
	.script = s10_script,
};
