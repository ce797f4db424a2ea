/*
 * bench_explore.c - B6, exploration speed: one deterministic scripted run
 * of scenario S1 (thpsim_scenario_run: fresh machine, fibers, oracle) per
 * iteration, at geometries 2x4 and 4x512.  Counters: schedules_per_s (runs
 * a second) and steps_per_s (scheduler decisions a second).
 */
#include "bench.h"
#include <stdio.h>
#include <stdlib.h>

#include "thpsim/explore.h"
#include "thpsim/scenario.h"

static void bm_explore(gbench_state_t *st, void *arg)
{
	const char *geo = arg;
	thpsim_run_config_t rc;
	thpsim_run_result_t res;
	uint64_t steps = 0, runs = 0;

	thpsim_run_config_init(&rc);
	rc.scenario = "S1";
	if (thpsim_geometry_parse(geo, &rc.geometry)) {
		gbench_error(st, thpsim_errmsg());
		return;
	}
	while (gbench_keep_running_batch(st, 1)) {
		if (thpsim_scenario_run(&rc, &res)) {
			gbench_error(st, thpsim_errmsg());
			break;
		}
		steps += res.steps;
		runs++;
		thpsim_run_result_fini(&res);
	}
	gbench_counter(st, "schedules_per_s", (double)runs, GBENCH_RATE);
	gbench_counter(st, "steps_per_s", (double)steps, GBENCH_RATE);
	gbench_counter(st, "steps_per_run",
		       runs ? (double)steps / (double)runs : 0, GBENCH_DEFAULT);
}

void bench_register_explore(void)
{
	gbench_real_time(gbench_register("explore/S1/2x4", bm_explore,
					 (void *)"2x4"));
	gbench_real_time(gbench_register("explore/S1/4x512", bm_explore,
					 (void *)"4x512"));
}

/*
 * B6b, exploration with and without fast restarts: thpsim_explore of S1
 * (arm64, ipi-sync, random policy) in batches, each schedule either from
 * a fresh machine, mm and setup (THPSIM_NO_FASTPATH=1) or from the
 * snapshot of one set-up run (the default).  The two figures come from
 * the same binary in the same run: report.jq divides them.
 */
struct explore_case {
	const char *geo;
	bool fast;
	uint64_t batch;
};

static void bm_explore_policy(gbench_state_t *st, void *arg)
{
	const struct explore_case *c = arg;
	thpsim_explore_config_t ec;
	uint64_t runs = 0, seed = 1;

	thpsim_explore_config_init(&ec);
	ec.run.scenario = "S1";
	ec.run.fix = "ipi-sync";
	ec.iterations = c->batch;
	if (thpsim_geometry_parse(c->geo, &ec.run.geometry)) {
		gbench_error(st, thpsim_errmsg());
		return;
	}
	if (c->fast)
		unsetenv("THPSIM_NO_FASTPATH");
	else
		setenv("THPSIM_NO_FASTPATH", "1", 1);
	while (gbench_keep_running_batch(st, 1)) {
		thpsim_explore_result_t xr;

		ec.seed = seed++;
		if (thpsim_explore(&ec, &xr)) {
			gbench_error(st, thpsim_errmsg());
			break;
		}
		runs += xr.schedules;
		thpsim_explore_result_fini(&xr);
	}
	unsetenv("THPSIM_NO_FASTPATH");
	gbench_counter(st, "schedules_per_s", (double)runs, GBENCH_RATE);
}

void bench_register_explore_policy(void)
{
	static const struct explore_case cases[] = {
		{ "2x4", false, 2000 }, { "2x4", true, 2000 },
		/* Fast 4x512 in batches of 1000: an exploration's set-up run
		 * (512 pages populated and faulted) is paid once per batch,
		 * and 50 made it a third of the figure. */
		{ "4x512", false, 50 }, { "4x512", true, 1000 },
	};
	static char names[4][48];

	for (int i = 0; i < 4; i++) {
		snprintf(names[i], sizeof(names[i]), "explore-random/S1/%s/%s",
			 cases[i].geo, cases[i].fast ? "fast" : "fresh");
		gbench_real_time(gbench_register(names[i], bm_explore_policy,
						 (void *)&cases[i]));
	}
}
