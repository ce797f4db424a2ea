/*
 * cmd_verify.c - `thpsim verify SCENARIO`: every inequivalent
 * interleaving (--policy dpor, docs/VERIFY.md), answered as a proof, a
 * replayable violation, or "bound reached"; `thpsim verify --matrix`: the
 * worst outcome over all interleavings of every cell beside its scripted
 * outcome.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_progress.h"
#include "cli_replay.h"
#include "cli_signal.h"
#include "cmds.h"

#define EXIT_BOUND 4	/* bound reached: no proof */

struct verify_args {
	struct model_opts mo;
	uint64_t iterations;
	uint64_t stats_interval;
	bool matrix;
};

/* Set from the signal handler (cli_signal.h): the exploration ends
 * before its next interleaving and what it explored is printed. */
static volatile sig_atomic_t verify_stop;

static void stop_verify(void)
{
	verify_stop = 1;
}

static void verify_progress(const thpsim_explore_result_t *so_far, void *arg)
{
	struct cli_progress *p = arg;
	double secs;

	if (!cli_progress_due(p))
		return;
	secs = (double)(cli_progress_now_ns() - p->start_ns) / 1e9;
	cli_progress_line(p, "verify", secs, "%llu interleavings (%.0f/s), no violation yet",
			  (unsigned long long)so_far->schedules,
			  (double)so_far->schedules / secs);
}

/* The most severe outcome any explored schedule had (classes are in
 * order of severity, thpsim/lab.h). */
static thpsim_outcome_t worst(const thpsim_explore_result_t *xr)
{
	for (int c = 0; c < THPSIM_OUTCOME__NR; c++)
		if (xr->counts[c])
			return (thpsim_outcome_t)c;
	return THPSIM_OUTCOME__NR;
}

static int verify_one(thpsim_explore_config_t *ec, const struct model_opts *mo,
		      uint64_t stats_interval)
{
	thpsim_explore_result_t xr;
	struct cli_progress prog;
	int rc, err;

	printf("verify %s on %s with fix %s (geometry %s), dpor%s\n",
	       ec->run.scenario, mo->profile, mo->fix, mo->geometry,
	       ec->iterations ? "" : " (no bound)");
	fflush(stdout);
	cli_progress_init(&prog, stats_interval);
	ec->stop = &verify_stop;
	ec->progress = verify_progress;
	ec->progress_arg = &prog;
	cli_signals_stop(stop_verify);
	err = thpsim_explore(&ec[0], &xr);
	cli_progress_end(&prog);
	cli_signals_stop(NULL);
	if (err) {
		fprintf(stderr, "thpsim: internal error: %s\n", thpsim_errmsg());
		return EXIT_INTERNAL;
	}
	if (xr.found) {
		printf("violation: %s in interleaving %llu (%llu explored)\n",
		       thpsim_outcome_name(xr.first_outcome),
		       (unsigned long long)xr.first_index + 1,
		       (unsigned long long)xr.schedules);
		printf("schedule: %s\nreplay: ",
		       xr.first_schedule ? xr.first_schedule : "(out of memory)");
		if (xr.first_schedule)
			cli_print_replay(stdout, &ec->run, mo, xr.first_schedule);
		rc = EXIT_VIOLATION;
	} else if (xr.interrupted) {
		printf("stopped by signal %d (%s) after %llu interleavings: no violation among them (not a proof)\n",
		       (int)cli_stop_signal, strsignal(cli_stop_signal),
		       (unsigned long long)xr.schedules);
		rc = cli_exit_status(false);
	} else if (xr.exhausted) {
		printf("all %llu inequivalent interleavings explored: no violation (worst %s)\n",
		       (unsigned long long)xr.schedules,
		       thpsim_outcome_name(worst(&xr)));
		rc = EXIT_CLEAN;
	} else {
		printf("bound reached after %llu interleavings: no violation among them (not a proof)\n",
		       (unsigned long long)xr.schedules);
		rc = EXIT_BOUND;
	}
	thpsim_explore_result_fini(&xr);
	return rc;
}

static const char *const fixes[] = { "none", "ipi-sync", "fresh-table",
				     "pte-free-defer", NULL };

/* One cell: "SCRIPTED/WORST" with "+" when the bound was reached and
 * "!" when the script is safe and another interleaving breaks. */
