/*
 * policy_dpor.c - dynamic partial-order reduction: source sets with sleep
 * sets, the "source-DPOR" algorithm (Algorithm 1) of Abdulla, Aronis,
 * Jonsson and Sagonas, "Optimal Dynamic Partial Order Reduction", POPL
 * 2014, run statelessly: every run starts from scratch and replays a
 * prefix of choices, as policy_dfs.c does.  docs/VERIFY.md gives the
 * soundness argument and what is simplified.
 *
 * Events.  One event per decision: a step of thread t (its code from one
 * scheduling point to the next), or a vCPU preemption of t (guest
 * machines only).  Its footprint is the set of shared objects it touched
 * (machine/detsched.h, fed by sched_access()); two events are dependent
 * when they are of the same owner (program order) or their footprints
 * conflict.  A vCPU preemption is dependent with everything: whether it
 * is possible depends on which thread ran last, as in policy_dfs.c.
 * Daemon steps (the RCU thread) are forced by explore.c, never chosen:
 * they are events with a footprint but no choice.
 *
 * Per run: a tree node per event with its enabled actions, backtrack set,
 * done set and sleep set (actions with the footprint of the step they
 * took from this state).  After the run, every race i < j (dependent,
 * different owners, not ordered by happens-before through other events;
 * vector clocks) adds to backtrack(i) an initial of notdep(i).j unless one
 * is there already.  The next run backtracks to the deepest node with a
 * backtrack action neither done nor asleep.
 */
#include <stdlib.h>
#include <string.h>

#include "lab/explore.h"
#include "machine/cpu.h"
#include "machine/internal.h"

#define NO_ACTION 0xff

static uint32_t bit(int a)
{
	return UINT32_C(1) << a;
}

static bool push_sleep(struct dpor_state *st, struct dpor_node *nd, int action,
		       const struct det_footprint *fp)
{
	if (nd->nr_sleep == nd->cap_sleep) {
		size_t cap = nd->cap_sleep ? nd->cap_sleep * 2 : 4;
		struct dpor_sleep *n = realloc(nd->sleep, cap * sizeof(*n));

		if (!n) {
			st->oom = true;
			return false;
		}
		nd->sleep = n;
		nd->cap_sleep = cap;
	}
	nd->sleep[nd->nr_sleep].action = (uint8_t)action;
	nd->sleep[nd->nr_sleep].fp = *fp;
	nd->nr_sleep++;
	nd->sleep_mask |= bit(action);
	return true;
}

static bool grow(struct dpor_state *st, size_t need)
{
	if (need <= st->cap)
		return true;
	size_t cap = st->cap ? st->cap * 2 : 256;

	while (cap < need)
		cap *= 2;
	struct dpor_node *n = realloc(st->node, cap * sizeof(*n));
	struct dpor_event *e;

	if (!n) {
		st->oom = true;
		return false;
	}
	st->node = n;
	e = realloc(st->ev, cap * sizeof(*e));
	if (!e) {
		st->oom = true;
		return false;
	}
	st->ev = e;
	memset(st->node + st->cap, 0, (cap - st->cap) * sizeof(*n));
	st->cap = cap;
	return true;
}

static int owner_of(const struct dpor_state *st, int action)
{
	(void)st;
	return action;	/* run t: t; preempt t: nr + t (a host thread) */
}

/* The actions the policy may choose now (never daemons). */
static uint32_t enabled_now(const struct dpor_state *st,
			    const struct detsched *s)
{
	uint32_t m = 0;

	for (int i = 0; i < s->nr_threads; i++) {
		const struct dthread *t = &s->threads[i];

		if (t->daemon || t->state != DT_RUNNABLE)
			continue;
		m |= bit(i);
		/* Preempt the vCPU of the thread that ran last, once per
		 * thread and run, on guest machines (where it matters). */
		if (t->cpu->machine->cfg.guest && i == st->last_run &&
		    !t->cpu->preempted && !(st->preempted & bit(i)))
			m |= bit(DET_THREADS_MAX + i);
	}
	return m;
}

/* Bring the tree up to the decision about to be made (event ev_len):
 * the previous event's footprint, and this node's sleep set. */
