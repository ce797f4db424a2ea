/*
 * test_explore_shard.c - random exploration split by schedule index
 * (thpsim_explore_config_t.shard_k/n): the shards together run exactly
 * the unsharded schedules: counts add up, the union of their state hashes
 * is the unsharded set, and the lowest first-violation index is the
 * unsharded one.  pct and dfs, and k outside 1..n, are refused.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "thpsim/thpsim.h"

#define N 3

static void config(thpsim_explore_config_t *ec)
{
	thpsim_explore_config_init(ec);
	ec->run.scenario = "S4";
	ec->run.profile = "arm64";
	ec->run.fix = "none";
	ec->run.knobs.pmd_recheck = false;
	thpsim_geometry_parse("2x4", &ec->run.geometry);
	ec->iterations = 200;
	ec->seed = 3;
}

static bool has(const uint64_t *v, uint64_t n, uint64_t h)
{
	for (uint64_t i = 0; i < n; i++)
		if (v[i] == h)
			return true;
	return false;
}

Test(explore_shard, shards_add_up_to_the_whole)
{
	thpsim_explore_config_t ec;
	thpsim_explore_result_t whole, part[N];
	uint64_t schedules = 0, counts[THPSIM_OUTCOME__NR] = { 0 }, first = UINT64_MAX;
	uint64_t united = 0;

	config(&ec);
	cr_assert_eq(thpsim_explore(&ec, &whole), 0, "%s", thpsim_errmsg());
	cr_assert(whole.found, "S4 without the recheck: no violation to compare");
	for (unsigned k = 0; k < N; k++) {
		ec.shard_k = k + 1;
		ec.shard_n = N;
		cr_assert_eq(thpsim_explore(&ec, &part[k]), 0, "%s", thpsim_errmsg());
		schedules += part[k].schedules;
		for (int c = 0; c < THPSIM_OUTCOME__NR; c++)
			counts[c] += part[k].counts[c];
		if (part[k].found && part[k].first_index < first)
			first = part[k].first_index;
		if (part[k].found)
			cr_assert_eq(part[k].first_index % N, k);
		for (uint64_t i = 0; i < part[k].distinct_states; i++) {
			uint64_t h = part[k].state_hashes[i];
			bool dup = false;

			cr_assert(has(whole.state_hashes, whole.distinct_states, h),
				  "shard %u reached a state the whole run did not", k + 1);
			for (unsigned j = 0; j < k; j++)
				dup |= has(part[j].state_hashes, part[j].distinct_states, h);
			united += !dup;
		}
	}
	cr_assert_eq(schedules, whole.schedules);
	cr_assert_eq(memcmp(counts, whole.counts, sizeof(counts)), 0);
	cr_assert_eq(united, whole.distinct_states);
	cr_assert_eq(first, whole.first_index);
	for (unsigned k = 0; k < N; k++)
		thpsim_explore_result_fini(&part[k]);
	thpsim_explore_result_fini(&whole);
}

Test(explore_shard, only_random_and_k_in_range)
{
	thpsim_explore_config_t ec;
	thpsim_explore_result_t xr;

	config(&ec);
	ec.shard_k = 1;
	ec.shard_n = 2;
	ec.policy = THPSIM_POLICY_PCT;
	cr_assert_eq(thpsim_explore(&ec, &xr), -THPSIM_EINVAL);
	cr_assert(strstr(thpsim_errmsg(), "random"), "%s", thpsim_errmsg());
	ec.policy = THPSIM_POLICY_DFS;
	ec.iterations = 0;
	cr_assert_eq(thpsim_explore(&ec, &xr), -THPSIM_EINVAL);
	config(&ec);
	ec.shard_k = 3;
	ec.shard_n = 2;
	cr_assert_eq(thpsim_explore(&ec, &xr), -THPSIM_EINVAL);
	ec.shard_k = 0;
	cr_assert_eq(thpsim_explore(&ec, &xr), -THPSIM_EINVAL);
}
