/*
 * test_explore.c - the policies find the races the scripts show, without
 * reading the scripts: bounded DFS on S1, PCT and random on S1 and S4.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "thpsim/thpsim.h"

/*
 * Under a sanitizer a run costs ten times more: DFS with one preemption
 * there (the S1 race needs only one: switch away from the stalled walker;
 * every later switch is free, its thread having ended), two otherwise.
 */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define DFS_BOUND 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define DFS_BOUND 1
#endif
#endif
#ifndef DFS_BOUND
#define DFS_BOUND 2
#endif

static void config(thpsim_explore_config_t *ec, const char *scenario,
		   const char *fix, thpsim_policy_t policy)
{
	thpsim_explore_config_init(ec);
	ec->run.scenario = scenario;
	ec->run.profile = "arm64";
	ec->run.fix = fix;
	thpsim_geometry_parse("2x4", &ec->run.geometry);
	ec->policy = policy;
}

static uint64_t explore(const thpsim_explore_config_t *ec,
			thpsim_explore_result_t *xr)
{
	cr_assert_eq(thpsim_explore(ec, xr), 0, "%s", thpsim_errmsg());
	return xr->counts[THPSIM_OUTCOME_UAF];
}

/*
 * DFS with 2 preemptions (DFS_BOUND), exhaustively: S1 on arm64 without a fix has
 * UAF schedules (the walker stalled in its IRQ-off section across the
 * collapse and the zap).  With ipi-sync the collapse's IPI waits for the
 * walker, and munmap's free_pgtables() frees through mmu_gather's RCU
 * batch (pte_free_tlb -> tlb_remove_table), which the walker's IRQ-off
 * section holds off: no schedule may violate.
 */
Test(explore, dfs_s1_arm64, .timeout = 240)
{
	thpsim_explore_config_t ec;
	thpsim_explore_result_t none, sync;

	config(&ec, "S1", "none", THPSIM_POLICY_DFS);
	ec.preemptions = DFS_BOUND;
	ec.iterations = 0;
	cr_assert_gt(explore(&ec, &none), 0);
	cr_assert(none.exhausted);
	cr_assert(none.found && none.first_schedule);
	cr_assert_gt(none.distinct_states, 1);
	ec.run.fix = "ipi-sync";
	explore(&ec, &sync);
	cr_assert(sync.exhausted);
	cr_assert(!sync.found, "ipi-sync violated: %s",
		  sync.first_schedule ? sync.first_schedule : "-");
	cr_assert_eq(sync.counts[THPSIM_OUTCOME_UAF], 0);
	cr_assert_gt(sync.counts[THPSIM_OUTCOME_BLOCKED], 0,
		     "the collapse's IPI never waited for the walker");
	thpsim_explore_result_fini(&none);
	thpsim_explore_result_fini(&sync);
}

Test(explore, dfs_zero_preemptions_is_small)
{
	thpsim_explore_config_t ec;
	thpsim_explore_result_t xr;

	config(&ec, "S1", "none", THPSIM_POLICY_DFS);
	ec.preemptions = 0;
	ec.iterations = 0;
	explore(&ec, &xr);
	cr_assert(xr.exhausted);
	/* Only the free choices: who starts, who follows a thread that ends. */
	cr_assert_lt(xr.schedules, 100, "%llu", (unsigned long long)xr.schedules);
	thpsim_explore_result_fini(&xr);
}

static void finds(const char *scenario, const char *fix, bool recheck,
		  thpsim_policy_t policy, thpsim_outcome_t want)
{
	thpsim_explore_config_t ec;
	thpsim_explore_result_t xr;

	config(&ec, scenario, fix, policy);
	ec.run.knobs.pmd_recheck = recheck;
	ec.iterations = 2000;
	explore(&ec, &xr);
	cr_assert_gt(xr.counts[want], 0, "%s/%s/%s: no %s in %llu schedules",
		     scenario, fix, thpsim_policy_name(policy),
		     thpsim_outcome_name(want),
		     (unsigned long long)xr.schedules);
	cr_assert(xr.found);
	thpsim_explore_result_fini(&xr);
}

