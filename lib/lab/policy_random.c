/*
 * policy_random.c - the seeded random policy (see thpsim/explore.h).
 *
 * Uniform switching at every point almost never produces the long stall a
 * race needs (a walker parked inside its IRQ-off section while a whole
 * collapse runs), so the current thread keeps running and a switch happens
 * with probability switch_prob only.  Half the switches away from a
 * runnable thread also preempt its vCPU (the host descheduling it), the
 * other half merely run someone else.
 */
#include "lab/explore.h"

static int pick_other(struct random_state *st, const int *ids, int n)
{
	int others[DET_THREADS_MAX], m = 0;

	for (int i = 0; i < n; i++)
		if (ids[i] != st->cur)
			others[m++] = ids[i];
	if (!m)
		return st->cur;
	return others[xrand_next(&st->rng) % (uint64_t)m];
}

static int random_next(void *arg, const struct detsched *s,
		       struct det_decision *d)
{
	struct random_state *st = arg;
	int ids[DET_THREADS_MAX], n = xnr_runnable(s);
	bool cur_ok = st->cur >= 0 && xis_runnable(s, st->cur);

	if (!n)
		return 1;
	/* Most points: the current thread goes on (the same draws as
	 * below, without listing the runnable threads). */
	if (!st->must_switch && cur_ok &&
	    (n == 1 || xrand_unit(&st->rng) >= st->switch_prob)) {
		*d = (struct det_decision){ DET_RUN, st->cur };
		return 0;
	}
	xrunnable(s, ids);
	if (st->must_switch || cur_ok) {	/* (cur_ok: the draw said switch) */
		if (!st->must_switch && xrand_unit(&st->rng) < 0.5) {
			st->must_switch = true;
			*d = (struct det_decision){ DET_PREEMPT, st->cur };
			return 0;
		}
		st->must_switch = false;
		st->cur = pick_other(st, ids, n);
	} else {			/* cur is done or blocked */
		st->cur = ids[xrand_next(&st->rng) % (uint64_t)n];
	}
	*d = (struct det_decision){ DET_RUN, st->cur };
	return 0;
}

static void random_begin(void *arg, uint64_t iteration)
{
	struct random_state *st = arg;
	uint64_t mix = st->seed ^ (iteration * 0x9e3779b97f4a7c15ull);

	st->rng = xrand_next(&mix);
	st->cur = -1;
	st->must_switch = false;
}

static bool random_end(void *arg)
{
	(void)arg;
	return true;
}

void policy_random_init(struct xpolicy *p, struct random_state *st,
			uint64_t seed, double switch_prob)
{
	*st = (struct random_state){ .seed = seed, .switch_prob = switch_prob,
				     .cur = -1 };
	*p = (struct xpolicy){ random_next, random_begin, random_end, st, NULL };
}
