/*
 * lab/observe.h - what a run reports to the lab watching it (the
 * thpsim/observe.h side of scenario.c): on_event and on_phase, and the
 * lab's own invariant, whose findings join the oracle's verdict.
 *
 * API overview, in call order (scenario.c):
 *
 *   observe_begin(&o, rc);                 before the machine: invariant begin
 *   observe_phase(&o, THPSIM_PHASE_SETUP); each phase, before its events
 *   observe_event(&o, ev);                 every event of the run
 *   observe_attach(&o, &ds, m, mm);        RUN phase: after_step on ds.on_step
 *   observe_run_end(&o);                   RUN phase over: at_end, detach
 *   observe_verdict(&o, &verdict);         INVARIANT findings into it
 */
#ifndef THPSIM_LAB_OBSERVE_H
#define THPSIM_LAB_OBSERVE_H

#include "machine/detsched.h"
#include "thpsim/observe.h"
#include "thpsim/scenario.h"

struct run_observer {
	const thpsim_run_config_t *rc;
	const thpsim_invariant_t *inv;
	thpsim_run_phase_t phase;
	bool started;			/* a phase was announced */
	/* The last event of SETUP + RUN, and how many. */
	thpsim_event_t last;
	uint64_t nr_events;
	thpsim_invariant_view_t view;
	struct detsched *ds;
	/* The invariant's findings. */
	uint64_t count;
	bool found;
	thpsim_finding_t first;
};

void observe_begin(struct run_observer *o, const thpsim_run_config_t *rc);
void observe_phase(struct run_observer *o, thpsim_run_phase_t phase);
void observe_event(struct run_observer *o, const thpsim_event_t *ev);
void observe_attach(struct run_observer *o, struct detsched *ds,
		    thpsim_machine_t *m, thpsim_mm_t *mm);
void observe_run_end(struct run_observer *o);
void observe_verdict(const struct run_observer *o, thpsim_verdict_t *v);

#endif