Test(explore, random_finds_s1_and_s4)
{
	finds("S1", "none", true, THPSIM_POLICY_RANDOM, THPSIM_OUTCOME_UAF);
	finds("S4", "fresh-table", false, THPSIM_POLICY_RANDOM,
	      THPSIM_OUTCOME_STALE_PIN);
}

Test(explore, pct_finds_s1_and_s4)
{
	finds("S1", "none", true, THPSIM_POLICY_PCT, THPSIM_OUTCOME_UAF);
	finds("S4", "fresh-table", false, THPSIM_POLICY_PCT,
	      THPSIM_OUTCOME_STALE_PIN);
}

/* With the pmd recheck S4 is safe: the policies must not invent races. */
Test(explore, s4_with_recheck_is_clean)
{
	thpsim_explore_config_t ec;
	thpsim_explore_result_t xr;

	for (int p = 0; p < 2; p++) {
		config(&ec, "S4", "fresh-table", (thpsim_policy_t)p);
		ec.iterations = 1000;
		explore(&ec, &xr);
		cr_assert_not(xr.found, "%s found %s",
			      thpsim_policy_name((thpsim_policy_t)p),
			      thpsim_outcome_name(xr.first_outcome));
		thpsim_explore_result_fini(&xr);
	}
}

Test(explore, same_seed_same_counts)
{
	thpsim_explore_config_t ec;
	thpsim_explore_result_t a, b;

	config(&ec, "S1", "none", THPSIM_POLICY_RANDOM);
	ec.iterations = 300;
	ec.seed = 7;
	explore(&ec, &a);
	explore(&ec, &b);
	cr_assert_arr_eq(a.counts, b.counts, sizeof(a.counts));
	cr_assert_eq(a.found, b.found);
	if (a.found)
		cr_assert_str_eq(a.first_schedule, b.first_schedule);
	thpsim_explore_result_fini(&a);
	thpsim_explore_result_fini(&b);
}

Test(explore, bad_config)
{
	thpsim_explore_config_t ec;
	thpsim_explore_result_t xr;

	config(&ec, "S1", "none", THPSIM_POLICY_RANDOM);
	ec.switch_prob = 0;
	cr_assert_eq(thpsim_explore(&ec, &xr), -THPSIM_EINVAL);
	config(&ec, "S1", "none", THPSIM_POLICY_PCT);
	ec.depth = 0;
	cr_assert_eq(thpsim_explore(&ec, &xr), -THPSIM_EINVAL);
	config(&ec, "S99", "none", THPSIM_POLICY_RANDOM);
	cr_assert_eq(thpsim_explore(&ec, &xr), -THPSIM_EINVAL);
}

/*
 * S13, DFS with one preemption, exhaustively: the 6.6 file retract
 * (pte-free-defer) is clean while it rechecks the anon_vma under the PTE
 * lock, and frees a table still mapping the UFFDIO_COPY page without that
 * recheck.  6.1 locking ("none") ignores the knob: its recheck is under
 * the mmap write lock.
 */
Test(explore, dfs_s13_retract_recheck, .timeout = 120)
{
	thpsim_explore_config_t ec;
	thpsim_explore_result_t xr;

	config(&ec, "S13", "pte-free-defer", THPSIM_POLICY_DFS);
	ec.preemptions = 1;
	ec.iterations = 0;
	explore(&ec, &xr);
	cr_assert(xr.exhausted);
	cr_assert(!xr.found, "pte-free-defer S13 violated: %s",
		  xr.first_schedule ? xr.first_schedule : "-");
	thpsim_explore_result_fini(&xr);
	ec.run.knobs.retract_recheck = false;
	explore(&ec, &xr);
	cr_assert(xr.found && xr.first_schedule);
	cr_assert_gt(xr.counts[THPSIM_OUTCOME_CORRUPTION], 0);
	thpsim_explore_result_fini(&xr);
	ec.run.fix = "none";
	explore(&ec, &xr);
	cr_assert(xr.exhausted);
	cr_assert(!xr.found, "none S13 violated: %s",
		  xr.first_schedule ? xr.first_schedule : "-");
	thpsim_explore_result_fini(&xr);
}
