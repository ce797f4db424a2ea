/*
 * test_dpor.c - partial-order reduction is tested, not assumed
 * (docs/VERIFY.md):
 *   - on 2x4 cells whose exhaustive DPOR finishes in seconds, the
 *     outcome classes and the distinct violations (class and where it
 *     was judged) DPOR finds equal those bounded DFS finds once DFS has
 *     stopped finding new ones (bounds 1 and 2), and contain them on
 *     guest machines, where DPOR may preempt any vCPU;
 *   - every violation DPOR reports replays, with thpsim_replay, to the
 *     same outcome;
 *   - two adjacent steps DPOR calls independent commute: both orders
 *     leave the same entries, table states, frames, pins and verdict,
 *     among them pairs only the per-entry, per-walk and split-PTL keys
 *     make independent.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "thpsim/thpsim.h"
#include "lab/explore.h"
#include "lab/scenario.h"
#include "machine/detsched.h"
#include "machine/sched.h"

static void config(thpsim_explore_config_t *ec, const char *scenario,
		   const char *profile, const char *fix, thpsim_policy_t policy)
{
	thpsim_explore_config_init(ec);
	ec->run.scenario = scenario;
	ec->run.profile = profile;
	ec->run.fix = fix;
	thpsim_geometry_parse("2x4", &ec->run.geometry);
	ec->policy = policy;
	ec->iterations = 0;
}

static uint32_t classes(const thpsim_explore_result_t *xr)
{
	uint32_t m = 0;

	for (int c = 0; c < THPSIM_OUTCOME__NR; c++)
		if (xr->counts[c])
			m |= 1u << c;
	return m;
}

static void names(uint32_t m, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = 0;
	for (int c = 0; c < THPSIM_OUTCOME__NR && off < len; c++)
		if (m & (1u << c))
			off += (size_t)snprintf(buf + off, len - off, "%s ",
						thpsim_outcome_name((thpsim_outcome_t)c));
}

struct cell {
	const char *scenario, *profile, *fix;
};

/* Sorted sets of violation hashes (thpsim_explore_result_t): a <= b. */
static bool vsubset(const thpsim_explore_result_t *a,
		    const thpsim_explore_result_t *b)
{
	size_t j = 0;

	cr_assert(!a->distinct_violations || a->violation_hashes);
	cr_assert(!b->distinct_violations || b->violation_hashes);
	for (size_t i = 0; i < a->distinct_violations; i++) {
		while (j < b->distinct_violations &&
		       b->violation_hashes[j] < a->violation_hashes[i])
			j++;
		if (j == b->distinct_violations ||
		    b->violation_hashes[j] != a->violation_hashes[i])
			return false;
	}
	return true;
}

static bool vequal(const thpsim_explore_result_t *a,
		   const thpsim_explore_result_t *b)
{
	return a->distinct_violations == b->distinct_violations &&
	       vsubset(a, b);
}

/* Cells whose exhaustive DPOR ends in seconds at 2x4 (docs/VERIFY.md). */
static const struct cell cells[] = {
	{ "S3", "x86", "none" },	{ "S3", "ppc64-radix", "none" },
	{ "S4", "x86", "none" },	{ "S4", "arm64", "ipi-sync" },
	{ "S10", "x86", "none" },	{ "S10", "arm64", "none" },
	{ "S12", "x86", "none" },	{ "S12", "arm64", "fresh-table" },
	{ "S13", "x86", "pte-free-defer" }, { "S13", "arm64", "none" },
	/* Where the script is safe and another interleaving breaks. */
	{ "S4", "broadcast-norcu", "fresh-table" },
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
	/* 10^5 classes and more: minutes under a sanitizer (whose builds
	 * run every schedule fresh), seconds in the default build. */
	{ "S1", "arm64", "none" }, { "S6", "broadcast-norcu", "fresh-table" },
#endif
};

/* DFS with bound 2, then DPOR, of ec's cell (ec set up for DFS). */
static void dfs2_then_dpor(thpsim_explore_config_t *ec,
			   thpsim_explore_result_t *d2,
			   thpsim_explore_result_t *dp)
{
	ec->policy = THPSIM_POLICY_DFS;
	ec->preemptions = 2;
	cr_assert_eq(thpsim_explore(ec, d2), 0, "%s", thpsim_errmsg());
	ec->policy = THPSIM_POLICY_DPOR;
	cr_assert_eq(thpsim_explore(ec, dp), 0, "%s", thpsim_errmsg());
	cr_assert(dp->exhausted);
}

