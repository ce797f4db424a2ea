/*
 * lab/script.h - the scripted policy: a scenario's one interleaving.
 *
 * A script is a list of steps, the same for every profile and fix:
 *
 *	THPSIM_RUN_UNTIL('G', GUP_AFTER_PMD_READ)  run G until it is parked
 *	                                at that point, or blocks, or ends
 *	THPSIM_PREEMPT('G')             the host preempts G's vCPU
 *	THPSIM_RUN('K')                 run K until it blocks or ends
 *
 * Daemons (the RCU thread) run whenever they can, before the script's
 * next decision: grace periods end as soon as no reader holds them.
 * After the last step every thread left runs to its end, lowest thread
 * first, so deferred work completes
 * and a wait that can never end shows up as a deadlock.  The policy only
 * looks at the threads' states and parked points; it never reads the
 * profile, the fix or the mm.
 */
#ifndef THPSIM_LAB_SCRIPT_H
#define THPSIM_LAB_SCRIPT_H

#include "machine/detsched.h"
#include "machine/sched.h"
#include "thpsim/scenario_def.h"

/* Steps are the public thpsim_script_step_t (thpsim/scenario_def.h). */

struct script_state {
	const thpsim_script_step_t *steps;
	int pc;			/* current step */
	bool ran;		/* the current step ran its thread at least once */
	int script_steps_done;	/* for the timeline: steps completed */
};

void script_init(struct script_state *st, const thpsim_script_step_t *steps);
/* The det_policy callback (st is a struct script_state). */
int script_next(void *st, const struct detsched *s, struct det_decision *d);

#endif
