/*
 * test_snapshot.c - fast restarts (lib/lab/scenario.c sessions,
 * machine/snapshot.h) change nothing an exploration finds:
 *   - for S1, S2, S4, S10 at 2x4 (DFS, S1 bound 1), S10, S5, S3 (DPOR, to
 *     the end) and S1 at
 *     4x512 (random), the exploration with THPSIM_NO_FASTPATH=1 (every
 *     schedule a fresh machine, mm and setup) and without it (one setup,
 *     a snapshot restored after every schedule) give the same schedule
 *     count, outcome counts, distinct terminal states (the hashes too),
 *     first violation and schedule string;
 *   - a mutant that gets ONE byte of a collapse's copy wrong is caught
 *     (CORRUPTION) by every schedule that collapses, both ways, at 2x4
 *     and at 4x512 (one byte in 2 MiB), and a run after the exploration
 *     without the mutant is clean again: the restore left no wrong byte.
 * (DFS and DPOR replay prefixes across schedules: a restore that left
 * anything behind would also show as a DPOR divergence error.)
 * Each Criterion test is its own process; the environment is set before
 * the library reads it (it is read at each exploration).
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "thpsim/thpsim.h"

static void config(thpsim_explore_config_t *ec, const char *scenario,
		   const char *profile, const char *fix, const char *geo,
		   thpsim_policy_t policy, uint64_t iterations)
{
	thpsim_explore_config_init(ec);
	ec->run.scenario = scenario;
	ec->run.profile = profile;
	ec->run.fix = fix;
	cr_assert_eq(thpsim_geometry_parse(geo, &ec->run.geometry), 0);
	ec->policy = policy;
	ec->iterations = iterations;
	/* DFS: S1 at bound 2 is 10^5 schedules, minutes under ASan. */
	ec->preemptions = strcmp(scenario, "S1") ? 2 : 1;
}

static void explore(const thpsim_explore_config_t *ec, bool fast,
		    thpsim_explore_result_t *xr)
{
	if (fast)
		cr_assert_eq(unsetenv("THPSIM_NO_FASTPATH"), 0);
	else
		cr_assert_eq(setenv("THPSIM_NO_FASTPATH", "1", 1), 0);
	cr_assert_eq(thpsim_explore(ec, xr), 0, "%s %s: %s", ec->run.scenario,
		     thpsim_policy_name(ec->policy), thpsim_errmsg());
}

static void same_both_ways(const char *scenario, const char *profile,
			   const char *fix, const char *geo,
			   thpsim_policy_t policy, uint64_t iterations)
{
	thpsim_explore_config_t ec;
	thpsim_explore_result_t slow, fast;

	config(&ec, scenario, profile, fix, geo, policy, iterations);
	explore(&ec, false, &slow);
	explore(&ec, true, &fast);
	cr_expect_gt(slow.schedules, 0);
	cr_expect_eq(fast.schedules, slow.schedules, "%s %s: %llu schedules fast, %llu fresh",
		     scenario, geo, (unsigned long long)fast.schedules,
		     (unsigned long long)slow.schedules);
	for (int o = 0; o < THPSIM_OUTCOME__NR; o++)
		cr_expect_eq(fast.counts[o], slow.counts[o], "%s %s: %s %llu fast, %llu fresh",
			     scenario, geo, thpsim_outcome_name((thpsim_outcome_t)o),
			     (unsigned long long)fast.counts[o],
			     (unsigned long long)slow.counts[o]);
	cr_expect_eq(fast.distinct_states, slow.distinct_states, "%s %s: states",
		     scenario, geo);
	cr_expect_eq(fast.exercised, slow.exercised);
	cr_expect_eq(fast.exhausted, slow.exhausted);
	cr_expect_eq(fast.found, slow.found);
	if (fast.state_hashes && slow.state_hashes &&
	    fast.distinct_states == slow.distinct_states)
		cr_expect_eq(memcmp(fast.state_hashes, slow.state_hashes,
				    slow.distinct_states * sizeof(uint64_t)), 0,
			     "%s %s: different terminal states", scenario, geo);
	if (slow.found) {
		cr_expect_eq(fast.first_index, slow.first_index);
		cr_expect_eq(fast.first_outcome, slow.first_outcome);
		cr_expect_str_eq(fast.first_schedule, slow.first_schedule);
	}
	thpsim_explore_result_fini(&slow);
	thpsim_explore_result_fini(&fast);
}

Test(snapshot, dfs_and_dpor_at_2x4_same_both_ways, .timeout = 600)
{
	same_both_ways("S1", "arm64", "ipi-sync", "2x4", THPSIM_POLICY_DFS, 0);
	same_both_ways("S1", "arm64", "none", "2x4", THPSIM_POLICY_DFS, 0);
	same_both_ways("S2", "arm64", "none", "2x4", THPSIM_POLICY_DFS, 0);
	same_both_ways("S4", "x86", "none", "2x4", THPSIM_POLICY_DFS, 0);
	same_both_ways("S10", "arm64", "none", "2x4", THPSIM_POLICY_DPOR, 0);
	/* Sleep sets compare footprints of different runs: keys must not
	 * depend on whether the machine was built or restored. */
	same_both_ways("S5", "arm64", "ipi-sync", "2x4", THPSIM_POLICY_DPOR, 0);
	same_both_ways("S3", "x86-kvm-pv", "ipi-sync", "2x4", THPSIM_POLICY_DPOR, 0);
}