/* DPOR covers what bounded DFS found: its outcomes, and each violation
 * where it was judged.  a, b: the two outcome lists, for messages. */
static void expect_covers(const struct cell *c,
			  const thpsim_explore_result_t *d2,
			  const thpsim_explore_result_t *dp,
			  const char *a, const char *b)
{
	cr_expect_eq(classes(d2) & ~classes(dp), 0,
		     "%s %s %s: DFS found outcomes DPOR missed (dfs %s, dpor %s)",
		     c->scenario, c->profile, c->fix, a, b);
	cr_expect(vsubset(d2, dp), "%s %s %s: DFS found violations DPOR missed",
		  c->scenario, c->profile, c->fix);
}

static void check_replay(const thpsim_explore_config_t *ec,
			 const thpsim_explore_result_t *xr)
{
	thpsim_run_result_t res;

	if (!xr->found)
		return;
	cr_assert_not_null(xr->first_schedule);
	cr_assert_eq(thpsim_replay(&ec->run, xr->first_schedule, &res), 0,
		     "%s", thpsim_errmsg());
	cr_expect_eq(res.verdict.outcome, xr->first_outcome,
		     "%s %s %s: replay of %s gave %s, DPOR saw %s",
		     ec->run.scenario, ec->run.profile, ec->run.fix,
		     xr->first_schedule, thpsim_outcome_name(res.verdict.outcome),
		     thpsim_outcome_name(xr->first_outcome));
	thpsim_run_result_fini(&res);
}

Test(dpor, equals_saturated_dfs_and_replays, .timeout = 300)
{
	for (size_t i = 0; i < sizeof(cells) / sizeof(cells[0]); i++) {
		const struct cell *c = &cells[i];
		thpsim_explore_config_t ec;
		thpsim_explore_result_t d1, d2, dp;
		char a[128], b[128];

		config(&ec, c->scenario, c->profile, c->fix, THPSIM_POLICY_DFS);
		ec.preemptions = 1;
		cr_assert_eq(thpsim_explore(&ec, &d1), 0, "%s", thpsim_errmsg());
		dfs2_then_dpor(&ec, &d2, &dp);
		names(classes(&d2), a, sizeof(a));
		names(classes(&dp), b, sizeof(b));
		printf("%-4s %-12s %-15s dfs(1) %6llu dfs(2) %6llu dpor %6llu schedules; dfs(2): %s; dpor: %s; violations dfs(2) %llu dpor %llu\n",
		       c->scenario, c->profile, c->fix,
		       (unsigned long long)d1.schedules,
		       (unsigned long long)d2.schedules,
		       (unsigned long long)dp.schedules, a, b,
		       (unsigned long long)d2.distinct_violations,
		       (unsigned long long)dp.distinct_violations);
		expect_covers(c, &d2, &dp, a, b);
		/* Where DFS saturated (bound 2 found nothing bound 1 had not),
		 * DPOR finds nothing more either. */
		if (classes(&d1) == classes(&d2) && vequal(&d1, &d2)) {
			cr_expect_eq(classes(&dp), classes(&d2),
				     "%s %s %s: dfs %s, dpor %s", c->scenario,
				     c->profile, c->fix, a, b);
			cr_expect(vequal(&dp, &d2),
				  "%s %s %s: dfs(2) %llu violations, dpor %llu",
				  c->scenario, c->profile, c->fix,
				  (unsigned long long)d2.distinct_violations,
				  (unsigned long long)dp.distinct_violations);
		}
		cr_expect_eq(dp.found, d2.found);
		check_replay(&ec, &dp);
		thpsim_explore_result_fini(&d1);
		thpsim_explore_result_fini(&d2);
		thpsim_explore_result_fini(&dp);
	}
}

/*
 * Guest machines: DPOR lets the host preempt any running vCPU at any
 * point (once per thread), bounded DFS only the vCPU of the thread that
 * ran last, so DPOR's outcomes must include DFS's.  A preemption offered
 * only after its own thread's step, as DFS does, was never explored by
 * DPOR: it missed S3's and S4's BENIGN-ABA here.
 */
