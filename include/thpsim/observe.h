/*
 * thpsim/observe.h - watching runs: the event stream of a run, a lab's
 * own invariants, and the oracle and the timeline as objects a lab feeds.
 *
 * API overview, in call order:
 *
 *   Subscribe to a run's events (thpsim/scenario.h, thpsim/explore.h):
 *     rc.on_event = my_fn; rc.on_event_arg = me;   every event, in order
 *     rc.on_phase = my_phase;                      SETUP, RUN, TEARDOWN
 *     thpsim_scenario_run(&rc, &res) / thpsim_replay(&rc, s, &res) /
 *     thpsim_explore(&ec, &xr) with ec.run.on_event: every schedule's run
 *
 *   A lab's own invariant:
 *     static const thpsim_invariant_t inv = { .name = "one-flush",
 *         .begin = reset, .on_event = check_event, .at_end = check_end,
 *         .arg = &state };
 *     rc.invariant = &inv;                         (or ec.run.invariant)
 *     res.verdict.found[THPSIM_OUTCOME_INVARIANT]  its first finding
 *     xr.first_schedule                            replays it: pass the
 *                                                  same rc.invariant
 *
 *   The oracle and the timeline on events a lab has itself:
 *     thpsim_oracle_create(&geometry, 0, &o);
 *     thpsim_oracle_feed(o, &ev) ...               or thpsim_oracle_sink
 *     thpsim_oracle_verdict(o, &v); thpsim_oracle_destroy(o);
 *     thpsim_timeline_create(&t); thpsim_timeline_name_cpu(t, 1, "G");
 *     thpsim_timeline_feed(t, &ev) ...; thpsim_timeline_mark_verdict(t, &v);
 *     thpsim_timeline_render(t, stdout, 120); thpsim_timeline_destroy(t);
 *
 * Which events a run reports.  A scenario run has three phases, each
 * announced by on_phase before its first event: SETUP (the mm is made
 * and the scenario's set-up runs, on CPU 6, free of the schedule), RUN
 * (the script's or the policy's steps; one exploration schedule is one
 * RUN phase) and TEARDOWN (after the verdict: pins dropped, the mm and
 * the file destroyed, on CPU 7; none after a deadlock).  on_event gets
 * the events of all three.  The run's oracle judges SETUP and RUN: the
 * number of on_event calls before TEARDOWN equals res.verdict.nr_events.
 * Under thpsim_explore, on_phase(SETUP) says a new schedule begins.
 *
 * Callbacks run synchronously on the thread that called
 * thpsim_scenario_run / thpsim_replay / thpsim_explore: events come from
 * the simulated CPUs' fibers (one at a time, in seq order), after_step
 * and at_end from the scheduler between steps.  None of them may block,
 * call a thpsim function that can reach a scheduling point (mmap, fault,
 * GUP, collapse, zap, locks, IPIs, RCU), or start another run.  They may
 * read: the event (copy it, it does not outlive the call; its `what` is
 * static), and in after_step / at_end the view's machine and mm through
 * thpsim_page_info(), thpsim_phys_read(), thpsim_cpu_is_preempted(),
 * thpsim_cpu_irq_counts(), thpsim_mm_geometry().
 *
 * Under the dpor policy, schedules that differ only in the order of
 * independent steps (steps touching disjoint objects) run once: an
 * invariant must judge what happened to objects (frames, entries, pins),
 * not the relative order of unrelated steps on different CPUs, or dpor
 * may miss a schedule it would flag (dfs and random do not prune).
 */
#ifndef THPSIM_OBSERVE_H
#define THPSIM_OBSERVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "thpsim/event.h"
#include "thpsim/lab.h"
#include "thpsim/machine.h"
#include "thpsim/mm.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum thpsim_run_phase {
	THPSIM_PHASE_SETUP,	/* set-up, before the first step */
	THPSIM_PHASE_RUN,	/* the steps: script, policy or replay */
	THPSIM_PHASE_TEARDOWN,	/* after the verdict */
	THPSIM_PHASE__NR
} thpsim_run_phase_t;

/* "setup", "run", "teardown"; "?" outside the enum. */
const char *thpsim_run_phase_name(thpsim_run_phase_t p);

/* A new phase of a run begins (arg: the config's on_event_arg). */
typedef void (*thpsim_phase_fn)(thpsim_run_phase_t phase, void *arg);

/* ---- a lab's own invariant ------------------------------------------ */

/* What an invariant may look at between steps. */
typedef struct thpsim_invariant_view {
	thpsim_machine_t *machine;
	thpsim_mm_t *mm;		/* NULL when the set-up did not make one */
	uint64_t step;			/* steps of the RUN phase done so far */
	uint64_t nr_events;		/* events of the run so far (SETUP + RUN) */
	const thpsim_event_t *last;	/* the last of them, NULL when none */
} thpsim_invariant_view_t;

/*
 * An invariant: up to three checks, any of them NULL.  Each returns
 * false when the invariant holds, true when it is broken; then it fills
 * f->text (a sentence; the library puts "invariant <name>: " before it)
 * and may set f->addr, f->pfn, f->pfn2, f->cause_seq, ...  The library
 * fills f beforehand: outcome THPSIM_OUTCOME_INVARIANT, seq / step / cpu
 * of the event (on_event) or of the last event (after_step, at_end), the
 * other fields THPSIM_NO_CPU / THPSIM_NO_SEQ / 0.
 *
 * Every true return is counted in verdict.counts[THPSIM_OUTCOME_INVARIANT];
 * the first one becomes verdict.first[THPSIM_OUTCOME_INVARIANT], found[]
 * is set and the run's outcome is INVARIANT unless the oracle found a
 * more severe class (lab.h order).  The run goes on to its end either
 * way.  It is a violation: exploration counts it, keeps the schedule of
 * the first, and thpsim_replay() of that schedule with the same invariant
 * finds it again (the invariant must be deterministic: a function of the
 * events and the view only).
 *
 *   begin       before each run (each schedule of an exploration): reset
 *               the state in arg;
 *   on_event    every event of the SETUP and RUN phases, in order;
 *   after_step  after every step of the RUN phase;
 *   at_end      once, when the RUN phase ended, however it ended (all
 *               threads done, a deadlock, or a BUG that ended the run:
 *               then the mm may be half-way through an operation).
 */
