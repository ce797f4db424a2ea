/*
 * policy_pct.c - PCT, probabilistic concurrency testing (Burckhardt,
 * Kothari, Musuvathi, Nagarakatte, ASPLOS 2010), over the deterministic
 * scheduler's choices.
 *
 * Each run gives the threads random distinct priorities depth .. depth+n-1
 * and draws depth - 1 change points among the run's first k steps (k: the
 * longest run seen so far).  The highest-priority runnable thread runs;
 * at the i-th change point the running thread drops to priority i - 1,
 * below every initial one, and half the time its vCPU is preempted too.
 * A bug of depth d is found with probability at least 1 / (n k^(d-1)).
 */
#include "lab/explore.h"

static int highest(const struct pct_state *st, const int *ids, int n)
{
	int best = ids[0];

	for (int i = 1; i < n; i++)
		if (st->prio[ids[i]] > st->prio[best])
			best = ids[i];
	return best;
}

/* The change point hit by this step, or -1. */
static int change_at(const struct pct_state *st)
{
	for (unsigned i = 0; i + 1 < st->depth; i++)
		if (st->change[i] == st->steps)
			return (int)i;
	return -1;
}

static int pct_next(void *arg, const struct detsched *s, struct det_decision *d)
{
	struct pct_state *st = arg;
	int ids[DET_THREADS_MAX], n = xrunnable(s, ids), c;

	if (!n)
		return 1;
	if (st->must_switch) {
		st->must_switch = false;
	} else {
		st->steps++;
		c = change_at(st);
		if (c >= 0 && st->cur >= 0) {
			st->prio[st->cur] = c;
			if (xis_runnable(s, st->cur) && n > 1 &&
			    xrand_unit(&st->rng) < 0.5) {
				st->must_switch = true;
				*d = (struct det_decision){ DET_PREEMPT, st->cur };
				return 0;
			}
		}
	}
	st->cur = highest(st, ids, n);
	*d = (struct det_decision){ DET_RUN, st->cur };
	return 0;
}

static void pct_begin(void *arg, uint64_t iteration)
{
	struct pct_state *st = arg;
	uint64_t mix = st->seed ^ (iteration * 0x9e3779b97f4a7c15ull);
	int perm[DET_THREADS_MAX];

	st->rng = xrand_next(&mix);
	for (int i = 0; i < DET_THREADS_MAX; i++)
		perm[i] = i;
	for (int i = DET_THREADS_MAX - 1; i > 0; i--) {	/* Fisher-Yates */
		int j = (int)(xrand_next(&st->rng) % (uint64_t)(i + 1));
		int t = perm[i];

		perm[i] = perm[j];
		perm[j] = t;
	}
	for (int i = 0; i < DET_THREADS_MAX; i++)
		st->prio[i] = (int)st->depth + perm[i];
	for (unsigned i = 0; i + 1 < st->depth; i++)
		st->change[i] = 1 + xrand_next(&st->rng) % st->est_steps;
	st->steps = 0;
	st->cur = -1;
	st->must_switch = false;
}

static bool pct_end(void *arg)
{
	struct pct_state *st = arg;

	if (st->steps > st->est_steps)
		st->est_steps = st->steps;
	return true;
}

void policy_pct_init(struct xpolicy *p, struct pct_state *st, uint64_t seed,
		     unsigned depth)
{
	*st = (struct pct_state){ .seed = seed, .est_steps = 64, .cur = -1,
				  .depth = depth < 1 ? 1 :
					   depth > PCT_DEPTH_MAX ? PCT_DEPTH_MAX : depth };
	*p = (struct xpolicy){ pct_next, pct_begin, pct_end, st, NULL };
}
