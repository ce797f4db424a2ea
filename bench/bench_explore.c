/*
 * bench_explore.c - B6, exploration speed: one deterministic scripted run
 * of scenario S1 (thpsim_scenario_run: fresh machine, fibers, oracle) per
 * iteration, at geometries 2x4 and 4x512.  Counters: schedules_per_s (runs
 * a second) and steps_per_s (scheduler decisions a second).
 */
#include "bench.h"
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
