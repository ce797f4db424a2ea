/*
 * explore.c - many runs of one scenario under an exploration policy, and
 * the replay of one (see thpsim/explore.h).
 *
 * Each run is a fresh scenario_run_hooked(): same setup, threads, oracle
 * and teardown as a scripted run, so runs are independent and any of them
 * replays from its decisions alone.  The wrapper policy below runs daemons
 * eagerly (as the script does) and records every decision; a sink folds
 * the run's state changes into a hash, for distinct terminal states.
 */
#include <stdlib.h>
#include <string.h>

#include "lab/explore.h"
#include "lab/scenario.h"
#include "machine/errors.h"
#include "machine/phys.h"

static const char *const policy_names[] = { "random", "pct", "dfs", "dpor" };

const char *thpsim_policy_name(thpsim_policy_t p)
{
	return (unsigned)p < THPSIM_POLICY__NR ? policy_names[p] : "?";
}

int thpsim_policy_parse(const char *name)
{
	for (int i = 0; name && i < THPSIM_POLICY__NR; i++)
		if (!strcmp(name, policy_names[i]))
			return i;
	return -1;
}

void thpsim_explore_config_init(thpsim_explore_config_t *ec)
{
	if (!ec)
		return;
	*ec = (thpsim_explore_config_t){ .policy = THPSIM_POLICY_RANDOM,
					 .iterations = 1000, .seed = 1,
					 .switch_prob = 0.05, .depth = 3,
					 .preemptions = 2 };
	thpsim_run_config_init(&ec->run);
}

/* ---- helpers shared by the policies ---------------------------------- */

