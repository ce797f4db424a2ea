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

#include "cli_list.h"
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
	const char *scenarios, *profiles, *fixes;	/* --matrix lists */
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

/* One cell: "SCRIPTED/WORST N" with "+" when the bound was reached, "!"
 * when the script is safe and another interleaving breaks, and N the
 * inequivalent interleavings explored. */
static int matrix_cell(thpsim_explore_config_t *ec, char *buf, size_t len,
		       int *interesting, bool *proved)
{
	thpsim_run_result_t res;
	thpsim_explore_result_t xr;
	thpsim_outcome_t s, w;
	char out[48];

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
	*proved = xr.exhausted;
	snprintf(out, sizeof(out), "%s/%s%s%s", thpsim_outcome_name(s),
		 w < THPSIM_OUTCOME__NR ? thpsim_outcome_name(w) : "-",
		 xr.exhausted ? "" : "+", *interesting ? "!" : "");
	snprintf(buf, len, "%-22s %9llu", out,
		 (unsigned long long)xr.schedules);
	thpsim_explore_result_fini(&xr);
	return 0;
}

static int scenario_ok(const char *id)
{
	if (thpsim_scenario_find(id))
		return 0;
	return opts_error("--scenarios: %s", thpsim_errmsg());
}

static int verify_matrix(thpsim_explore_config_t *ec, const struct list *sl,
			 const struct list *pl, const struct list *fl)
{
	unsigned nint = 0, nproved = 0, ncells = 0;

	printf("verify matrix: scripted/worst over all interleavings and the number explored (dpor, at most %llu per cell; '+' bound reached, '!' script safe but an interleaving breaks)\n",
	       (unsigned long long)ec->iterations);
	for (int i = 0; i < sl->n; i++)
		for (int p = 0; p < pl->n; p++) {
			printf("%-4s %-14s", sl->item[i], pl->item[p]);
			for (int f = 0; f < fl->n; f++) {
				char cell[64];
				int in = 0;
				bool proved = false;

				ec->run.scenario = sl->item[i];
				ec->run.profile = pl->item[p];
				ec->run.fix = fl->item[f];
				if (matrix_cell(ec, cell, sizeof(cell), &in,
						&proved)) {
					fprintf(stderr, "\nthpsim: internal error: %s\n",
						thpsim_errmsg());
					return EXIT_INTERNAL;
				}
				nint += (unsigned)in;
				nproved += proved;
				ncells++;
				printf(" %-15s:%-32s", fl->item[f], cell);
				fflush(stdout);
			}
			printf("\n");
			fflush(stdout);
		}
	printf("cells explored to the end (proofs): %u of %u\n", nproved, ncells);
	printf("cells where the script is safe and another interleaving breaks: %u\n",
	       nint);
	return nint ? EXIT_VIOLATION : EXIT_CLEAN;
}

/* --matrix's lists: the given ones, else every scenario, every profile
 * and the four fixes of the comparison. */
static int matrix_lists(const struct verify_args *a, struct list *sl,
			struct list *pl, struct list *fl)
{
	char sc[512] = "", pr[512] = "";
	const thpsim_profile_t *const *p = thpsim_profile_list();
	const thpsim_scenario_info_t *s;
	unsigned n;
	size_t o = 0;

	s = thpsim_scenario_list(&n);
	for (unsigned i = 0; i < n && o < sizeof(sc); i++)
		o += (size_t)snprintf(sc + o, sizeof(sc) - o, "%s%s",
				      i ? "," : "", s[i].id);
	o = 0;
	for (int i = 0; p[i] && o < sizeof(pr); i++)
		o += (size_t)snprintf(pr + o, sizeof(pr) - o, "%s%s",
				      i ? "," : "", p[i]->name);
	if (cli_parse_list("scenarios", a->scenarios ? a->scenarios : sc, sl,
			   scenario_ok) ||
	    cli_parse_list("profiles", a->profiles ? a->profiles : pr, pl,
			   model_check_profiles_item) ||
	    cli_parse_list("fixes", a->fixes ? a->fixes :
			   "none,ipi-sync,fresh-table,pte-free-defer", fl,
			   model_check_fixes_item))
		return OPTS_USAGE;
	return OPTS_OK;
}

int cmd_verify(int argc, char **argv)
{
	struct verify_args a = { .stats_interval = CLI_STATS_DEFAULT };
	const struct opt opts[] = {
		MODEL_CONFIG_OPTS(&a.mo),
		{ "iterations", OPT_UINT, &a.iterations, "N", "interleavings to explore at most (a bound: exit 4 when reached)", 1, 1000000000, NULL, "no bound; --matrix: 2000" },
		{ "matrix", OPT_FLAG, &a.matrix, NULL, "every scenario x profile x fix", 0, 0, NULL, NULL },
		{ "scenarios", OPT_STRING, &a.scenarios, "LIST", "--matrix: comma-separated scenario ids", 0, 0, NULL, "all" },
		{ "profiles", OPT_STRING, &a.profiles, "LIST", "--matrix: comma-separated profiles", 0, 0, NULL, "all" },
		{ "fixes", OPT_STRING, &a.fixes, "LIST", "--matrix: comma-separated fixes", 0, 0, NULL, "none,ipi-sync,fresh-table,pte-free-defer" },
		CLI_STATS_OPT(&a.stats_interval),
		{ NULL, OPT_FLAG, NULL, NULL, NULL, 0, 0, NULL, NULL },
	};
	const struct cmd cmd = {
		"verify", "thpsim verify SCENARIO [--profile P] [--fix F] [--geometry LxE] [knobs] [--iterations N] | thpsim verify --matrix [--scenarios LIST] [--profiles LIST] [--fixes LIST] [--geometry LxE] [--iterations N]",
		"Explore every inequivalent interleaving of a scenario (dynamic partial-order\n"
		"reduction, docs/VERIFY.md).\n"
		"Exit status: 0 all explored, no violation (a proof for this model and\n"
		"configuration), 1 violation (its schedule replays with 'thpsim replay'),\n"
		"2 bad usage, 3 internal error, 4 bound reached (no violation among those\n"
		"explored: not a proof), 128+N stopped by signal N (what was explored is\n"
		"printed).  --matrix: 1 when some cell's script is safe but\n"
		"another interleaving breaks.  A sweep shards by scenario, e.g.\n"
		"parallel thpsim verify --matrix --scenarios {} ::: S1 S2 S3 (docs/VERIFY.md).",
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
	if (!a.matrix && (a.scenarios || a.profiles || a.fixes)) {
		fprintf(stderr, "thpsim verify: --%s needs --matrix (one cell takes --profile and --fix)\n",
			a.scenarios ? "scenarios" : a.profiles ? "profiles" : "fixes");
		return EXIT_USAGE;
	}
	if (cli_model_config("verify", a.matrix ? "S1" : pos[0], &a.mo, &ec.run))
		return EXIT_USAGE;
	ec.policy = THPSIM_POLICY_DPOR;
	ec.iterations = a.iterations ? a.iterations : a.matrix ? 2000 : 0;
	if (a.matrix) {
		struct list sl = { 0 }, pl = { 0 }, fl = { 0 };

		err = matrix_lists(&a, &sl, &pl, &fl) ? EXIT_USAGE :
		      verify_matrix(&ec, &sl, &pl, &fl);
		free(sl.buf);
		free(pl.buf);
		free(fl.buf);
		return err;
	}
	return verify_one(&ec, &a.mo, a.stats_interval);
}