typedef struct thpsim_invariant {
	const char *name;		/* short, e.g. "one-flush-per-collapse" */
	void (*begin)(void *arg);
	bool (*on_event)(const thpsim_event_t *ev, void *arg,
			 thpsim_finding_t *f);
	bool (*after_step)(const thpsim_invariant_view_t *view, void *arg,
			   thpsim_finding_t *f);
	bool (*at_end)(const thpsim_invariant_view_t *view, void *arg,
		       thpsim_finding_t *f);
	void *arg;
} thpsim_invariant_t;

/*
 * Invariants by name, for the command (thpsim/cli.h: `thpsim run | explore
 * | replay | verify --invariant NAME` in a lab binary or a --load'ed lab):
 * register before the runs, from one thread.  The name is 1..63 of
 * [A-Za-z0-9._-]; inv must stay valid while registered (it is not copied).
 * register: 0, -THPSIM_EINVAL (NULL, bad name), -THPSIM_EEXIST (the name
 * is taken), -THPSIM_ENOSPC (THPSIM_INVARIANTS_MAX registered).
 * unregister: 0 or -THPSIM_ENOENT.  find: NULL with thpsim_errmsg()
 * listing the registered names.
 */
#define THPSIM_INVARIANTS_MAX 32

int thpsim_invariant_register(const thpsim_invariant_t *inv);
int thpsim_invariant_unregister(const char *name);
const thpsim_invariant_t *thpsim_invariant_find(const char *name);
unsigned thpsim_invariant_count(void);
/* The i-th registered (0 <= i < count), NULL outside. */
const thpsim_invariant_t *thpsim_invariant_at(unsigned i);

/* ---- the oracle as an object ----------------------------------------- */

/*
 * The oracle of every run (rules in docs/DESIGN.md section 7), fed by
 * hand: a lab's own list of events, or a run it drives itself.  It needs
 * every event from the first FRAME_ALLOC of what it judges (so: from the
 * SETUP phase on), in seq order.
 */
typedef struct thpsim_oracle thpsim_oracle_t;

/* g NULL: the default geometry; nr_frames: pfns it tracks (0: 2^20).
 * 0, or -THPSIM_EINVAL (bad geometry, nr_frames above 2^32, o NULL) /
 * -THPSIM_ENOMEM, with *o NULL. */
int thpsim_oracle_create(const thpsim_geometry_t *g, size_t nr_frames,
			 thpsim_oracle_t **o);
void thpsim_oracle_destroy(thpsim_oracle_t *o);	/* NULL is fine */
/* One event; not thread-safe.  NULL o or ev: nothing. */
void thpsim_oracle_feed(thpsim_oracle_t *o, const thpsim_event_t *ev);
/* The same as a thpsim_event_fn (arg: the oracle); thread-safe. */
void thpsim_oracle_sink(const thpsim_event_t *ev, void *arg);
/* A wait that can never end, in words: a DEADLOCK finding. */
void thpsim_oracle_report_deadlock(thpsim_oracle_t *o, const char *text);
/* The verdict so far (may be called more than once). */
void thpsim_oracle_verdict(thpsim_oracle_t *o, thpsim_verdict_t *out);

/* ---- the timeline as an object --------------------------------------- */

/*
 * The terminal timeline of `thpsim run --timeline`: one column per CPU
 * named, one row per step (per event when every step is 0), each cell in
 * plain words.  Events of CPUs not named get a column titled "CPU n".
 */
typedef struct thpsim_timeline thpsim_timeline_t;

/* 0, or -THPSIM_EINVAL (t NULL) / -THPSIM_ENOMEM with *t NULL. */
int thpsim_timeline_create(thpsim_timeline_t **t);
void thpsim_timeline_destroy(thpsim_timeline_t *t);	/* NULL is fine */
/* Title cpu's column (-1: code on no CPU); -THPSIM_EINVAL outside
 * -1..THPSIM_NR_CPUS_MAX-1 or with no name. */
int thpsim_timeline_name_cpu(thpsim_timeline_t *t, int cpu, const char *name);
void thpsim_timeline_feed(thpsim_timeline_t *t, const thpsim_event_t *ev);
/* As a thpsim_event_fn (arg: the timeline); thread-safe. */
void thpsim_timeline_sink(const thpsim_event_t *ev, void *arg);
/* Flag event seq: its cell ends with "-> label". */
int thpsim_timeline_mark(thpsim_timeline_t *t, uint64_t seq, const char *label);
/* Mark the first finding of every class v found. */
int thpsim_timeline_mark_verdict(thpsim_timeline_t *t, const thpsim_verdict_t *v);
/* Lines at most width code points (40..; 0: 120).  0 or -THPSIM_E*. */
int thpsim_timeline_render(thpsim_timeline_t *t, FILE *out, unsigned width);
/* One event in the timeline's words, NUL-terminated (truncated to len);
 * the length it needed, as snprintf. */
size_t thpsim_event_text(const thpsim_event_t *ev, char *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif /* THPSIM_OBSERVE_H */