Test(dpor, covers_dfs_on_guest, .timeout = 300)
{
	static const struct cell guest[] = {
		{ "S12", "x86-kvm-pv", "none" },
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
		/* 10^5 classes each: three minutes under ASan. */
		{ "S3", "x86-kvm-pv", "none" }, { "S4", "x86-kvm-pv", "none" },
#endif
	};

	for (size_t i = 0; i < sizeof(guest) / sizeof(guest[0]); i++) {
		const struct cell *c = &guest[i];
		thpsim_explore_config_t ec;
		thpsim_explore_result_t d2, dp;
		char a[128], b[128];

		config(&ec, c->scenario, c->profile, c->fix, THPSIM_POLICY_DFS);
		dfs2_then_dpor(&ec, &d2, &dp);
		names(classes(&d2), a, sizeof(a));
		names(classes(&dp), b, sizeof(b));
		printf("%-4s %-12s %-15s dfs(2) %6llu dpor %6llu schedules; dfs(2): %s; dpor: %s\n",
		       c->scenario, c->profile, c->fix,
		       (unsigned long long)d2.schedules,
		       (unsigned long long)dp.schedules, a, b);
		expect_covers(c, &d2, &dp, a, b);
		check_replay(&ec, &dp);
		thpsim_explore_result_fini(&d2);
		thpsim_explore_result_fini(&dp);
	}
}

/* ---- commute: two independent steps in both orders ------------------- */

#define MAXDEC 4096

struct rec {
	struct det_decision dec[MAXDEC];
	struct det_footprint fp[MAXDEC];
	bool forced[MAXDEC];
	size_t n;
	const struct det_decision *prefix;	/* replay these first */
	size_t prefix_len;
	struct det_footprint cur;
	uint64_t digest;
	uint32_t found;		/* the verdict's classes */
	int last;
};

/* Daemons first (as explore.c does), then the prefix, then round robin
 * (a switch at every step: many adjacent pairs of different threads);
 * every step's footprint recorded. */
static int rec_next(void *arg, const struct detsched *s, struct det_decision *d)
{
	struct rec *r = arg;
	int ids[DET_THREADS_MAX];
	bool forced = false;

	if (r->n)
		r->fp[r->n - 1] = r->cur;
	if (r->n >= MAXDEC)
		return 1;
	for (int i = 0; i < s->nr_threads && !forced; i++)
		if (s->threads[i].daemon && s->threads[i].state == DT_RUNNABLE) {
			*d = (struct det_decision){ DET_RUN, i };
			forced = true;
		}
	if (!forced) {
		size_t chosen = 0;

		for (size_t k = 0; k < r->n; k++)
			chosen += !r->forced[k];
		if (chosen < r->prefix_len)
			*d = r->prefix[chosen];
		else {
			int n = xrunnable(s, ids), pick = 0;

			if (!n)
				return 1;
			for (int q = 0; q < n; q++)
				if (ids[q] > r->last) {
					pick = q;
					break;
				}
			*d = (struct det_decision){ DET_RUN, ids[pick] };
		}
		r->last = d->thread;
		if (!xis_runnable(s, d->thread))
			return 1;
	}
	r->forced[r->n] = forced;
	r->dec[r->n++] = *d;
	r->cur = (struct det_footprint){ 0 };
	return 0;
}

static uint64_t mix(uint64_t a, uint64_t b, uint64_t c)
{
	uint64_t z = a * 0x9e3779b97f4a7c15ull ^ b * 0xbf58476d1ce4e5b9ull ^ c;

	z = (z ^ (z >> 31)) * 0x94d049bb133111ebull;
	return z ^ (z >> 29);
}

/* The final state, order-independent: entries, table states, frames,
 * pins (each change adds the new value and takes out the old). */
static void digest_sink(const thpsim_event_t *ev, void *arg)
{
	struct rec *r = arg;
	uint64_t key = ev->pfn << 12 | (uint64_t)ev->idx;

	switch (ev->kind) {
	case THPSIM_EV_ENTRY_SET:
		r->digest += mix(1, key, ev->val2) - mix(1, key, ev->val);
		break;
	case THPSIM_EV_TABLE_STATE:
		r->digest += mix(2, ev->pfn, (uint64_t)ev->arg) - mix(2, ev->pfn, ev->val);
		break;
	case THPSIM_EV_FRAME_ALLOC:
		r->digest += mix(3, ev->pfn, ev->gen);
		break;
	case THPSIM_EV_FRAME_FREE:
		r->digest += mix(5, ev->pfn, 0);
		break;
	case THPSIM_EV_WALK_PIN:
		r->digest += mix(4, ev->pfn2, ev->addr);
		break;
	case THPSIM_EV_WALK_UNPIN:
		r->digest -= mix(4, ev->pfn2, ev->addr);
		break;
	default:
		break;
	}
}

