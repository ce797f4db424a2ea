/*
 * policy_dfs.c - bounded depth-first search: every schedule with at most
 * `bound` preemptions (Musuvathi and Qadeer's iterative context bounding,
 * CHESS), each run from scratch.
 *
 * At a choice point the alternatives are, in order:
 *   current thread runnable:  0 keep running it (free); then run each
 *                             other runnable thread; then preempt the
 *                             current vCPU (each of these costs one);
 *   after a vCPU preemption:  each other runnable thread (free, paid);
 *   no current thread:        each runnable thread (free).
 * A run replays the prefix of choices it was given, then takes choice 0
 * at every later point, recording each point.  end() backtracks: the
 * deepest point with an untried alternative the budget allows becomes
 * the last choice of the next prefix.  Nothing left: the search is over.
 */
#include <stdlib.h>
#include <string.h>

#include "lab/explore.h"

/* Alternative k at this point as a decision. */
static int alternatives(struct dfs_state *st, const struct detsched *s,
			struct det_decision *alt, bool *costly)
{
	int ids[DET_THREADS_MAX], n = xrunnable(s, ids), na = 0;
	bool cur_ok = st->cur >= 0 && xis_runnable(s, st->cur);

	*costly = cur_ok && !st->must_switch;
	if (*costly)
		alt[na++] = (struct det_decision){ DET_RUN, st->cur };
	for (int i = 0; i < n; i++)
		if (!(cur_ok && ids[i] == st->cur))
			alt[na++] = (struct det_decision){ DET_RUN, ids[i] };
	if (*costly && na > 1)
		alt[na++] = (struct det_decision){ DET_PREEMPT, st->cur };
	if (st->must_switch && na == 0 && cur_ok)
		alt[na++] = (struct det_decision){ DET_RUN, st->cur };
	return na;
}

static int record(struct dfs_state *st, const struct dfs_point *pt)
{
	if (st->len == st->cap) {
		size_t cap = st->cap ? st->cap * 2 : 256;
		struct dfs_point *n = realloc(st->path, cap * sizeof(*n));

		if (!n) {
			st->oom = true;
			return -1;
		}
		st->path = n;
		st->cap = cap;
	}
	st->path[st->len++] = *pt;
	return 0;
}

static int dfs_next(void *arg, const struct detsched *s, struct det_decision *d)
{
	struct dfs_state *st = arg;
	struct det_decision alt[2 * DET_THREADS_MAX + 1];
	struct dfs_point pt = { .used = st->used };
	int na = alternatives(st, s, alt, &pt.costly);

	if (!na)
		return 1;
	pt.nalts = (uint8_t)na;
	pt.chosen = st->len < st->prefix_len ? st->prefix[st->len] : 0;
	if (pt.chosen >= na || record(st, &pt))
		return 1;	/* the run is not the one the prefix saw */
	if (pt.costly && pt.chosen > 0)
		st->used++;
	*d = alt[pt.chosen];
	st->must_switch = d->kind == DET_PREEMPT;
	if (d->kind == DET_RUN)
		st->cur = d->thread;
	return 0;
}

static void dfs_begin(void *arg, uint64_t iteration)
{
	struct dfs_state *st = arg;

	(void)iteration;
	st->len = 0;
	st->used = 0;
	st->cur = -1;
	st->must_switch = false;
}

static bool set_prefix(struct dfs_state *st, size_t i, uint8_t choice)
{
	if (i + 1 > st->prefix_cap) {
		size_t cap = (i + 1) * 2;
		uint8_t *n = realloc(st->prefix, cap);

		if (!n) {
			st->oom = true;
			return false;
		}
		st->prefix = n;
		st->prefix_cap = cap;
	}
	for (size_t k = 0; k < i; k++)
		st->prefix[k] = st->path[k].chosen;
	st->prefix[i] = choice;
	st->prefix_len = i + 1;
	return true;
}

static bool dfs_end(void *arg)
{
	struct dfs_state *st = arg;

	for (size_t i = st->len; i-- > 0;) {
		const struct dfs_point *pt = &st->path[i];
		unsigned next = pt->chosen + 1u;

		if (next >= pt->nalts)
			continue;
		if (pt->costly && pt->used + 1 > st->bound)
			continue;
		return set_prefix(st, i, (uint8_t)next);
	}
	return false;
}

void policy_dfs_init(struct xpolicy *p, struct dfs_state *st, unsigned bound)
{
	*st = (struct dfs_state){ .bound = bound, .cur = -1 };
	*p = (struct xpolicy){ dfs_next, dfs_begin, dfs_end, st, NULL };
}

void policy_dfs_fini(struct dfs_state *st)
{
	free(st->path);
	free(st->prefix);
	st->path = NULL;
	st->prefix = NULL;
}