Test(snapshot, random_same_both_ways, .timeout = 600)
{
	same_both_ways("S1", "arm64", "none", "2x4", THPSIM_POLICY_RANDOM, 2000);
	same_both_ways("S3", "ppc64-radix", "none", "2x4", THPSIM_POLICY_RANDOM, 500);
	same_both_ways("S8", "arm64", "none", "2x4", THPSIM_POLICY_RANDOM, 500);
	same_both_ways("S12", "arm64", "none", "2x4", THPSIM_POLICY_RANDOM, 500);
	same_both_ways("S1", "arm64", "ipi-sync", "4x512", THPSIM_POLICY_RANDOM, 40);
	same_both_ways("S1", "arm64", "none", "4x512", THPSIM_POLICY_RANDOM, 40);
}

static uint64_t corruptions(const char *geo, uint64_t iterations, bool fast)
{
	/* At 4x512 a run has thousands of points: switch rarely, or K's
	 * collapse seldom gets to its copy. */
	thpsim_explore_config_t ec;
	thpsim_explore_result_t xr;
	uint64_t n;

	config(&ec, "S1", "arm64", "ipi-sync", geo, THPSIM_POLICY_RANDOM,
	       iterations);
	ec.switch_prob = strcmp(geo, "2x4") ? 0.001 : 0.05;
	explore(&ec, fast, &xr);
	n = xr.counts[THPSIM_OUTCOME_CORRUPTION];
	thpsim_explore_result_fini(&xr);
	return n;
}

/* The scripted run: collapse and all, no mutant: clean. */
static thpsim_outcome_t scripted(const char *geo)
{
	thpsim_run_config_t rc;
	thpsim_run_result_t res;
	thpsim_outcome_t o;

	thpsim_run_config_init(&rc);
	rc.scenario = "S1";
	rc.fix = "ipi-sync";
	cr_assert_eq(thpsim_geometry_parse(geo, &rc.geometry), 0);
	cr_assert_eq(thpsim_scenario_run(&rc, &res), 0, "%s", thpsim_errmsg());
	o = res.verdict.outcome;
	thpsim_run_result_fini(&res);
	return o;
}

Test(snapshot, one_wrong_byte_is_caught_both_ways, .timeout = 600)
{
	static const struct { const char *geo; uint64_t n; } cells[] = {
		{ "2x4", 300 }, { "4x512", 100 },
	};

	for (size_t i = 0; i < sizeof(cells) / sizeof(cells[0]); i++) {
		uint64_t clean, slow, fast;

		unsetenv("THPSIM_MUTANT");
		clean = corruptions(cells[i].geo, cells[i].n, true);
		cr_assert_eq(setenv("THPSIM_MUTANT", "copy-flips-byte", 1), 0);
		slow = corruptions(cells[i].geo, cells[i].n, false);
		fast = corruptions(cells[i].geo, cells[i].n, true);
		unsetenv("THPSIM_MUTANT");
		cr_expect_eq(clean, 0, "%s: CORRUPTION without the mutant", cells[i].geo);
		cr_expect_gt(slow, 0, "%s: one wrong byte not caught", cells[i].geo);
		cr_expect_eq(fast, slow, "%s: %llu corruptions fast, %llu fresh",
			     cells[i].geo, (unsigned long long)fast,
			     (unsigned long long)slow);
		/* After the mutant's exploration, nothing wrong is left. */
		cr_expect_eq(corruptions(cells[i].geo, cells[i].n, true), 0);
		cr_expect_neq(scripted(cells[i].geo), THPSIM_OUTCOME_CORRUPTION);
	}
}

/*
 * A restore copies back the struct pages of frames marked dirty and of
 * frames in use at the snapshot only (phys_snapshot.c).
 * THPSIM_SNAPSHOT_CHECK=1 compares the whole array after every restore
 * and stops the process on a struct page left behind.
 */
Test(snapshot, every_struct_page_is_restored, .timeout = 600)
{
	static const struct {
		const char *scenario, *profile, *fix, *geo;
		thpsim_policy_t policy;
		uint64_t n;
	} cells[] = {
		{ "S1", "arm64", "none", "2x4", THPSIM_POLICY_RANDOM, 500 },
		{ "S2", "x86-kvm-pv", "ipi-sync", "2x4", THPSIM_POLICY_DPOR, 500 },
		{ "S5", "ppc64-radix", "pte-free-defer", "2x4", THPSIM_POLICY_PCT, 500 },
		{ "S7", "broadcast-norcu", "fresh-table", "2x4", THPSIM_POLICY_RANDOM, 500 },
		{ "S13", "x86", "none", "2x4", THPSIM_POLICY_DPOR, 500 },
		{ "S1", "arm64", "ipi-sync", "4x512", THPSIM_POLICY_RANDOM, 30 },
		{ "S4", "arm64", "none", "4x512", THPSIM_POLICY_DPOR, 30 },
	};

	cr_assert_eq(setenv("THPSIM_SNAPSHOT_CHECK", "1", 1), 0);
	for (size_t i = 0; i < sizeof(cells) / sizeof(cells[0]); i++) {
		thpsim_explore_config_t ec;
		thpsim_explore_result_t xr;

		config(&ec, cells[i].scenario, cells[i].profile, cells[i].fix,
		       cells[i].geo, cells[i].policy, cells[i].n);
		explore(&ec, true, &xr);
		cr_expect_gt(xr.schedules, 1, "%s: nothing restored", cells[i].scenario);
		thpsim_explore_result_fini(&xr);
	}
	unsetenv("THPSIM_SNAPSHOT_CHECK");
}
