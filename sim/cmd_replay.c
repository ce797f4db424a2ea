/*
 * cmd_replay.c - `thpsim replay SCENARIO --schedule STRING`: the run a
 * schedule string recorded, exactly (outcome, timeline, trace bytes);
 * plus the helpers explore and run share with it (cli_replay.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_replay.h"
#include "cmds.h"
#include "machine/mutant.h"

int cli_model_config(const char *cmd, const char *scenario,
		     const struct model_opts *mo, thpsim_run_config_t *rc)
{
	const thpsim_scenario_info_t *info;

	if (!scenario)
		return opts_error("%s: missing SCENARIO (see 'thpsim list')", cmd);
	info = thpsim_scenario_find(scenario);
	if (!info)
		return opts_error("%s: %s", cmd, thpsim_errmsg());
	if (model_check_profile(mo->profile) || model_check_fix(mo->fix) ||
	    model_opts_apply(mo, rc))
		return OPTS_USAGE;
	rc->scenario = info->id;
	rc->profile = mo->profile;
	rc->fix = mo->fix;
	return OPTS_OK;
}

void cli_print_replay(FILE *f, const thpsim_run_config_t *rc,
		      const struct model_opts *mo, const char *schedule)
{
	char bad[64];

	/* Under a mutant the run replays only under the same mutant. */
	if (thpsim__mutant_check(bad, sizeof(bad)) > 0)
		fprintf(f, "THPSIM_MUTANT=%s ", getenv("THPSIM_MUTANT"));
	fprintf(f, "%s replay %s --profile %s --fix %s --geometry %s",
		cli_invocation(), rc->scenario, mo->profile, mo->fix, mo->geometry);
	if (!rc->knobs.pmd_recheck)
		fputs(" --no-pmd-recheck", f);
	if (!rc->knobs.retract_recheck)
		fputs(" --no-retract-recheck", f);
	if (rc->knobs.radix_garbage_passes)
		fputs(" --radix-garbage-passes", f);
	if (rc->knobs.fail_table_batch)
		fputs(" --fail-table-batch", f);
	if (rc->knobs.ipi_placement != THPSIM_IPI_AFTER_FLUSH)
		fprintf(f, " --ipi-placement %s",
			thpsim_ipi_placement_name(rc->knobs.ipi_placement));
	if (rc->idle_cpus)
		fprintf(f, " --idle-cpus %u", rc->idle_cpus);
	if (rc->invariant)
		fprintf(f, " --invariant %s", rc->invariant->name);
	fprintf(f, " --schedule %s%s\n", schedule,
		thpsim__mutant_check(bad, sizeof(bad)) > 0 ? " --allow-mutant" : "");
}

int cli_trace_open(const char *path, thpsim_trace_file_t **tf)
{
	*tf = NULL;
	if (!path)
		return OPTS_OK;
	if (thpsim_trace_open(path, tf))
		return opts_error("--trace: %s", thpsim_errmsg());
	return OPTS_OK;
}

int cli_trace_commit(thpsim_trace_file_t *tf, const char *json)
{
	if (!tf)
		return 0;
	fflush(stdout);		/* the trace may go to /dev/stdout */
	if (thpsim_trace_commit(tf, json)) {
		fprintf(stderr, "thpsim: error: %s\n", thpsim_errmsg());
		return EXIT_INTERNAL;
	}
	return 0;
}

static int replay_print(const char *schedule, const thpsim_run_config_t *rc,
			thpsim_run_result_t *res, const struct model_opts *mo)
{
	char knobs[128];

	model_knobs_text(&rc->knobs, knobs, sizeof(knobs));
	printf("%s on %s with fix %s (geometry %s, knobs %s), schedule %s: %s\n",
	       rc->scenario, mo->profile, mo->fix, mo->geometry, knobs,
	       schedule, thpsim_outcome_name(res->verdict.outcome));
	if (res->timeline)
		printf("\n%s\n", res->timeline);
	if (res->verdict_text)
		printf("%s", res->verdict_text);
	return thpsim_outcome_is_violation(res->verdict.outcome) ?
		       EXIT_VIOLATION : EXIT_CLEAN;
}

static int replay_run(const char *schedule, thpsim_run_config_t *rc,
		      const struct model_opts *mo, const char *trace)
{
	thpsim_trace_file_t *tf;
	thpsim_run_result_t res;
	int err;

	if (thpsim_schedule_check(rc, schedule))
		return opts_error("replay: --schedule: %s", thpsim_errmsg());
	if (cli_trace_open(trace, &tf))
		return EXIT_USAGE;
	rc->trace = tf != NULL;
	err = thpsim_replay(rc, schedule, &res);
	if (err) {
		thpsim_trace_abort(tf);
		if (err == -THPSIM_EINVAL)
			return opts_error("replay: %s", thpsim_errmsg());
		fprintf(stderr, "thpsim: internal error: %s\n", thpsim_errmsg());
		return EXIT_INTERNAL;
	}
	err = cli_trace_commit(tf, res.trace);
	if (!err)
		err = replay_print(schedule, rc, &res, mo);
	thpsim_run_result_fini(&res);
	return err;
}

int cmd_replay(int argc, char **argv)
{
	struct model_opts mo;
	bool timeline = false;
	uint64_t width = 132;
	const char *schedule = NULL, *trace = NULL;
	const struct opt opts[] = {
		MODEL_CONFIG_OPTS(&mo),
		{ "schedule", OPT_STRING, &schedule, "STRING", "the schedule string explore printed (required)", 0, 0, NULL, NULL },
		{ "timeline", OPT_FLAG, &timeline, NULL, "print the step-by-step timeline, one column per thread", 0, 0, NULL, NULL },
		{ "width", OPT_UINT, &width, "N", "timeline width in columns", 60, 1000, NULL, "132" },
		{ "trace", OPT_STRING, &trace, "FILE.json", "write a Perfetto trace of the run (ui.perfetto.dev)", 0, 0, NULL, NULL },
		{ NULL, OPT_FLAG, NULL, NULL, NULL, 0, 0, NULL, NULL },
	};
	const struct cmd cmd = {
		"replay", "thpsim replay SCENARIO --schedule STRING [--profile P] [--fix F] [--geometry LxE] [knobs] [--timeline] [--trace FILE.json]",
		"Re-run exactly the interleaving a schedule string recorded (explore prints them).\n"
		"The configuration flags must be those it was recorded with.\n"
		"Exit status: 0 no violation, 1 violation, 2 bad usage or schedule, 3 internal or output error.",
		opts, 1,
	};
	const char *pos[1] = { NULL };
	thpsim_run_config_t rc;
	int n = 0, err;

	model_opts_init(&mo);
	thpsim_run_config_init(&rc);
	err = opts_parse(&cmd, argc, argv, pos, &n);
	if (err)
		return err == OPTS_HELP ? EXIT_CLEAN : EXIT_USAGE;
	if (cli_model_config("replay", pos[0], &mo, &rc))
		return EXIT_USAGE;
	if (!schedule)
		return opts_error("replay: missing --schedule STRING (explore prints one for each violation)");
	rc.timeline = timeline;
	rc.timeline_width = (unsigned)width;
	return replay_run(schedule, &rc, &mo, trace);
}