static void sync_node(struct dpor_state *st, const struct detsched *s)
{
	size_t k = st->ev_len;
	struct dpor_node *nd;

	if (st->synced == k + 1 || !grow(st, k + 1))
		return;
	st->synced = k + 1;
	if (k)
		st->ev[k - 1].fp = st->cur;
	if (k < st->path_len)
		return;		/* replayed: the node is already there */
	nd = &st->node[k];
	free(nd->sleep);
	*nd = (struct dpor_node){ .choice = NO_ACTION };
	nd->enabled = enabled_now(st, s);
	if (k) {
		const struct dpor_node *pr = &st->node[k - 1];
		const struct dpor_event *pe = &st->ev[k - 1];

		for (size_t i = 0; i < pr->nr_sleep; i++) {
			const struct dpor_sleep *z = &pr->sleep[i];

			if (z->action == pe->action ||
			    !(nd->enabled & bit(z->action)) ||
			    det_fp_conflict(&z->fp, &pe->fp))
				continue;
			push_sleep(st, nd, z->action, &z->fp);
		}
	}
	st->path_len = k + 1;
}

static int pick_new(const struct dpor_state *st, const struct dpor_node *nd)
{
	uint32_t c = nd->enabled & ~nd->sleep_mask;

	if (!c)
		c = nd->enabled;	/* sleep-set blocked: a redundant run */
	if (st->last_run >= 0 && (c & bit(st->last_run)))
		return st->last_run;	/* fewest context switches first */
	return __builtin_ctz(c);
}

static int dpor_next(void *arg, const struct detsched *s, struct det_decision *d)
{
	struct dpor_state *st = arg;
	size_t k = st->ev_len;
	struct dpor_node *nd;
	int a;

	sync_node(st, s);
	if (st->oom)
		return 1;
	nd = &st->node[k];
	if (nd->choice == NO_ACTION) {
		if (!nd->enabled)
			return 1;
		a = pick_new(st, nd);
		nd->choice = (uint8_t)a;
		nd->done |= bit(a);
		nd->backtrack |= bit(a);
		if (nd->sleep_mask & bit(a))
			st->redundant = true;
	} else {
		a = nd->choice;
		if (!(enabled_now(st, s) & bit(a))) {
			st->diverged = true;	/* the model is not deterministic */
			return 1;
		}
	}
	if (a >= DET_THREADS_MAX)
		*d = (struct det_decision){ DET_PREEMPT, a - DET_THREADS_MAX };
	else
		*d = (struct det_decision){ DET_RUN, a };
	return 0;
}

/* Every decision, chosen or forced (daemons), just before it runs. */
static void dpor_note(void *arg, const struct detsched *s,
		      const struct det_decision *d, bool forced)
{
	struct dpor_state *st = arg;
	size_t k = st->ev_len;
	int a = d->kind == DET_PREEMPT ? DET_THREADS_MAX + d->thread : d->thread;

	sync_node(st, s);
	if (st->oom)
		return;
	if (forced) {
		st->node[k].enabled = 0;
		st->node[k].choice = (uint8_t)a;
	}
	st->node[k].forced = forced;
	st->ev[k] = (struct dpor_event){ .action = (uint8_t)a,
					 .owner = (uint8_t)owner_of(st, a) };
	st->cur = (struct det_footprint){ .all = d->kind == DET_PREEMPT };
	st->ev_len = k + 1;
	if (d->kind == DET_PREEMPT)
		st->preempted |= bit(d->thread);
	else if (!forced)
		st->last_run = d->thread;
}

static void dpor_begin(void *arg, uint64_t iteration)
{
	struct dpor_state *st = arg;

	(void)iteration;
	st->ev_len = 0;
	st->synced = 0;
	st->last_run = -1;
	st->preempted = 0;
	st->redundant = false;
	st->cur = (struct det_footprint){ 0 };
	detsched_set_footprint(&st->cur);
}

/* ---- after a run: races and backtrack points ------------------------- */

#define OWNERS (2 * DET_THREADS_MAX)

static bool hb(const struct dpor_state *st, size_t a, size_t b)
{
	return st->vc[b * OWNERS + st->ev[a].owner] >= st->seq[a];
}

/* The action to add at node i for the race (i, j): an initial of
 * notdep(i).j enabled at i, or -1 when none is (then: all). */
static uint32_t initials(const struct dpor_state *st, size_t i, size_t j)
{
	uint32_t init = 0;

	for (size_t k = i + 1; k <= j; k++) {
		bool first = true;

		if (k < j && hb(st, i, k))
			continue;	/* not in notdep(i) */
		for (size_t q = i + 1; q < k && first; q++)
			if (!hb(st, i, q) && hb(st, q, k))
				first = false;
		if (first)
			init |= bit(st->ev[k].owner);
	}
	return init;
}

