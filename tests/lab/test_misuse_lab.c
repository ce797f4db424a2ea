/*
 * test_misuse_lab.c - the lab layer's public entry points (stats, scenario,
 * explore, replay, traces, stress) against misuse, through the forking
 * harness of misuse.h.
 */
#include "misuse.h"

/* ---- stats ----------------------------------------------------------------- */

static int hist_nulls(void)
{
	thpsim_hist_summary_t s;
	thpsim_hist_t *h = thpsim_hist_create();

	thpsim_hist_destroy(NULL);
	thpsim_hist_reset(NULL);
	thpsim_hist_record(NULL, 1);
	thpsim_hist_record_n(NULL, 1, 2);
	thpsim_hist_merge(NULL, h);
	thpsim_hist_merge(h, NULL);
	thpsim_hist_summary(NULL, &s);
	thpsim_hist_summary(h, NULL);
	thpsim_hist_for_each(NULL, NULL, NULL);
	thpsim_hist_for_each(h, NULL, NULL);
	thpsim_hist_record(h, UINT64_MAX);
	thpsim_hist_record_n(h, 3, UINT64_MAX);
	(void)thpsim_hist_percentile(h, -1);
	(void)thpsim_hist_percentile(h, 1e300);
	(void)thpsim_hist_percentile(h, 0.0 / 0.0);
	if (thpsim_hist_count(NULL) || thpsim_hist_percentile(NULL, 50))
		return -1;
	thpsim_hist_destroy(h);
	return 0;
}

static int hist_csv_null(void) { return thpsim_hist_write_csv(NULL, "x", stdout); }

static int hist_csv_null_file(void)
{
	thpsim_hist_t *h = thpsim_hist_create();
	int err = thpsim_hist_write_csv(h, "x", NULL);

	thpsim_hist_destroy(h);
	return err;
}

Test(misuse, stats)
{
	static const struct mcase cs[] = {
		{ "thpsim_hist_* on NULL", hist_nulls, 0 },
		{ "thpsim_hist_write_csv(NULL)", hist_csv_null, E(EINVAL) },
		{ "thpsim_hist_write_csv(h, n, NULL)", hist_csv_null_file, E(EINVAL) },
	};
	RUN(cs);
}

/* ---- scenario, explore, replay, traces ------------------------------------- */

static int scenario_run_null(void) { thpsim_run_result_t r; return thpsim_scenario_run(NULL, &r); }

static int scenario_run_null_out(void)
{
	thpsim_run_config_t rc;

	thpsim_run_config_init(&rc);
	rc.scenario = "S1";
	return thpsim_scenario_run(&rc, NULL);
}

static int scenario_run_null_id(void)
{
	thpsim_run_config_t rc;
	thpsim_run_result_t r;

	thpsim_run_config_init(&rc);
	rc.scenario = NULL;
	return thpsim_scenario_run(&rc, &r);
}

static int scenario_run_wide(void)
{
	thpsim_run_config_t rc;
	thpsim_run_result_t r;

	thpsim_run_config_init(&rc);
	rc.scenario = "S1";
	rc.timeline = true;
	rc.timeline_width = 1000000;
	return thpsim_scenario_run(&rc, &r);
}

static int run_voids_null(void)
{
	thpsim_run_config_init(NULL);
	thpsim_run_result_fini(NULL);
	thpsim_explore_config_init(NULL);
	thpsim_explore_result_fini(NULL);
	thpsim_trace_abort(NULL);
	return 0;
}

static int explore_null(void) { thpsim_explore_result_t x; return thpsim_explore(NULL, &x); }

static int explore_null_out(void)
{
	thpsim_explore_config_t ec;

	thpsim_explore_config_init(&ec);
	ec.run.scenario = "S1";
	return thpsim_explore(&ec, NULL);
}

static int explore_bad_policy(void)
{
	thpsim_explore_config_t ec;
	thpsim_explore_result_t x;

	thpsim_explore_config_init(&ec);
	ec.run.scenario = "S1";
	ec.policy = (thpsim_policy_t)77;
	return thpsim_explore(&ec, &x);
}

static int explore_bad_prob(void)
{
	thpsim_explore_config_t ec;
	thpsim_explore_result_t x;

	thpsim_explore_config_init(&ec);
	ec.run.scenario = "S1";
	ec.switch_prob = 0.0 / 0.0;
	return thpsim_explore(&ec, &x);
}

static int schedule_check_null(void) { return thpsim_schedule_check(NULL, "v1"); }

static int schedule_check_null_s(void)
{
	thpsim_run_config_t rc;

	thpsim_run_config_init(&rc);
	rc.scenario = "S1";
	return thpsim_schedule_check(&rc, NULL);
}

