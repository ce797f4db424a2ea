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
 * conflict.  A vCPU preemption of t (the host descheduling it, once per
 * thread and run) is possible whenever t is runnable and its vCPU runs,
 * as on a real host, and its footprint is t's vCPU state: every step of
 * t reads it (a preemption before a step or after it are different
 * states), as does whatever looks at preempted vCPUs (IPI delivery, the
 * PV TLB flush, grace periods); t's resume writes it.  Offering it only
 * after t's own step, as policy_dfs.c does, would make it disabled by
 * every other thread's step, and a preemption never taken then races
 * with nothing and is never explored: DPOR missed S3's BENIGN-ABA on
 * x86-kvm-pv that way (tests/lab/test_dpor.c, guest cells).
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

/* *d = *s, but only the keys in use (a footprint is 48 slots, a step
 * usually touches a few). */
static void fp_copy(struct det_footprint *d, const struct det_footprint *s)
{
	d->n = s->n;
	d->all = s->all;
	memcpy(d->key, s->key, s->n * sizeof(s->key[0]));
	memcpy(d->write, s->write, s->n * sizeof(s->write[0]));
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
	fp_copy(&nd->sleep[nd->nr_sleep].fp, fp);
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
		/* Preempt t's vCPU, once per thread and run, on guest
		 * machines (where it matters). */
		if (t->cpu->machine->cfg.guest &&
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
		fp_copy(&st->ev[k - 1].fp, &st->cur);
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
	/* ev[k].fp is filled from cur when the next decision comes. */
	st->ev[k].action = (uint8_t)a;
	st->ev[k].owner = (uint8_t)owner_of(st, a);
	st->ev[k].fp.n = 0;
	st->ev[k].fp.all = false;
	st->cur.n = 0;
	st->cur.all = false;
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
	st->cur.n = 0;
	st->cur.all = false;
	detsched_set_footprint(&st->cur);
}

/* ---- after a run: races and backtrack points ------------------------- */

#define OWNERS (2 * DET_THREADS_MAX)

static bool hb(const struct dpor_state *st, size_t a, size_t b)
{
	return st->vc[b * OWNERS + st->ev[a].owner] >= st->seq[a];
}

/*
 * The action to add at node i for the race (i, j): an initial of
 * notdep(i).j enabled at i, or -1 when none is (then: all).  k is an
 * initial when no event q of notdep(i) before it happens before it; for
 * each owner the earliest such q is the one to test (its sequence number
 * is the smallest), so one pass over (i, j] with a per-owner minimum
 * does it, instead of a pass per k.
 */
static uint32_t initials(const struct dpor_state *st, size_t i, size_t j)
{
	uint32_t init = 0, minseq[OWNERS];

	for (int o = 0; o < OWNERS; o++)
		minseq[o] = UINT32_MAX;
	for (size_t k = i + 1; k <= j; k++) {
		const uint32_t *vk = &st->vc[k * OWNERS];
		int ok = st->ev[k].owner;
		bool first = true;

		if (k < j && hb(st, i, k))
			continue;	/* not in notdep(i) */
		for (int o = 0; o < OWNERS && first; o++)
			if (minseq[o] != UINT32_MAX && vk[o] >= minseq[o])
				first = false;
		if (first)
			init |= bit(ok);
		if (k < j && st->seq[k] < minseq[ok])
			minseq[ok] = st->seq[k];
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

/* ---- the access history: each event's dependent predecessors ---------- */

/*
 * Per shared object, the accesses a new event can depend on: the last
 * write, and per owner the last read since it.  Earlier accesses need not
 * be kept: an earlier write happens before the last one (they conflict),
 * an earlier read before the write after it or before its owner's later
 * read, so every dependent predecessor of a new event happens before one
 * of the candidates this gives, and joining the candidates' clocks (or
 * testing them as races, latest first) gives what a scan over every
 * earlier event gave, in O(footprint x owners) instead of O(events).
 */
struct dpor_hist {
	uint64_t key;
	uint32_t gen;			/* the slot is in use when == st->hgen */
	uint32_t last_w;		/* event index + 1; 0: none */
	uint32_t rmask;			/* owners with a read since last_w */
	uint32_t rd[OWNERS];		/* their last read (event index) */
};

static uint64_t mix(uint64_t k)
{
	k ^= k >> 33;
	k *= UINT64_C(0xff51afd7ed558ccd);
	k ^= k >> 33;
	return k;
}

/* Room for this run's keys (at most the sum of its footprints' sizes),
 * at most half full; slots of older runs are told apart by generation. */
static bool hist_reset(struct dpor_state *st)
{
	size_t keys = 0, cap = 64;

	for (size_t j = 0; j < st->ev_len; j++)
		keys += st->ev[j].fp.n;
	while (cap < 2 * keys)
		cap *= 2;
	if (cap > st->hcap) {
		struct dpor_hist *h = calloc(cap, sizeof(*h));

		if (!h)
			return false;
		free(st->hist);
		st->hist = h;
		st->hcap = cap;
		st->hgen = 0;
	}
	if (++st->hgen == 0) {
		memset(st->hist, 0, st->hcap * sizeof(*st->hist));
		st->hgen = 1;
	}
	return true;
}

static struct dpor_hist *hist_get(struct dpor_state *st, uint64_t key)
{
	size_t mask = st->hcap - 1, at = mix(key) & mask;

	for (;; at = (at + 1) & mask) {
		struct dpor_hist *h = &st->hist[at];

		if (h->gen != st->hgen) {
			h->gen = st->hgen;
			h->key = key;
			h->last_w = 0;
			h->rmask = 0;
			return h;
		}
		if (h->key == key)
			return h;
	}
}

/* Event j's candidates (see struct dpor_hist), latest first, without
 * duplicates or events of j's own owner. */
static size_t candidates(struct dpor_state *st, size_t j, const uint32_t *last,
			 uint32_t *out)
{
	const struct dpor_event *e = &st->ev[j];
	size_t n = 0, w = 0;

	if (e->fp.all) {
		/* Dependent with everything: each owner's last event. */
		for (int o = 0; o < OWNERS; o++)
			if (o != e->owner && last[o] != UINT32_MAX)
				out[n++] = last[o];
	} else {
		if (st->last_all && st->ev[st->last_all - 1].owner != e->owner)
			out[n++] = st->last_all - 1;
		for (unsigned k = 0; k < e->fp.n; k++) {
			struct dpor_hist *h = hist_get(st, e->fp.key[k]);

			if (h->last_w)
				out[n++] = h->last_w - 1;
			if (!e->fp.write[k])
				continue;
			for (uint32_t m = h->rmask; m; m &= m - 1)
				out[n++] = h->rd[__builtin_ctz(m)];
		}
	}
	/* Sort descending (small n: insertion), drop duplicates and j's own. */
	for (size_t a = 1; a < n; a++) {
		uint32_t v = out[a];
		size_t b = a;

		for (; b > 0 && out[b - 1] < v; b--)
			out[b] = out[b - 1];
		out[b] = v;
	}
	for (size_t a = 0; a < n; a++)
		if ((!w || out[w - 1] != out[a]) &&
		    st->ev[out[a]].owner != e->owner)
			out[w++] = out[a];
	return w;
}

/* After event j: its accesses become the history. */
static void hist_note(struct dpor_state *st, size_t j)
{
	const struct dpor_event *e = &st->ev[j];

	if (e->fp.all) {
		st->last_all = (uint32_t)j + 1;
		return;
	}
	for (unsigned k = 0; k < e->fp.n; k++) {
		struct dpor_hist *h = hist_get(st, e->fp.key[k]);

		if (e->fp.write[k]) {
			h->last_w = (uint32_t)j + 1;
			h->rmask = 0;
		} else {
			h->rmask |= bit(e->owner);
			h->rd[e->owner] = (uint32_t)j;
		}
	}
}

#define CAND_MAX (OWNERS + 1 + DET_FP_MAX * (1 + OWNERS))

/*
 * One pass over the run: for each event j, its vector clock (program
 * order joined with its dependent predecessors), then, from fresh_from on
 * (the events of the branch just explored), its races: scanning its
 * candidates latest first, one of another owner not yet ordered before j
 * through the program order or the candidates already joined.
 */
static void scan(struct dpor_state *st)
{
	size_t n = st->ev_len;
	uint32_t last[OWNERS], cnt[OWNERS] = { 0 }, c[OWNERS];
	uint32_t cand[CAND_MAX];
	uint32_t *vc = st->vc, *seq = st->seq;

	for (int o = 0; o < OWNERS; o++)
		last[o] = UINT32_MAX;
	st->last_all = 0;
	for (size_t j = 0; j < n; j++) {
		uint32_t *vj = &vc[j * OWNERS];
		int oj = st->ev[j].owner;
		size_t nc;

		if (j < st->fresh_from) {
			/* The prefix this run replayed: the same events as in
			 * the last run, so vc[j] is still the last scan's (a
			 * clock depends on earlier events only).  Only the
			 * history is rebuilt, for the events after it. */
			seq[j] = ++cnt[oj];
			last[oj] = (uint32_t)j;
			hist_note(st, j);
			continue;
		}
		nc = candidates(st, j, last, cand);
		if (last[oj] != UINT32_MAX)
			memcpy(vj, &vc[last[oj] * OWNERS], OWNERS * sizeof(*vj));
		else
			memset(vj, 0, OWNERS * sizeof(*vj));
		memcpy(c, vj, sizeof(c));
		for (size_t x = 0; x < nc; x++) {
			const uint32_t *vi = &vc[cand[x] * OWNERS];

			for (int o = 0; o < OWNERS; o++)
				if (vi[o] > vj[o])
					vj[o] = vi[o];
		}
		seq[j] = ++cnt[oj];
		vj[oj] = seq[j];
		last[oj] = (uint32_t)j;
		for (size_t x = 0; x < nc; x++) {	/* its races */
			size_t i = cand[x];
			const uint32_t *vi = &vc[i * OWNERS];

			if (c[st->ev[i].owner] >= seq[i])
				continue;
			add_backtrack(st, i, j);
			for (int o = 0; o < OWNERS; o++)
				if (vi[o] > c[o])
					c[o] = vi[o];
		}
		hist_note(st, j);
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
	if (!vc || !seq || !hist_reset(st)) {
		st->oom = true;
		return false;
	}
	scan(st);
	return true;
}

static bool dpor_end(void *arg)
{
	struct dpor_state *st = arg;

	detsched_set_footprint(NULL);
	if (st->ev_len)
		fp_copy(&st->ev[st->ev_len - 1].fp, &st->cur);
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
	free(st->hist);
	*st = (struct dpor_state){ 0 };
}
