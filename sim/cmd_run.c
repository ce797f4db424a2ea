/*
 * cmd_run.c - `thpsim run SCENARIO`: one scripted deterministic run,
 * its outcome with evidence, and optionally the timeline that explains it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_replay.h"
#include "cmds.h"
#include "model_opts.h"
#include "run_quiz.h"

/* "thpsim run S1 --profile x86 --fix none [knobs]": the command again,
 * for the quiz's "check with" lines. */
static void quiz_cmdline(char *buf, size_t len, const thpsim_run_config_t *rc,
			 const struct model_opts *mo)
{
	char knobs[128];

	model_knobs_flags(rc, knobs, sizeof(knobs));
	snprintf(buf, len, "%s run %s --profile %s --fix %s --geometry %s%s",
		 cli_invocation(), thpsim_scenario_find(rc->scenario)->id, rc->profile, rc->fix,
		 mo->geometry, knobs);
}

int cmd_run(int argc, char **argv)
{
	struct model_opts mo;
	bool timeline = false;
	uint64_t width = 132;
	const char *trace = NULL;
	bool predict = false, solve = false;
	const char *answer = NULL;
	thpsim_trace_file_t *tf;
	const struct opt opts[] = {
		MODEL_CONFIG_OPTS(&mo),
		{ "timeline", OPT_FLAG, &timeline, NULL, "print the step-by-step timeline, one column per thread", 0, 0, NULL, NULL },
		{ "width", OPT_UINT, &width, "N", "timeline width in columns", 60, 1000, NULL, "132" },
		{ "trace", OPT_STRING, &trace, "FILE.json", "write a Perfetto trace of the run (ui.perfetto.dev)", 0, 0, NULL, NULL },
		{ "predict", OPT_FLAG, &predict, NULL, "lab mode: print the question, not the outcome", 0, 0, NULL, NULL },
		{ "answer", OPT_STRING, &answer, "OUTCOME", "lab mode: say only whether OUTCOME is the run's outcome (exit 0 right, 1 wrong)", 0, 0, NULL, NULL },
		{ "solve", OPT_FLAG, &solve, NULL, "lab mode: the outcome with its timeline (same as --timeline)", 0, 0, NULL, NULL },
		{ NULL, OPT_FLAG, NULL, NULL, NULL, 0, 0, NULL, NULL },
	};
	const struct cmd cmd = {
		"run", "thpsim run SCENARIO [--profile P] [--fix F] [--geometry LxE] [knobs] [--timeline] [--trace FILE.json]\n"
		"   or: thpsim run SCENARIO [model options] --predict | --answer OUTCOME | --solve",
		"Run one scenario's scripted interleaving deterministically and judge it.\n"
		"Exit status: 0 no violation, 1 violation, 2 bad usage, 3 internal or output error.",
		opts, 1,
	};
	const char *pos[1] = { NULL };
	thpsim_run_config_t rc;
	thpsim_run_result_t res;
	char knobs[128], cmdline[2560];
	int n = 0, err;

	model_opts_init(&mo);
	thpsim_run_config_init(&rc);
	err = opts_parse(&cmd, argc, argv, pos, &n);
	if (err)
		return err == OPTS_HELP ? EXIT_CLEAN : EXIT_USAGE;
	if (n < 1)
		return opts_error("run: missing SCENARIO (see 'thpsim list')");
	if (!thpsim_scenario_find(pos[0]))
		return opts_error("run: %s", thpsim_errmsg());
	if (model_check_profile(mo.profile) || model_check_fix(mo.fix) ||
	    model_opts_apply(&mo, &rc))
		return EXIT_USAGE;
	rc.scenario = pos[0];
	rc.profile = mo.profile;
	rc.fix = mo.fix;
	if ((predict ? 1 : 0) + (answer ? 1 : 0) + (solve ? 1 : 0) > 1)
		return opts_error("run: --predict, --answer and --solve are three steps of one exercise: give one");
	if (answer && thpsim_outcome_parse(answer) < 0) {
		char names[256] = "";

		for (int c = 0; c < THPSIM_OUTCOME__NR; c++)
			snprintf(names + strlen(names), sizeof(names) - strlen(names),
				 "%s%s", c ? ", " : "", thpsim_outcome_name((thpsim_outcome_t)c));
		return opts_error("run: --answer: unknown outcome '%s' (one of %s)",
				  opts_show(answer), names);
	}
	if ((predict || answer) && (timeline || trace))
		return opts_error("run: --predict and --answer hide the outcome; --timeline and --trace would show it (use --solve)");
	if (predict || answer)
		quiz_cmdline(cmdline, sizeof(cmdline), &rc, &mo);
	if (predict)
		return run_quiz_ask(&rc, cmdline);
	if (solve)
		timeline = true;
	rc.timeline = timeline;
	rc.timeline_width = (unsigned)width;
	if (cli_trace_open(trace, &tf))
		return EXIT_USAGE;
	rc.trace = tf != NULL;
	if (thpsim_scenario_run(&rc, &res)) {
		thpsim_trace_abort(tf);
		fprintf(stderr, "thpsim: internal error: %s\n", thpsim_errmsg());
		return EXIT_INTERNAL;
	}
	if (cli_trace_commit(tf, res.trace)) {
		thpsim_run_result_fini(&res);
		return EXIT_INTERNAL;
	}
	if (answer) {
		err = run_quiz_answer(&res, answer, cmdline);
		thpsim_run_result_fini(&res);
		return err;
	}
	model_knobs_text(&rc.knobs, knobs, sizeof(knobs));
	printf("%s on %s with fix %s (geometry %s, knobs %s): %s\n",
	       thpsim_scenario_find(pos[0])->id, mo.profile, mo.fix,
	       mo.geometry, knobs, thpsim_outcome_name(res.verdict.outcome));
	if (res.timeline)
		printf("\n%s\n", res.timeline);
	if (res.verdict_text)
		printf("%s", res.verdict_text);
	err = thpsim_outcome_is_violation(res.verdict.outcome) ?
		      EXIT_VIOLATION : EXIT_CLEAN;
	thpsim_run_result_fini(&res);
	return err;
}