static thpsim_outcome_t run_rec(const thpsim_run_config_t *rc, struct rec *r)
{
	struct det_policy p = { "rec", rec_next, r };
	struct scenario_hooks h = { &p, digest_sink, r, true };
	thpsim_run_result_t res;
	thpsim_outcome_t o;

	r->n = 0;
	r->last = -1;
	r->digest = 0;
	r->cur = (struct det_footprint){ 0 };
	detsched_set_footprint(&r->cur);
	cr_assert_eq(scenario_run_hooked(rc, &h, &res), 0, "%s", thpsim_errmsg());
	detsched_set_footprint(NULL);
	if (r->n)
		r->fp[r->n - 1] = r->cur;
	o = res.verdict.outcome;
	r->found = 0;
	for (int c = 0; c < THPSIM_OUTCOME__NR; c++)
		r->found |= (uint32_t)res.verdict.found[c] << c;
	thpsim_run_result_fini(&res);
	return o;
}

/*
 * fp with the keys as they were before entries, walks and split
 * page-table locks had their own: an entry or a PTL is its frame (a
 * write when the access writes), every walk key one common object.  A
 * pair independent under the real keys but not under these is one the
 * finer keys made independent.
 */
#define KIND(k) ((k) >> 60)
static void coarse(const struct det_footprint *fp, struct det_footprint *out)
{
	*out = (struct det_footprint){ .all = fp->all };
	for (unsigned i = 0; i < fp->n; i++) {
		uint64_t k = fp->key[i];

		if (KIND(k) == KIND(SCHED_KEY_ENTRY))
			k = SCHED_KEY_FRAME | ((k & ((UINT64_C(1) << 60) - 1)) >>
					       SCHED_ENTRY_SLOT_BITS);
		else if (KIND(k) == KIND(SCHED_KEY_WALK))
			k = SCHED_KEY_WALK;
		else if (KIND(k) == 6)	/* detsched.c KEY_PTL */
			k = SCHED_KEY_FRAME | (k & ((UINT64_C(1) << 60) - 1));
		det_fp_add(out, k, fp->write[i]);
	}
}

static bool fine_only(const struct det_footprint *a,
		      const struct det_footprint *b)
{
	struct det_footprint ca, cb;

	coarse(a, &ca);
	coarse(b, &cb);
	return det_fp_conflict(&ca, &cb);
}

/* The chosen decisions of r, steps k and k + 1 (both chosen) swapped. */
static size_t chosen_swapped(const struct rec *r, size_t k,
			     struct det_decision *out)
{
	size_t n = 0, ck = 0;

	for (size_t i = 0; i < r->n; i++)
		if (!r->forced[i]) {
			if (i == k)
				ck = n;
			out[n++] = r->dec[i];
		}
	struct det_decision t = out[ck];

	out[ck] = out[ck + 1];
	out[ck + 1] = t;
	return n;
}

static int fine_swapped;	/* of them, pairs only the finer keys split */