static void add_backtrack(struct dpor_state *st, size_t i, size_t j)
{
	struct dpor_node *nd;
	size_t at = i;
	uint32_t init, ok;

	while (at > 0 && st->node[at].forced)
		at--;		/* a daemon step: reverse it at the choice before */
	nd = &st->node[at];
	if (nd->forced || (nd->backtrack & nd->enabled) == nd->enabled)
		return;
	init = initials(st, i, j);
	if (nd->backtrack & init)
		return;
	ok = init & nd->enabled;
	if (ok & ~nd->sleep_mask)
		ok &= ~nd->sleep_mask;
	if (ok)
		nd->backtrack |= bit(__builtin_ctz(ok));
	else
		nd->backtrack |= nd->enabled;	/* conservative */
}

/*
 * Vector clocks over the run (pass 1), then the races (pass 2): scanning
 * back from j, a dependent event of another owner not yet ordered before
 * j through the events already joined is a race with j.
 */
static void scan(struct dpor_state *st, bool races)
{
	size_t n = st->ev_len;
	uint32_t last[OWNERS], cnt[OWNERS] = { 0 }, tmp[OWNERS];
	uint32_t *vc = st->vc, *seq = st->seq;

	for (int o = 0; o < OWNERS; o++)
		last[o] = UINT32_MAX;
	for (size_t j = 0; j < n; j++) {
		uint32_t *c = races ? tmp : &vc[j * OWNERS];
		int oj = st->ev[j].owner;

		if (last[oj] != UINT32_MAX)
			memcpy(c, &vc[last[oj] * OWNERS], OWNERS * sizeof(*c));
		else
			memset(c, 0, OWNERS * sizeof(*c));
		last[oj] = (uint32_t)j;
		if (races && j < st->fresh_from)
			continue;
		for (size_t i = j; i-- > 0;) {
			int oi = st->ev[i].owner;

			if (oi == oj || c[oi] >= seq[i] ||
			    !det_fp_conflict(&st->ev[i].fp, &st->ev[j].fp))
				continue;
			if (races)
				add_backtrack(st, i, j);
			for (int o = 0; o < OWNERS; o++)
				if (vc[i * OWNERS + o] > c[o])
					c[o] = vc[i * OWNERS + o];
		}
		if (!races) {
			seq[j] = ++cnt[oj];
			c[oj] = seq[j];
		}
	}
}

static bool analyse(struct dpor_state *st)
{
	size_t n = st->ev_len;
	uint32_t *vc = realloc(st->vc, n * OWNERS * sizeof(*vc) + 1);
	uint32_t *seq;

	if (vc)
		st->vc = vc;
	seq = realloc(st->seq, n * sizeof(*seq) + 1);
	if (seq)
		st->seq = seq;
	if (!vc || !seq) {
		st->oom = true;
		return false;
	}
	scan(st, false);
	scan(st, true);
	return true;
}

static bool dpor_end(void *arg)
{
	struct dpor_state *st = arg;

	detsched_set_footprint(NULL);
	if (st->ev_len)
		st->ev[st->ev_len - 1].fp = st->cur;
	if (st->oom || st->diverged || !analyse(st))
		return false;
	for (size_t k = st->ev_len; k-- > 0;) {
		struct dpor_node *nd = &st->node[k];
		uint32_t c;

		if (nd->forced)
			continue;
		c = nd->backtrack & ~nd->done & ~nd->sleep_mask & nd->enabled;
		if (!c)
			continue;
		/* What was explored from here sleeps for its siblings. */
		if (!push_sleep(st, nd, nd->choice, &st->ev[k].fp))
			return false;
		nd->choice = (uint8_t)__builtin_ctz(c);
		nd->done |= bit(nd->choice);
		st->path_len = k + 1;
		st->fresh_from = k;
		return true;
	}
	return false;
}

void policy_dpor_init(struct xpolicy *p, struct dpor_state *st)
{
	*st = (struct dpor_state){ .last_run = -1 };
	*p = (struct xpolicy){ dpor_next, dpor_begin, dpor_end, st,
			       .note = dpor_note };
}

void policy_dpor_fini(struct dpor_state *st)
{
	detsched_set_footprint(NULL);
	for (size_t k = 0; k < st->cap; k++)
		free(st->node[k].sleep);
	free(st->node);
	free(st->ev);
	free(st->vc);
	free(st->seq);
	*st = (struct dpor_state){ 0 };
}
