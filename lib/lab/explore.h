/*
 * lab/explore.h - exploration policies and schedule strings (internals
 * of thpsim/explore.h).
 *
 * An exploration policy is a det_policy plus two calls around each run:
 * begin (reset, seed) and end (DFS: pick the next prefix; false when
 * nothing is left).  explore.c wraps it so that daemons run eagerly and
 * every decision is recorded for the schedule string; the policy itself
 * only chooses among the runnable non-daemon threads.
 */
#ifndef THPSIM_LAB_EXPLORE_H
#define THPSIM_LAB_EXPLORE_H

#include <stddef.h>
#include <stdint.h>

#include "thpsim/explore.h"
#include "machine/detsched.h"

struct xpolicy {
	int (*next)(void *st, const struct detsched *s, struct det_decision *d);
	void (*begin)(void *st, uint64_t iteration);
	bool (*end)(void *st);
	void *st;
	/* Optional: every decision (forced: a daemon's, made by explore.c),
	 * just before it runs. */
	void (*note)(void *st, const struct detsched *s,
		     const struct det_decision *d, bool forced);
};

/* ---- helpers shared by the policies (policy_common in explore.c) ---- */

uint64_t xrand_next(uint64_t *state);		/* splitmix64 */
double xrand_unit(uint64_t *state);		/* [0, 1) */
/* Runnable non-daemon threads, lowest index first; returns how many. */
int xrunnable(const struct detsched *s, int *ids);

static inline bool xis_runnable(const struct detsched *s, int t)
{
	return t >= 0 && t < s->nr_threads && s->threads[t].state == DT_RUNNABLE;
}

/* How many xrunnable() would list, in O(1) (a policy asks at every
 * point and needs the list only when it switches). */
static inline int xnr_runnable(const struct detsched *s)
{
	return s->nr_runnable - s->nr_runnable_daemons;
}

/* ---- random -------------------------------------------------------- */

struct random_state {
	uint64_t seed, rng;
	double switch_prob;
	int cur;		/* last thread run, -1 none */
	bool must_switch;	/* its vCPU was just preempted */
};

void policy_random_init(struct xpolicy *p, struct random_state *st,
			uint64_t seed, double switch_prob);

/* ---- PCT ------------------------------------------------------------- */

#define PCT_DEPTH_MAX 64

struct pct_state {
	uint64_t seed, rng;
	unsigned depth;
	uint64_t est_steps;		/* run length estimate (k of PCT) */
	uint64_t steps;			/* choices made this run */
	uint64_t change[PCT_DEPTH_MAX];	/* change points, steps */
	int prio[DET_THREADS_MAX];
	int cur;
	bool must_switch;
};

void policy_pct_init(struct xpolicy *p, struct pct_state *st, uint64_t seed,
		     unsigned depth);

/* ---- bounded DFS ----------------------------------------------------- */

struct dfs_point {
	uint8_t chosen, nalts;
	bool costly;		/* alternatives > 0 are preemptions */
	uint32_t used;		/* preemptions before this point */
};

struct dfs_state {
	unsigned bound;
	struct dfs_point *path;		/* this run's choice points */
	size_t len, cap;
	uint8_t *prefix;		/* choices to replay */
	size_t prefix_len, prefix_cap;
	uint32_t used;
	int cur;
	bool must_switch;
	bool oom;
};

void policy_dfs_init(struct xpolicy *p, struct dfs_state *st, unsigned bound);
void policy_dfs_fini(struct dfs_state *st);

/* ---- DPOR (policy_dpor.c) ------------------------------------------- */

struct dpor_sleep {
	uint8_t action;
	struct det_footprint fp;	/* of the step it took from there */
};

struct dpor_node {			/* the state before event k */
	uint32_t enabled, backtrack, done, sleep_mask;
	uint8_t choice;			/* action taken on the current path */
	bool forced;			/* a daemon step: no choice */
	struct dpor_sleep *sleep;
	size_t nr_sleep, cap_sleep;
};

struct dpor_event {
	uint8_t action;			/* t: run t; DET_THREADS_MAX + t: preempt t */
	uint8_t owner;
	struct det_footprint fp;
};

struct dpor_state {
	struct dpor_node *node;
	struct dpor_event *ev;
	size_t cap, path_len, ev_len, synced, fresh_from;
	uint32_t *vc, *seq;		/* vector clocks, per-owner sequence */
	struct dpor_hist *hist;		/* per-object access history */
	size_t hcap;
	uint32_t hgen, last_all;	/* last_all: last `all` event + 1 */
	struct det_footprint cur;	/* the running step's footprint */
	int last_run;
	uint32_t preempted;
	bool redundant;			/* this run chose a sleeping action */
	bool oom, diverged;
};

void policy_dpor_init(struct xpolicy *p, struct dpor_state *st);
void policy_dpor_fini(struct dpor_state *st);

/* ---- schedule strings and replay ------------------------------------- */

#define SCHED_COUNT_MAX 100000u		/* steps in one token */

/* One token of a schedule: run thread `name` for `count` steps, or
 * preempt its vCPU (count 1). */
struct sched_token {
	enum det_kind kind;
	char name;
	uint32_t count;
};

struct schedule {
	char scenario[16];
	uint32_t config_hash;
	struct sched_token *tok;
	size_t nr_tok;
};

uint32_t schedule_config_hash(const thpsim_run_config_t *rc);
/* The checksum of a schedule string's text (FNV-1a, 32 bits). */
uint32_t schedule_fnv1a(const char *s, size_t n);
/* Append one decision to a token list (run-length); -THPSIM_ENOMEM.
 * Inline: the common case, one more step of the thread that ran last,
 * is a counter, once per point of a run. */
int schedule_append(struct schedule *sc, size_t *cap, enum det_kind kind,
		    char name);
static inline int schedule_push(struct schedule *sc, size_t *cap,
				enum det_kind kind, char name)
{
	struct sched_token *last = sc->nr_tok ? &sc->tok[sc->nr_tok - 1] : NULL;

	if (kind == DET_RUN && last && last->kind == DET_RUN &&
	    last->name == name && last->count < SCHED_COUNT_MAX) {
		last->count++;
		return 0;
	}
	return schedule_append(sc, cap, kind, name);
}
/* rc's scenario and hash with sc's tokens, as a malloc'd string; NULL
 * when out of memory. */
char *schedule_encode(const thpsim_run_config_t *rc,
		      const struct schedule *sc);
/* Parse and check str against rc: 0, or -THPSIM_EINVAL with a message. */
int schedule_decode(const thpsim_run_config_t *rc, const char *str,
		    struct schedule *out);
void schedule_fini(struct schedule *sc);

struct replay_state {
	const struct schedule *sc;
	size_t tok;
	uint32_t done;			/* steps of tok done */
	uint64_t step;
	char error[256];		/* why the schedule did not fit */
};

void policy_replay_init(struct det_policy *p, struct replay_state *st,
			const struct schedule *sc);
/* After the run: did the schedule end exactly with it? */
bool policy_replay_finished(const struct replay_state *st);

#endif /* THPSIM_LAB_EXPLORE_H */