static int commute_cell(const char *scenario, const char *profile,
			const char *fix)
{
	static struct rec base, swapped;
	static struct det_decision pre[MAXDEC];
	thpsim_run_config_t rc;
	thpsim_outcome_t o0;
	int tried = 0, fine = 0;

	thpsim_run_config_init(&rc);
	rc.scenario = scenario;
	rc.profile = profile;
	rc.fix = fix;
	thpsim_geometry_parse("2x4", &rc.geometry);
	base.prefix = NULL;
	base.prefix_len = 0;
	o0 = run_rec(&rc, &base);
	(void)o0;
	for (size_t k = 0; k + 1 < base.n && tried < 24; k++) {
		const struct det_decision *a = &base.dec[k], *b = &base.dec[k + 1];
		bool is_fine;

		if (base.forced[k] || base.forced[k + 1] || a->thread == b->thread)
			continue;
		if (det_fp_conflict(&base.fp[k], &base.fp[k + 1]))
			continue;
		/* Up to 12 of each: pairs the coarse keys called independent
		 * too, and pairs only the finer keys do. */
		is_fine = fine_only(&base.fp[k], &base.fp[k + 1]);
		if (is_fine ? fine >= 12 : tried - fine >= 12)
			continue;
		/* Independent: swap them; everything after as before. */
		swapped.prefix = pre;
		swapped.prefix_len = chosen_swapped(&base, k, pre);
		static struct rec orig;

		orig.prefix = pre;
		orig.prefix_len = swapped.prefix_len;
		thpsim_outcome_t os = run_rec(&rc, &swapped);

		/* The original order replayed the same way, for the digest. */
		{
			static struct det_decision pre2[MAXDEC];
			size_t n = 0;

			for (size_t i = 0; i < base.n; i++)
				if (!base.forced[i])
					pre2[n++] = base.dec[i];
			orig.prefix = pre2;
			orig.prefix_len = n;
			thpsim_outcome_t oo = run_rec(&rc, &orig);

			cr_expect_eq(os, oo, "%s %s %s: swapping steps %zu/%zu changed the outcome (%s vs %s)",
				     scenario, profile, fix, k, k + 1,
				     thpsim_outcome_name(os), thpsim_outcome_name(oo));
			cr_expect_eq(swapped.found, orig.found,
				     "%s %s %s: swapping independent steps %zu and %zu changed the verdict's classes (%#x vs %#x)",
				     scenario, profile, fix, k, k + 1,
				     swapped.found, orig.found);
			cr_expect_eq(swapped.digest, orig.digest,
				     "%s %s %s: swapping independent steps %zu (thread %d) and %zu (thread %d) changed the final state",
				     scenario, profile, fix, k, a->thread, k + 1,
				     b->thread);
		}
		tried++;
		fine += is_fine;
	}
	fine_swapped += fine;
	return tried;
}

Test(dpor, independent_steps_commute, .timeout = 120)
{
	static const struct cell cc[] = {
		{ "S1", "x86", "none" }, { "S1", "arm64", "fresh-table" },
		{ "S2", "arm64", "none" }, { "S4", "x86", "ipi-sync" },
		{ "S5", "ppc64-radix", "none" }, { "S13", "arm64", "pte-free-defer" },
		{ "S3", "x86-kvm-pv", "ipi-sync" }, { "S10", "x86", "none" },
		{ "S6", "arm64", "none" },
	};
	int total = 0;

	for (size_t i = 0; i < sizeof(cc) / sizeof(cc[0]); i++)
		total += commute_cell(cc[i].scenario, cc[i].profile, cc[i].fix);
	printf("commute: %d independent adjacent pairs swapped, %d of them independent only by entry, walk or PTL keys\n",
	       total, fine_swapped);
	cr_assert_gt(total, 0, "no adjacent independent steps found to swap");
	cr_assert_gt(fine_swapped, 0, "no pair the finer keys split was swapped");
}

/* A dependent pair (the walker's pmd read and the collapse's pmd clear
 * share an entry) is never called independent. */
Test(dpor, entry_accesses_conflict)
{
	struct det_footprint a = { 0 }, b = { 0 };

	det_fp_add(&a, SCHED_KEY_FRAME | 7, false);
	det_fp_add(&b, SCHED_KEY_FRAME | 7, true);
	cr_assert(det_fp_conflict(&a, &b));
	b.write[0] = false;
	cr_assert(!det_fp_conflict(&a, &b));
}

/* Entries of one table are apart; a write of the frame as a whole (a
 * free, a state change) meets every entry, since an entry access also
 * reads its frame's key (detsched.c). */
Test(dpor, entry_keys_by_slot)
{
	struct det_footprint a = { 0 }, b = { 0 }, f = { 0 };

	det_fp_add(&a, SCHED_KEY_FRAME | 7, false);
	det_fp_add(&a, sched_entry_key(7, 0), false);
	det_fp_add(&b, SCHED_KEY_FRAME | 7, false);
	det_fp_add(&b, sched_entry_key(7, 1), true);
	cr_assert(!det_fp_conflict(&a, &b), "two slots of one table conflict");
	b.key[1] = sched_entry_key(7, 0);
	cr_assert(det_fp_conflict(&a, &b), "a store and a load of one slot");
	det_fp_add(&f, SCHED_KEY_FRAME | 7, true);
	cr_assert(det_fp_conflict(&a, &f), "a frame write misses an entry read");
	cr_assert(sched_entry_key(7, 0) != sched_entry_key(8, 0));
}
