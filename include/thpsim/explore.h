/*
 * thpsim/explore.h - exploring interleavings, replaying them, traces.
 *
 * API overview, in call order:
 *
 *   thpsim_explore_config_init(&ec);        random, 1000 schedules, seed 1
 *   ec.run.scenario = "S1"; ec.run.geometry = ...;   as for a run
 *   ec.policy = THPSIM_POLICY_DFS; ec.preemptions = 2;
 *   thpsim_explore(&ec, &xr);               run many schedules
 *     (ec.stop, ec.progress: end early from a signal; watch it go)
 *   xr.schedules, xr.counts[c], xr.distinct_states
 *   xr.first_schedule                       a string, when xr.found
 *   xr.invariant_schedule                   ec.run.invariant broken
 *                                           (thpsim/observe.h)
 *   thpsim_explore_result_fini(&xr);
 *
 *   thpsim_schedule_check(&rc, str);        is str a schedule of rc?
 *   thpsim_replay(&rc, str, &res);          the same run, exactly
 *
 *   thpsim_trace_open("t.json", &tf);       refuse an unwritable path
 *   rc.trace = true; ... res.trace ...      before the run, then
 *   thpsim_trace_commit(tf, res.trace);     write atomically
 *
 * Policies (docs/DESIGN.md section 4) decide, at every scheduling point of the
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

#include <signal.h>
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

struct thpsim_explore_result;

typedef struct thpsim_explore_config {
	thpsim_run_config_t run;	/* scenario, profile, fix, ... */
	thpsim_policy_t policy;		/* [random] */
	uint64_t iterations;		/* schedules at most [1000]; 0: no
					   bound, dfs only (runs to the end;
					   thpsim explore --policy dfs without
					   --iterations); random and pct refuse
					   0 with -THPSIM_EINVAL */
	uint64_t seed;			/* random, pct [1] */
	double switch_prob;		/* random: (0, 1] [0.05] */
	unsigned depth;			/* pct: 1.. [3] */
	unsigned preemptions;		/* dfs: [2] */
	/* Stop early: when *stop is non-zero (set it from a signal handler),
	 * the run ends before its next schedule, with result.interrupted
	 * set and everything found so far in the result [NULL: never]. */
	const volatile sig_atomic_t *stop;
	/* Called after every schedule with the result so far, e.g. for
	 * periodic statistics; it must not keep the pointer [NULL: none]. */
	void (*progress)(const struct thpsim_explore_result *so_far, void *arg);
	void *progress_arg;
	/* random only: run just the schedules i (0 <= i < iterations) with
	 * i % shard_n == shard_k - 1.  Schedule i depends only on (seed, i),
	 * so the shards together run exactly the unsharded schedules
	 * (`thpsim explore --shard`).  pct learns its step estimate from
	 * earlier schedules and dfs enumerates a tree: -THPSIM_EINVAL. [0: all] */
	uint64_t shard_k, shard_n;
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
	bool interrupted;			/* *config.stop ended it */
	bool found;				/* a violation was found */
	thpsim_outcome_t first_outcome;
	uint64_t first_index;			/* its schedule i, from 0 */
	char *first_schedule;			/* malloc'd, when found */
	/* The distinct terminal states' hashes, ascending (distinct_states
	 * of them; malloc'd, NULL when out of memory): shards' sets unite. */
	uint64_t *state_hashes;
	/* The distinct violations found: for each run and each violation
	 * class in it, that class's first finding as (class, CPU, address,
	 * table or frame, page; thpsim/lab.h), hashed.  Step numbers are
	 * left out: equivalent interleavings number their steps apart.
	 * distinct_violations of them, ascending (malloc'd, NULL when out of
	 * memory).  DPOR's set equals saturated DFS's (tests/lab/test_dpor.c). */
	uint64_t distinct_violations;
	uint64_t *violation_hashes;
	/* ec.run.invariant (thpsim/observe.h): the runs in which it was
	 * broken, whatever else the oracle found in them (first_outcome may
	 * be a more severe class), and the first of them: its schedule i and
	 * its schedule string (malloc'd, NULL when none or out of memory),
	 * which thpsim_replay() with the same invariant reports again. */
	uint64_t invariant_runs;
	bool invariant_found;
	uint64_t invariant_index;
	char *invariant_schedule;
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

/*
 * A trace-file write that destroys nothing.  open checks path before any
 * run (-THPSIM_EINVAL naming it): a new or writable regular file is
 * accepted (commit replaces it atomically: a temporary beside it, then
 * rename; a symbolic link is followed and stays a link); a character
 * device, a FIFO, /dev/stdout, /dev/stderr or /dev/fd/N is written
 * through (flush your stdio first); a read-only file, a directory, a
 * dangling link or anything else is refused.  commit writes json
 * (-THPSIM_EINTERNAL on a write error); abort writes nothing.  Both free
 * tf.  thpsim_trace_cleanup() removes any temporary a commit has open: it
 * is async-signal-safe, for the handler of a signal that ends the process.
 */
typedef struct thpsim_trace_file thpsim_trace_file_t;

int thpsim_trace_open(const char *path, thpsim_trace_file_t **tf);
int thpsim_trace_commit(thpsim_trace_file_t *tf, const char *json);
void thpsim_trace_abort(thpsim_trace_file_t *tf);
void thpsim_trace_cleanup(void);

#ifdef __cplusplus
}
#endif
#endif /* THPSIM_EXPLORE_H */
