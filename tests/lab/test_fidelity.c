/*
 * test_fidelity.c - interleavings the kernel forbids stay unreachable.
 *
 * Issue 9's review found that exploration reached a schedule in which a
 * shmem fault mapped a small page again after collapse_file() had checked
 * its count, so the collapse copied a page that GUP then pinned: a
 * STALE-PIN the kernel cannot have (6.1 collapse_file keeps the small
 * pages locked and frozen, and a shmem fault must lock the page it maps).
 * These tests keep that schedule and every other one within two
 * preemptions clean, and check that x86's S2 reaches the retract.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "thpsim/thpsim.h"

static void config(thpsim_run_config_t *rc, const char *scenario,
		   const char *profile, const char *fix)
{
	thpsim_run_config_init(rc);
	rc->scenario = scenario;
	rc->profile = profile;
	rc->fix = fix;
	cr_assert_eq(thpsim_geometry_parse("2x4", &rc->geometry), 0);
}

/* The reviewer's schedule: G's slow path faults page 4 back in after K's
 * count check.  The fault now sleeps on the page lock, so the recorded
 * decision cannot be taken; the run that goes on without it is safe. */
Test(fidelity, s2_reviewer_schedule_is_no_longer_possible)
{
	thpsim_run_config_t rc;
	thpsim_run_result_t res;
	const char *msg;

	config(&rc, "S2", "arm64", "ipi-sync");
	cr_assert_eq(thpsim_replay(&rc,
		"v1.S2.083d8da0.GgK12G5gK18GK6kG3K3kG10gK8kG9KkG5K4G6K28.17c37ca4",
		&res), -THPSIM_EINVAL);
	msg = thpsim_errmsg();
	cr_assert(strstr(msg, "does not fit"), "%s", msg);
	cr_assert(!strstr(msg, "STALE-PIN"), "%s", msg);
	cr_assert(strstr(msg, "ended SAFE") || strstr(msg, "ended BLOCKED"),
		  "%s", msg);
}

/* Every schedule within 2 preemptions, for each fix on the RCU-batch
 * broadcast profiles where the review found the false STALE-PIN. */
static void dfs_clean(const char *scenario, const char *profile,
		      const char *fix)
{
	thpsim_explore_config_t ec;
	thpsim_explore_result_t xr;

	thpsim_explore_config_init(&ec);
	config(&ec.run, scenario, profile, fix);
	ec.policy = THPSIM_POLICY_DFS;
	ec.preemptions = 2;
	ec.iterations = 0;
	cr_assert_eq(thpsim_explore(&ec, &xr), 0, "%s", thpsim_errmsg());
	cr_assert(xr.exhausted, "%s %s %s: dfs did not finish", scenario,
		  profile, fix);
	cr_assert(xr.schedules > 1000, "%s %s %s: only %llu schedules",
		  scenario, profile, fix, (unsigned long long)xr.schedules);
	cr_assert(!xr.found, "%s on %s with %s: %s in %s", scenario, profile,
		  fix, thpsim_outcome_name(xr.first_outcome),
		  xr.first_schedule ? xr.first_schedule : "?");
	thpsim_explore_result_fini(&xr);
}

Test(fidelity, s2_arm64_every_fix_clean_under_dfs)
{
	dfs_clean("S2", "arm64", "ipi-sync");
	dfs_clean("S2", "arm64", "fresh-table");
	dfs_clean("S2", "arm64", "pte-free-defer");
}

Test(fidelity, s2_ppc64_radix_every_fix_clean_under_dfs)
{
	dfs_clean("S2", "ppc64-radix", "ipi-sync");
	dfs_clean("S2", "ppc64-radix", "fresh-table");
	dfs_clean("S2", "ppc64-radix", "pte-free-defer");
}

/* ... while the race itself stays reachable without a fix. */
Test(fidelity, s2_arm64_none_still_breaks)
{
	thpsim_explore_config_t ec;
	thpsim_explore_result_t xr;

	thpsim_explore_config_init(&ec);
	config(&ec.run, "S2", "arm64", "none");
	ec.policy = THPSIM_POLICY_DFS;
	ec.preemptions = 2;
	ec.iterations = 0;
	cr_assert_eq(thpsim_explore(&ec, &xr), 0, "%s", thpsim_errmsg());
	cr_assert(xr.found);
	cr_assert_eq(xr.first_outcome, THPSIM_OUTCOME_UAF, "%s",
		     thpsim_outcome_name(xr.first_outcome));
	cr_assert_eq(xr.counts[THPSIM_OUTCOME_STALE_PIN], 0);
	thpsim_explore_result_fini(&xr);
}

/* x86: the scripted run gets to retract_page_tables (the pmd is cleared)
 * and is BLOCKED there by the flush IPI, not earlier by the unmap. */
Test(fidelity, s2_x86_reaches_retract)
{
	static const char *const fixes[] = {
		"none", "ipi-sync", "fresh-table", "pte-free-defer",
	};

	for (size_t i = 0; i < sizeof(fixes) / sizeof(fixes[0]); i++) {
		thpsim_run_config_t rc;
		thpsim_run_result_t res;
		const char *line;

		config(&rc, "S2", "x86", fixes[i]);
		rc.timeline = true;
		cr_assert_eq(thpsim_scenario_run(&rc, &res), 0, "%s",
			     thpsim_errmsg());
		cr_assert_eq(res.verdict.outcome, THPSIM_OUTCOME_BLOCKED,
			     "%s: %s", fixes[i],
			     thpsim_outcome_name(res.verdict.outcome));
		cr_assert(res.timeline);
		line = strstr(res.timeline, "sets pmd 0x8000: table #1");
		cr_assert(line, "%s: the pmd is never cleared:\n%s", fixes[i],
			  res.timeline);
		cr_assert(strstr(res.timeline, "collapse ends: SCAN_SUCCEED"),
			  "%s: %s", fixes[i], res.timeline);
		thpsim_run_result_fini(&res);
	}
}