uint64_t xrand_next(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

double xrand_unit(uint64_t *state)
{
	return (double)(xrand_next(state) >> 11) * 0x1.0p-53;
}

int xrunnable(const struct detsched *s, int *ids)
{
	int n = 0;

	for (int i = 0; i < s->nr_threads; i++)
		if (!s->threads[i].daemon && s->threads[i].state == DT_RUNNABLE)
			ids[n++] = i;
	return n;
}

/* ---- one exploration run --------------------------------------------- */

/* A set of 64-bit hashes (open addressing; 0 marks an empty slot). */
struct hset {
	uint64_t *v;
	size_t cap, nr;
};

struct explorer {
	struct xpolicy *pol;
	struct schedule rec;		/* this run's decisions */
	size_t rec_cap;
	bool rec_oom;
	uint64_t state;			/* terminal-state hash, incremental */
	struct hset seen;		/* distinct terminal states */
	struct hset viol;		/* distinct violations (account()) */
};

static int wrap_next(void *arg, const struct detsched *s, struct det_decision *d)
{
	struct explorer *x = arg;
	bool daemon = false;

	for (int i = 0; s->nr_runnable_daemons && i < s->nr_threads && !daemon; i++)
		if (s->threads[i].daemon && s->threads[i].state == DT_RUNNABLE) {
			*d = (struct det_decision){ DET_RUN, i };
			daemon = true;
		}
	if (!daemon && x->pol->next(x->pol->st, s, d))
		return 1;
	if (x->pol->note)
		x->pol->note(x->pol->st, s, d, daemon);
	if (schedule_push(&x->rec, &x->rec_cap, d->kind,
			  s->threads[d->thread].name[0]))
		x->rec_oom = true;
	return 0;
}

static uint64_t mix(uint64_t a, uint64_t b, uint64_t c)
{
	uint64_t st = a * 0x100000001b3ull ^ b * 0xff51afd7ed558ccdull ^ c;

	return xrand_next(&st);
}

/*
 * The state a run leaves, folded incrementally: each change adds the new
 * value's hash and subtracts the old one's, so the sum depends only on
 * the final entries, table states, frames and pins, not on the order.
 */
static void state_sink(const thpsim_event_t *ev, void *arg)
{
	struct explorer *x = arg;
	uint64_t key;

	switch (ev->kind) {
	case THPSIM_EV_ENTRY_SET:
		key = ev->pfn << 12 | (uint64_t)ev->idx;
		x->state += mix(1, key, ev->val2) - mix(1, key, ev->val);
		break;
	case THPSIM_EV_TABLE_STATE:
		x->state += mix(2, ev->pfn, (uint64_t)ev->arg) - mix(2, ev->pfn, ev->val);
		break;
	case THPSIM_EV_FRAME_ALLOC:
		x->state += mix(3, ev->pfn, 0);
		break;
	case THPSIM_EV_FRAME_FREE:
		x->state -= mix(3, ev->pfn, 0);
		break;
	case THPSIM_EV_WALK_PIN:
		x->state += mix(4, ev->pfn2, ev->addr);
		break;
	case THPSIM_EV_WALK_UNPIN:
		x->state -= mix(4, ev->pfn2, ev->addr);
		break;
	default:
		break;
	}
}

/* Insert h; true when it was new. */
static bool hset_insert(struct hset *hs, uint64_t h)
{
	size_t i;

	h |= 1;		/* 0 marks an empty slot */
	if (2 * (hs->nr + 1) > hs->cap) {
		size_t cap = hs->cap ? hs->cap * 2 : 1024;
		uint64_t *n = calloc(cap, sizeof(*n)), *old = hs->v;

		if (!n)
			return false;
		for (size_t k = 0; k < hs->cap; k++)
			for (i = old[k] % cap; old[k]; i = (i + 1) % cap)
				if (!n[i]) {
					n[i] = old[k];
					break;
				}
		free(old);
		hs->v = n;
		hs->cap = cap;
	}
	for (i = h % hs->cap; hs->v[i]; i = (i + 1) % hs->cap)
		if (hs->v[i] == h)
			return false;
	hs->v[i] = h;
	hs->nr++;
	return true;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* A set as a sorted array (the hashes as inserted, low bit set). */
static uint64_t *hset_sorted(const struct hset *hs)
{
	uint64_t *v = malloc((hs->nr ? hs->nr : 1) * sizeof(*v));
	size_t n = 0;

	if (!v)
		return NULL;
	for (size_t k = 0; k < hs->cap; k++)
		if (hs->v[k])
			v[n++] = hs->v[k];
	qsort(v, n, sizeof(*v), cmp_u64);
	return v;
}

static uint64_t found_mask(const thpsim_verdict_t *v)
{
	uint64_t m = 0;

	for (int c = 0; c < THPSIM_OUTCOME__NR; c++)
		m |= (uint64_t)v->found[c] << c;
	return m;
}

/*
 * A run's violations, each class's first finding as (class, CPU, address,
 * table or frame, page): what was broken where, without the step numbers
 * that differ between equivalent interleavings.
 */
static void account_violations(struct explorer *x, const thpsim_verdict_t *v)
{
	for (int c = 0; c < THPSIM_OUTCOME__NR; c++) {
		const thpsim_finding_t *f = &v->first[c];

		if (!v->found[c] || !thpsim_outcome_is_violation((thpsim_outcome_t)c))
			continue;
		hset_insert(&x->viol, mix(mix(6, (uint64_t)c, (uint64_t)(int64_t)f->cpu),
					  mix(7, f->addr, f->pfn), f->pfn2));
	}
}

/* A run in which the lab's invariant was broken (thpsim/observe.h). */
static void account_invariant(struct explorer *x,
			      const thpsim_explore_config_t *ec,
			      const thpsim_run_result_t *res,
			      thpsim_explore_result_t *out, uint64_t index)
{
	if (!res->verdict.found[THPSIM_OUTCOME_INVARIANT])
		return;
	out->invariant_runs++;
	if (out->invariant_found)
		return;
	out->invariant_found = true;
	out->invariant_index = index;
	out->invariant_schedule = x->rec_oom ? NULL :
				  schedule_encode(&ec->run, &x->rec);
}

static void account(struct explorer *x, const thpsim_explore_config_t *ec,
		    const thpsim_run_result_t *res, thpsim_explore_result_t *out,
		    uint64_t index)
{
	thpsim_outcome_t o = res->verdict.outcome;

	out->counts[o]++;
	if (res->verdict.nr_unhooked_reads || res->verdict.nr_changed_reads)
		out->exercised++;
	hset_insert(&x->seen, mix(5, x->state, found_mask(&res->verdict)));
	account_violations(x, &res->verdict);
	account_invariant(x, ec, res, out, index);
	if (!thpsim_outcome_is_violation(o))
		return;
	out->violations++;
	if (out->found)
		return;
	out->found = true;
	out->first_outcome = o;
	out->first_index = index;
	out->first_schedule = x->rec_oom ? NULL : schedule_encode(&ec->run, &x->rec);
}

static void policy_for(const thpsim_explore_config_t *ec, struct xpolicy *p,
		       void *st)
{
	switch (ec->policy) {
	case THPSIM_POLICY_PCT:
		policy_pct_init(p, st, ec->seed, ec->depth);
		break;
	case THPSIM_POLICY_DFS:
		policy_dfs_init(p, st, ec->preemptions);
		break;
	case THPSIM_POLICY_DPOR:
		policy_dpor_init(p, st);
		break;
	default:
		policy_random_init(p, st, ec->seed, ec->switch_prob);
		break;
	}
}

static int check_config(const thpsim_explore_config_t *ec)
{
	if ((unsigned)ec->policy >= THPSIM_POLICY__NR)
		return thpsim__err(-THPSIM_EINVAL, "explore: unknown policy %d",
				   (int)ec->policy);
	if (!(ec->switch_prob > 0.0 && ec->switch_prob <= 1.0))
		return thpsim__err(-THPSIM_EINVAL,
				   "explore: switch probability must be in (0, 1]");
	if (ec->depth < 1 || ec->depth > PCT_DEPTH_MAX)
		return thpsim__err(-THPSIM_EINVAL, "explore: depth must be 1..%d",
				   PCT_DEPTH_MAX);
	if (ec->policy != THPSIM_POLICY_DFS && ec->policy != THPSIM_POLICY_DPOR &&
	    !ec->iterations)
		return thpsim__err(-THPSIM_EINVAL,
				   "explore: random and pct need a number of iterations");
	if (ec->shard_n && ec->policy != THPSIM_POLICY_RANDOM)
		return thpsim__err(-THPSIM_EINVAL,
				   "explore: only the random policy can be sharded (pct learns from earlier schedules, dfs walks one tree)");
	if (ec->shard_n && (ec->shard_k < 1 || ec->shard_k > ec->shard_n))
		return thpsim__err(-THPSIM_EINVAL,
				   "explore: shard %llu of %llu: need 1 <= k <= n",
				   (unsigned long long)ec->shard_k,
				   (unsigned long long)ec->shard_n);
	return 0;
}

/*
 * One schedule: from the session's snapshot (opened at the first), or a
 * fresh run where fast restarts are off (THPSIM_NO_FASTPATH) or cannot
 * be had.
 */
static int explore_run_one(const thpsim_run_config_t *rc,
			   const struct scenario_hooks *h, bool fast,
			   struct scenario_session **ss, thpsim_run_result_t *res)
{
	int err;

	if (!fast)
		return scenario_run_hooked(rc, h, res);
	if (!*ss) {
		memset(res, 0, sizeof(*res));
		err = scenario_session_open(rc, h, ss);
		if (err)
			return err;
	}
	return scenario_session_run(*ss, res);
}

static int explore_loop(const thpsim_explore_config_t *ec, struct explorer *x,
			thpsim_explore_result_t *out)
{
	struct det_policy wrap = { "explore", wrap_next, x };
	struct scenario_hooks h = { &wrap, state_sink, x, true };
	thpsim_run_config_t rc = ec->run;
	struct scenario_session *ss = NULL;
	/* A lab's observers and invariant see every phase of every schedule
	 * (thpsim/observe.h: SETUP's events too, begin() before each run);
	 * a session runs the setup once, so they get fresh runs. */
	bool fast = thpsim__fastpath() && scenario_session_supported() &&
		    !rc.on_event && !rc.on_phase && !rc.invariant;
	int err = 0;

	rc.timeline = false;
	rc.trace = false;
	for (uint64_t i = 0; !ec->iterations || i < ec->iterations; i++) {
		thpsim_run_result_t res;

		if (ec->stop && *ec->stop) {
			out->interrupted = true;
			break;
		}
		if (ec->shard_n && i % ec->shard_n != ec->shard_k - 1)
			continue;
		x->pol->begin(x->pol->st, i);
		x->rec.nr_tok = 0;
		x->rec_oom = false;
		x->state = 0;
		err = explore_run_one(&rc, &h, fast, &ss, &res);
		if (err)
			break;
		account(x, ec, &res, out, i);
		thpsim_run_result_fini(&res);
		out->schedules++;
		if (ec->progress) {
			out->distinct_states = x->seen.nr;
			ec->progress(out, ec->progress_arg);
		}
		if (!x->pol->end(x->pol->st)) {
			out->exhausted = ec->policy == THPSIM_POLICY_DFS ||
					 ec->policy == THPSIM_POLICY_DPOR;
			break;
		}
	}
	scenario_session_close(ss);
	return err;
}

int thpsim_explore(const thpsim_explore_config_t *ec,
		   thpsim_explore_result_t *out)
{
	union {
		struct random_state r;
		struct pct_state p;
		struct dfs_state d;
		struct dpor_state o;
	} st;
	struct xpolicy pol;
	struct explorer x = { .pol = &pol };
	int err;

	if (!out)
		return thpsim__err(-THPSIM_EINVAL, "explore: out is NULL (need a place for the result)");
	memset(out, 0, sizeof(*out));
	if (!ec)
		return thpsim__err(-THPSIM_EINVAL, "explore: configuration is NULL");
	err = check_config(ec);
	if (err)
		return err;
	policy_for(ec, &pol, &st);
	err = explore_loop(ec, &x, out);
	out->distinct_states = x.seen.nr;
	out->distinct_violations = x.viol.nr;
	/* Only for a result the caller will fini: an error leaves nothing
	 * of ours to free (a misconfigured run never reaches the loop). */
	out->state_hashes = err ? NULL : hset_sorted(&x.seen);
	out->violation_hashes = err ? NULL : hset_sorted(&x.viol);
	if (ec->policy == THPSIM_POLICY_DFS) {
		if (st.d.oom && !err)
			err = thpsim__err(-THPSIM_ENOMEM, "explore: out of memory");
		policy_dfs_fini(&st.d);
	}
	if (ec->policy == THPSIM_POLICY_DPOR) {
		if ((st.o.oom || st.o.diverged) && !err)
			err = thpsim__err(st.o.oom ? -THPSIM_ENOMEM : -THPSIM_EINTERNAL,
					  st.o.oom ? "explore: out of memory" :
					  "dpor: a replayed prefix took another path (the model is not deterministic)");
		policy_dpor_fini(&st.o);
	}
	schedule_fini(&x.rec);
	free(x.seen.v);
	free(x.viol.v);
	return err;
}

void thpsim_explore_result_fini(thpsim_explore_result_t *r)
{
	if (!r)
		return;
	free(r->first_schedule);
	r->first_schedule = NULL;
	free(r->invariant_schedule);
	r->invariant_schedule = NULL;
	free(r->state_hashes);
	r->state_hashes = NULL;
	free(r->violation_hashes);
	r->violation_hashes = NULL;
}

/* ---- replay ---------------------------------------------------------- */

int thpsim_replay(const thpsim_run_config_t *rc, const char *s,
		  thpsim_run_result_t *out)
{
	struct schedule sc;
	struct replay_state st;
	struct det_policy p;
	struct scenario_hooks h = { &p, NULL, NULL, false };
	int err;

	if (!out)
		return thpsim__err(-THPSIM_EINVAL, "replay: out is NULL (need a place for the result)");
	memset(out, 0, sizeof(*out));
	err = schedule_decode(rc, s, &sc);
	if (err)
		return err;
	policy_replay_init(&p, &st, &sc);
	err = scenario_run_hooked(rc, &h, out);
	if (st.error[0] || (!err && !policy_replay_finished(&st))) {
		/* Say how the run ended anyway (the rest ran as the script's
		 * run-out): a string printed by an older model tells the user
		 * whether the interleaving it recorded is still possible. */
		const char *how = err ? "" :
			thpsim_outcome_name(out->verdict.outcome);

		thpsim_run_result_fini(out);
		err = thpsim__err(-THPSIM_EINVAL,
				  "schedule does not fit this run: %s%s%s",
				  st.error[0] ? st.error :
				  "the run ended before the schedule did",
				  *how ? "; the run went on without it and ended " : "",
				  how);
	}
	schedule_fini(&sc);
	return err;
}