static int replay_null(void) { thpsim_run_result_t r; return thpsim_replay(NULL, "v1", &r); }

static int replay_null_out(void)
{
	thpsim_run_config_t rc;

	thpsim_run_config_init(&rc);
	rc.scenario = "S1";
	return thpsim_replay(&rc, "v1.S1.0.G1.0", NULL);
}

static int trace_open_nulls(void) { return thpsim_trace_open(NULL, NULL); }
static int trace_open_null_out(void) { return thpsim_trace_open("/tmp/x.json", NULL); }
static int trace_commit_null(void) { return thpsim_trace_commit(NULL, "{}"); }

static int trace_commit_null_json(void)
{
	thpsim_trace_file_t *tf;
	char path[] = "/tmp/thpsim-misuse-XXXXXX";
	int fd = mkstemp(path), err;

	if (fd < 0)
		return 1;
	close(fd);
	err = thpsim_trace_open(path, &tf);
	if (err)
		return 1;
	err = thpsim_trace_commit(tf, NULL);
	unlink(path);
	return err;
}

Test(misuse, scenario_explore_trace)
{
	static const struct mcase cs[] = {
		{ "thpsim_scenario_run(NULL, r)", scenario_run_null, E(EINVAL) },
		{ "thpsim_scenario_run(rc, NULL)", scenario_run_null_out, E(EINVAL) },
		{ "thpsim_scenario_run(no scenario)", scenario_run_null_id, E(EINVAL) },
		{ "thpsim_scenario_run(timeline_width 10^6)", scenario_run_wide, E(EINVAL) },
		{ "*_init/fini/abort(NULL)", run_voids_null, 0 },
		{ "thpsim_explore(NULL, x)", explore_null, E(EINVAL) },
		{ "thpsim_explore(ec, NULL)", explore_null_out, E(EINVAL) },
		{ "thpsim_explore(policy 77)", explore_bad_policy, E(EINVAL) },
		{ "thpsim_explore(switch_prob nan)", explore_bad_prob, E(EINVAL) },
		{ "thpsim_schedule_check(NULL, s)", schedule_check_null, E(EINVAL) },
		{ "thpsim_schedule_check(rc, NULL)", schedule_check_null_s, E(EINVAL) },
		{ "thpsim_replay(NULL, s, r)", replay_null, E(EINVAL) },
		{ "thpsim_replay(rc, s, NULL)", replay_null_out, E(EINVAL) },
		{ "thpsim_trace_open(NULL, NULL)", trace_open_nulls, E(EINVAL) },
		{ "thpsim_trace_open(path, NULL)", trace_open_null_out, E(EINVAL) },
		{ "thpsim_trace_commit(NULL, json)", trace_commit_null, E(EINVAL) },
		{ "thpsim_trace_commit(tf, NULL)", trace_commit_null_json, E(EINVAL) },
	};
	RUN(cs);
}

/* ---- stress ------------------------------------------------------------------ */

static int stress_null(void) { thpsim_stress_result_t r; return thpsim_stress_run(NULL, &r); }

static int stress_null_out(void)
{
	thpsim_stress_config_t sc;

	thpsim_stress_config_init(&sc);
	return thpsim_stress_run(&sc, NULL);
}

static int stress_bad_geometry(void)
{
	thpsim_stress_config_t sc;
	thpsim_stress_result_t r;

	thpsim_stress_config_init(&sc);
	sc.geometry.levels = 9;
	return thpsim_stress_run(&sc, &r);
}

static int stress_bad_ipi(void)
{
	thpsim_stress_config_t sc;
	thpsim_stress_result_t r;

	thpsim_stress_config_init(&sc);
	sc.ipi = (thpsim_ipi_backend_t)42;
	return thpsim_stress_run(&sc, &r);
}

static int stress_voids(void)
{
	thpsim_stress_config_init(NULL);
	thpsim_stress_stop();
	return thpsim_stress_vacuous(NULL) ? 0 : -1;
}

Test(misuse, stress)
{
	static const struct mcase cs[] = {
		{ "thpsim_stress_run(NULL, r)", stress_null, E(EINVAL) },
		{ "thpsim_stress_run(sc, NULL)", stress_null_out, E(EINVAL) },
		{ "thpsim_stress_run(levels 9)", stress_bad_geometry, E(EINVAL) },
		{ "thpsim_stress_run(ipi 42)", stress_bad_ipi, E(EINVAL) },
		{ "stress void calls on NULL", stress_voids, 0 },
	};
	RUN(cs);
}