static int matrix_cell(thpsim_explore_config_t *ec, char *buf, size_t len,
		       int *interesting)
{
	thpsim_run_result_t res;
	thpsim_explore_result_t xr;
	thpsim_outcome_t s, w;

	if (thpsim_scenario_run(&ec->run, &res))
		return -1;
	s = res.verdict.outcome;
	thpsim_run_result_fini(&res);
	if (thpsim_explore(ec, &xr))
		return -1;
	w = worst(&xr);
	if (s < w)
		w = s;		/* the script's interleaving is one of them */
	*interesting = !thpsim_outcome_is_violation(s) && xr.found;
	snprintf(buf, len, "%s/%s%s%s", thpsim_outcome_name(s),
		 w < THPSIM_OUTCOME__NR ? thpsim_outcome_name(w) : "-",
		 xr.exhausted ? "" : "+", *interesting ? "!" : "");
	thpsim_explore_result_fini(&xr);
	return 0;
}

static int verify_matrix(thpsim_explore_config_t *ec)
{
	const thpsim_profile_t *const *pl = thpsim_profile_list();
	const thpsim_scenario_info_t *sl;
	unsigned ns, nint = 0;

	sl = thpsim_scenario_list(&ns);
	printf("verify matrix: scripted/worst over all interleavings (dpor, at most %llu per cell; '+' bound reached, '!' script safe but an interleaving breaks)\n",
	       (unsigned long long)ec->iterations);
	for (unsigned i = 0; i < ns; i++)
		for (int p = 0; pl[p]; p++) {
			printf("%-4s %-14s", sl[i].id, pl[p]->name);
			for (int f = 0; fixes[f]; f++) {
				char cell[64];
				int in = 0;

				ec->run.scenario = sl[i].id;
				ec->run.profile = pl[p]->name;
				ec->run.fix = fixes[f];
				if (matrix_cell(ec, cell, sizeof(cell), &in)) {
					fprintf(stderr, "\nthpsim: internal error: %s\n",
						thpsim_errmsg());
					return EXIT_INTERNAL;
				}
				nint += (unsigned)in;
				printf(" %-15s:%-24s", fixes[f], cell);
			}
			printf("\n");
			fflush(stdout);
		}
	printf("cells where the script is safe and another interleaving breaks: %u\n",
	       nint);
	return nint ? EXIT_VIOLATION : EXIT_CLEAN;
}

int cmd_verify(int argc, char **argv)
{
	struct verify_args a = { .stats_interval = CLI_STATS_DEFAULT };
	const struct opt opts[] = {
		MODEL_CONFIG_OPTS(&a.mo),
		{ "iterations", OPT_UINT, &a.iterations, "N", "interleavings to explore at most (a bound: exit 4 when reached)", 1, 1000000000, NULL, "no bound; --matrix: 2000" },
		{ "matrix", OPT_FLAG, &a.matrix, NULL, "every scenario x profile x fix", 0, 0, NULL, NULL },
		CLI_STATS_OPT(&a.stats_interval),
		{ NULL, OPT_FLAG, NULL, NULL, NULL, 0, 0, NULL, NULL },
	};
	const struct cmd cmd = {
		"verify", "thpsim verify SCENARIO [--profile P] [--fix F] [--geometry LxE] [knobs] [--iterations N] | thpsim verify --matrix [--geometry LxE] [--iterations N]",
		"Explore every inequivalent interleaving of a scenario (dynamic partial-order\n"
		"reduction, docs/VERIFY.md).\n"
		"Exit status: 0 all explored, no violation (a proof for this model and\n"
		"configuration), 1 violation (its schedule replays with 'thpsim replay'),\n"
		"2 bad usage, 3 internal error, 4 bound reached (no violation among those\n"
		"explored: not a proof), 128+N stopped by signal N (what was explored is\n"
		"printed).  --matrix: 1 when some cell's script is safe but\n"
		"another interleaving breaks.",
		opts, 1,
	};
	const char *pos[1] = { NULL };
	thpsim_explore_config_t ec;
	int n = 0, err;

	model_opts_init(&a.mo);
	thpsim_explore_config_init(&ec);
	err = opts_parse(&cmd, argc, argv, pos, &n);
	if (err)
		return err == OPTS_HELP ? EXIT_CLEAN : EXIT_USAGE;
	if (a.matrix && pos[0]) {
		fprintf(stderr, "thpsim verify: --matrix runs every scenario: drop '%s'\n",
			pos[0]);
		return EXIT_USAGE;
	}
	if (cli_model_config("verify", a.matrix ? "S1" : pos[0], &a.mo, &ec.run))
		return EXIT_USAGE;
	ec.policy = THPSIM_POLICY_DPOR;
	ec.iterations = a.iterations ? a.iterations : a.matrix ? 2000 : 0;
	return a.matrix ? verify_matrix(&ec) : verify_one(&ec, &a.mo, a.stats_interval);
}
