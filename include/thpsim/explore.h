/*
 * thpsim/explore.h - exploring interleavings, replaying them, traces.
 *
 * API overview, in call order:
 *
 *   thpsim_explore_config_init(&ec);        random, 1000 schedules, seed 1
 *   ec.run.scenario = "S1"; ec.run.geometry = ...;   as for a run
 *   ec.policy = THPSIM_POLICY_DFS; ec.preemptions = 2;
 *   thpsim_explore(&ec, &xr);               run many schedules
 *   xr.schedules, xr.counts[c], xr.distinct_states
 *   xr.first_schedule                       a string, when xr.found
 *   thpsim_explore_result_fini(&xr);
 *
 *   thpsim_schedule_check(&rc, str);        is str a schedule of rc?
 *   thpsim_replay(&rc, str, &res);          the same run, exactly
 *
 *   thpsim_trace_open("t.json", &tf);       refuse an unwritable path
 *   rc.trace = true; ... res.trace ...      before the run, then
 *   thpsim_trace_commit(tf, res.trace);     write atomically
 *
 * Policies (DESIGN.md section 4) decide, at every scheduling point of the
 * run phase, which thread runs next or whose vCPU the host preempts.
 * They see only the threads' states, never the scenario's script.  Daemons
 * (the RCU thread) run as soon as they can, as under the script.
 *   random  keep the current thread, or switch with probability
 *           switch_prob (a switch away preempts the vCPU half the time);
 *   pct     PCT (Burckhardt et al. 2010): random thread priorities and
 *           depth - 1 priority-change points;
 *   dfs     every schedule with at most `preemptions` preemptions (a
 *           switch away from a runnable thread, or a vCPU preemption),
 *           each run from scratch replaying a decision prefix;
 *   dpor    every Mazurkiewicz-inequivalent schedule (source-DPOR with
 *           sleep sets, Abdulla et al. POPL 2014; docs/VERIFY.md): steps
 *           that touch disjoint shared objects are not reordered.
 *
 * A schedule string is printable and shell-safe ([A-Za-z0-9._-]):
 *   v1.S1.<config hash>.<decisions>.<checksum>
 * decisions: "G3" runs G for 3 steps, "g" preempts G's vCPU.  A string
 * that is truncated, mangled, too long or recorded under another
 * configuration is refused with -THPSIM_EINVAL and a message saying why.
 */
#ifndef THPSIM_EXPLORE_H
#define THPSIM_EXPLORE_H

#include <stdbool.h>
#include <stdint.h>

#include "thpsim/lab.h"
#include "thpsim/scenario.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Longest schedule string accepted, in characters. */
#define THPSIM_SCHEDULE_MAX 65536

typedef enum thpsim_policy {
	THPSIM_POLICY_RANDOM,
	THPSIM_POLICY_PCT,
	THPSIM_POLICY_DFS,
	THPSIM_POLICY_DPOR,
	THPSIM_POLICY__NR
} thpsim_policy_t;

const char *thpsim_policy_name(thpsim_policy_t p);
/* -1 when name is none of "random", "pct", "dfs", "dpor". */
int thpsim_policy_parse(const char *name);

typedef struct thpsim_explore_config {
	thpsim_run_config_t run;	/* scenario, profile, fix, ... */
	thpsim_policy_t policy;		/* [random] */
	uint64_t iterations;		/* schedules at most; 0: DFS to the end [1000] */
	uint64_t seed;			/* random, pct [1] */
	double switch_prob;		/* random: (0, 1] [0.05] */
	unsigned depth;			/* pct: 1.. [3] */
	unsigned preemptions;		/* dfs: [2] */
} thpsim_explore_config_t;

typedef struct thpsim_explore_result {
	uint64_t schedules;			/* runs made */
	uint64_t counts[THPSIM_OUTCOME__NR];	/* runs per outcome */
	uint64_t distinct_states;		/* distinct terminal states */
	uint64_t violations;			/* runs with a violation */
	/* Runs in which a walker read a table that was unhooked or replaced
	 * during its walk, or an entry that changed before its walk ended
	 * (verdict.nr_unhooked_reads or nr_changed_reads > 0, thpsim/lab.h):
	 * the schedules that exercised the race.  None, and no violation:
	 * the exploration was vacuous (`thpsim explore` exits 5). */
	uint64_t exercised;
	bool exhausted;				/* dfs: every schedule ran */
	bool found;				/* a violation was found */
	thpsim_outcome_t first_outcome;
	uint64_t first_index;			/* its run, from 0 */
	char *first_schedule;			/* malloc'd, when found */
} thpsim_explore_result_t;

void thpsim_explore_config_init(thpsim_explore_config_t *ec);
/* 0, or -THPSIM_EINVAL (bad configuration) / -THPSIM_EINTERNAL. */
int thpsim_explore(const thpsim_explore_config_t *ec,
		   thpsim_explore_result_t *out);
void thpsim_explore_result_fini(thpsim_explore_result_t *r);

/* 0 when s is a well-formed schedule of rc's scenario and configuration;
 * else -THPSIM_EINVAL with thpsim_errmsg() saying what is wrong. */
int thpsim_schedule_check(const thpsim_run_config_t *rc, const char *s);
/* The run s recorded, with rc's timeline / trace options.  -THPSIM_EINVAL
 * when s is refused or does not fit the run (message says where). */
int thpsim_replay(const thpsim_run_config_t *rc, const char *s,
		  thpsim_run_result_t *out);

/* An atomic trace-file write: open creates a temporary file next to
 * path (so an unwritable path is refused before any run), commit writes
 * json to it and renames it over path; abort removes it.  Both free tf. */
typedef struct thpsim_trace_file thpsim_trace_file_t;

int thpsim_trace_open(const char *path, thpsim_trace_file_t **tf);
int thpsim_trace_commit(thpsim_trace_file_t *tf, const char *json);
void thpsim_trace_abort(thpsim_trace_file_t *tf);

#ifdef __cplusplus
}
#endif
#endif /* THPSIM_EXPLORE_H */
