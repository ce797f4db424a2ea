/*
 * lab/script.h - the scripted policy: a scenario's one interleaving.
 *
 * A script is a list of steps, the same for every profile and fix:
 *
 *	RUN_UNTIL('G', GUP_AFTER_PMD_READ)  run G until it is parked at that
 *	                                    point, or blocks, or ends
 *	PREEMPT('G')                        the host preempts G's vCPU
 *	RUN('K')                            run K until it blocks or ends
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

enum script_op { SCRIPT_END = 0, SCRIPT_RUN_UNTIL, SCRIPT_RUN, SCRIPT_PREEMPT };

struct script_step {
	enum script_op op;
	char thread;		/* thread name: 'G', 'K', ... */
	int point;		/* SCRIPT_RUN_UNTIL only */
};

#define RUN_UNTIL(t, P) { SCRIPT_RUN_UNTIL, t, THPSIM_SP_##P }
#define RUN(t) { SCRIPT_RUN, t, -1 }
#define PREEMPT(t) { SCRIPT_PREEMPT, t, -1 }
#define SCRIPT_DONE { SCRIPT_END, 0, -1 }

struct script_state {
	const struct script_step *steps;
	int pc;			/* current step */
	bool ran;		/* the current step ran its thread at least once */
	int script_steps_done;	/* for the timeline: steps completed */
};

void script_init(struct script_state *st, const struct script_step *steps);
/* The det_policy callback (st is a struct script_state). */
int script_next(void *st, const struct detsched *s, struct det_decision *d);

#endif
