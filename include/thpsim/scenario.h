/*
 * thpsim/scenario.h - the scenario catalogue and deterministic runs.
 *
 * API overview, in call order:
 *
 *   thpsim_scenario_list();                 S1..S13 then registered ones
 *                                           (thpsim/scenario_def.h)
 *   thpsim_run_config_init(&rc);            S1, arm64, none, 4x512, knobs
 *   rc.scenario = "S1"; rc.profile = "x86"; rc.fix = "ipi-sync"; ...
 *   thpsim_scenario_run(&rc, &res);         one scripted deterministic run
 *   res.verdict.outcome                     computed by the oracle
 *   res.timeline                            text, when rc.timeline
 *   thpsim_run_result_fini(&res);
 *   rc.on_event = fn; rc.invariant = &inv;  watch it, judge it your way
 *                                           (thpsim/observe.h)
 *
 * A scenario (docs/KERNEL-NOTES.md section 8) is threads, a setup, and one
 * script of steps "run X until point P, or until it blocks or ends" and
 * "preempt X's vCPU".  The script is the same for every profile and fix:
 * scenario code never reads them.  The outcome is computed by running the
 * model under the deterministic scheduler and judging the observation
 * stream with the oracle — never looked up.
 */
#ifndef THPSIM_SCENARIO_H
#define THPSIM_SCENARIO_H

#include <stdbool.h>
#include <stdint.h>

#include "thpsim/lab.h"
#include "thpsim/mm.h"
#include "thpsim/observe.h"
#include "thpsim/scenario_def.h"
#include "thpsim/strategy.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct thpsim_scenario_info {
	const char *id;		/* "S1" */
	const char *title;	/* one line */
	const char *threads;	/* "G: GUP-fast walker; K: khugepaged; ..." */
} thpsim_scenario_info_t;

/* The catalogue, in order, then the scenarios registered with
 * thpsim_scenario_register() (thpsim/scenario_def.h); *n receives the
 * length.  Valid until the next register or unregister. */
const thpsim_scenario_info_t *thpsim_scenario_list(unsigned *n);
/* By id (case-insensitive); NULL with thpsim_errmsg() listing the ids. */
const thpsim_scenario_info_t *thpsim_scenario_find(const char *id);

#define THPSIM_TIMELINE_WIDTH_MAX 1000

typedef struct thpsim_run_config {
	const char *scenario;		/* "S1" */
	const char *profile;		/* [arm64] */
	const char *fix;		/* strategy name [none] */
	thpsim_geometry_t geometry;	/* [4x512, 4 KiB pages] */
	thpsim_knobs_t knobs;		/* [pmd recheck on, ...] */
	bool timeline;			/* render the timeline text */
	unsigned timeline_width;	/* columns, 0 (120) or up to
					   THPSIM_TIMELINE_WIDTH_MAX [120] */
	bool trace;			/* render a Perfetto trace (explore.h) */
	unsigned idle_cpus;		/* idle CPUs outside the mm, added to the
					   scenario's own [0]; the total is at
					   most THPSIM_IDLE_CPUS_MAX */
	/* Watching the run (thpsim/observe.h): every event of its setup,
	 * run and teardown phases to on_event, each phase's start to
	 * on_phase, both with on_event_arg; through ec.run, every schedule
	 * of an exploration.  Not part of a schedule's configuration. [NULL] */
	thpsim_event_fn on_event;
	thpsim_phase_fn on_phase;
	void *on_event_arg;
	/* A lab's own invariant, judged with the oracle: its findings are
	 * class INVARIANT of the verdict (thpsim/observe.h). [NULL] */
	const thpsim_invariant_t *invariant;
} thpsim_run_config_t;

void thpsim_run_config_init(thpsim_run_config_t *rc);

/* CPUs of a scenario run: the fixed roles (K 0, G 1, U 2, S 3, W 4, R 5,
 * setup 6, teardown 7), then the idle ones. */
#define THPSIM_RUN_FIRST_IDLE_CPU 9
#define THPSIM_RUN_CPUS_MAX (THPSIM_RUN_FIRST_IDLE_CPU + THPSIM_IDLE_CPUS_MAX)

typedef struct thpsim_run_result {
	thpsim_verdict_t verdict;
	/* Interrupts each CPU took during the script (not setup or
	 * teardown), by kind; CPUs nr_cpus and above did not exist. */
	unsigned nr_cpus;
	unsigned nr_idle_cpus;		/* from THPSIM_RUN_FIRST_IDLE_CPU */
	thpsim_irq_counts_t irqs[THPSIM_RUN_CPUS_MAX];
	uint64_t steps;			/* scheduler decisions */
	uint64_t events;		/* observations judged */
	char deadlock[1024];		/* who waits on whom, when DEADLOCK */
	char *timeline;			/* malloc'd, when asked for */
	char *verdict_text;		/* malloc'd: thpsim_verdict_print() */
	char *trace;			/* malloc'd trace-event JSON, when asked for */
} thpsim_run_result_t;

/*
 * Run one scenario deterministically.  0 on a completed run (whatever its
 * outcome); -THPSIM_EINVAL for a NULL rc or out, or naming the bad
 * scenario / profile / fix / geometry / timeline width; -THPSIM_EINTERNAL when the run itself failed (setup error,
 * scheduler error), message in thpsim_errmsg().
 */
int thpsim_scenario_run(const thpsim_run_config_t *rc, thpsim_run_result_t *out);
void thpsim_run_result_fini(thpsim_run_result_t *r);

#ifdef __cplusplus
}
#endif
#endif /* THPSIM_SCENARIO_H */
