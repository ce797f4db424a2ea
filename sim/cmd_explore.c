/*
 * cmd_explore.c - `thpsim explore SCENARIO --policy random|pct|dfs`: many
 * deterministic runs under an exploration policy; outcome counts, and the
 * first violation as a schedule string with the command that replays it.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli_progress.h"
#include "cli_replay.h"
#include "cli_signal.h"
#include "cmds.h"
#include "explore_json.h"

static const char *const policies[] = { "random", "pct", "dfs", "dpor", NULL };
static const char *const xformats[] = { "text", "json", NULL };

struct explore_args {
	struct model_opts mo;
	int policy;
	uint64_t iterations, seed, depth, preemptions;
	const char *switch_prob, *trace, *shard_s;
	bool seed_set;
	uint64_t stats_interval;
	int format;			/* 0 text, 1 json (explore_json.c) */
	struct shard shard;
	uint64_t config;
};

/* Set from the signal handler (cli_signal.h); explore checks it between
 * schedules. */
static volatile sig_atomic_t explore_stop;

static void stop_explore(void)
{
	explore_stop = 1;
}

static void explore_progress(const thpsim_explore_result_t *so_far, void *arg)
{
	struct cli_progress *p = arg;
	double secs;

	if (!cli_progress_due(p))
		return;
	secs = (double)(cli_progress_now_ns() - p->start_ns) / 1e9;
	if (so_far->found)
		cli_progress_line(p, "explore", secs,
				  "%llu schedules (%.0f/s), %llu distinct states, %llu violations (first: %s in schedule %llu)",
				  (unsigned long long)so_far->schedules,
				  (double)so_far->schedules / secs,
				  (unsigned long long)so_far->distinct_states,
				  (unsigned long long)so_far->violations,
				  thpsim_outcome_name(so_far->first_outcome),
				  (unsigned long long)so_far->first_index + 1);
	else
		cli_progress_line(p, "explore", secs,
				  "%llu schedules (%.0f/s), %llu distinct states, no violation yet",
				  (unsigned long long)so_far->schedules,
				  (double)so_far->schedules / secs,
				  (unsigned long long)so_far->distinct_states);
}

/* A probability in (0, 1]: plain decimal, no spaces, no inf or nan. */
static int parse_prob(const char *s, double *out)
{
	char *end = NULL;
	double v;

	if (!s || !*s || isspace((unsigned char)s[0]))
		v = NAN;
	else
		v = strtod(s, &end);
	if (!end || *end || !isfinite(v) || strpbrk(s, "xXpP"))
		return opts_error("--switch-prob: '%s' is not a number (a decimal such as 0.05)",
				  opts_show(s ? s : ""));
	if (!(v > 0.0 && v <= 1.0))
		return opts_error("--switch-prob: %s is out of range (allowed: greater than 0, at most 1)",
				  opts_show(s));
	*out = v;
	return OPTS_OK;
}

/* Options that belong to another policy are refused, not ignored. */
static int check_policy_opts(const struct explore_args *a)
{
	static const char *const need[] = { "random", "pct", "dfs", "dpor" };

	if (a->switch_prob && a->policy != THPSIM_POLICY_RANDOM)
		return opts_error("--switch-prob: applies to --policy random only (this is %s)",
				  need[a->policy]);
	if (a->depth && a->policy != THPSIM_POLICY_PCT)
		return opts_error("--depth: applies to --policy pct only (this is %s)",
				  need[a->policy]);
	if (a->preemptions != UINT64_MAX && a->policy != THPSIM_POLICY_DFS)
		return opts_error("--preemptions: applies to --policy dfs only (this is %s)",
				  need[a->policy]);
	if (a->seed_set && (a->policy == THPSIM_POLICY_DFS ||
			    a->policy == THPSIM_POLICY_DPOR))
		return opts_error("--seed: --policy %s is exhaustive and takes no seed",
				  need[a->policy]);
	return OPTS_OK;
}

/* --shard K/N: random only (thpsim/explore.h says why), as JSON. */
static int explore_shard(struct explore_args *a, thpsim_explore_config_t *ec)
{
	if (shard_parse("shard", a->shard_s, &a->shard))
		return OPTS_USAGE;
	if (a->policy != THPSIM_POLICY_RANDOM)
		return opts_error("--shard: applies to --policy random only (pct learns from earlier schedules, dfs walks one tree; shard those by seed or by scenario)");
	if (a->format != 1)
		return opts_error("--shard: needs --format json (the text output cannot be merged)");
	ec->shard_k = a->shard.k;
	ec->shard_n = a->shard.n;
	return OPTS_OK;
}

static int explore_config(struct explore_args *a, thpsim_explore_config_t *ec)
{
	if (check_policy_opts(a))
		return OPTS_USAGE;
	ec->policy = (thpsim_policy_t)a->policy;
	if (a->switch_prob && parse_prob(a->switch_prob, &ec->switch_prob))
		return OPTS_USAGE;
	if (a->depth)
		ec->depth = (unsigned)a->depth;
	if (a->preemptions != UINT64_MAX)
		ec->preemptions = (unsigned)a->preemptions;
	if (a->shard_s && explore_shard(a, ec))
		return OPTS_USAGE;
	if (a->format == 1 && a->trace)
		return opts_error("--trace: not with --format json (its note would break the JSON)");
	ec->seed = a->seed;
	ec->iterations = a->iterations ? a->iterations :
			 ec->policy == THPSIM_POLICY_DFS ||
			 ec->policy == THPSIM_POLICY_DPOR ? 0 : 1000;
	return OPTS_OK;
}

static void print_header(const thpsim_explore_config_t *ec,
			 const struct model_opts *mo)
{
	char knobs[128];

	model_knobs_text(&ec->run.knobs, knobs, sizeof(knobs));
	printf("explore %s on %s with fix %s (geometry %s, knobs %s), policy %s",
	       ec->run.scenario, mo->profile, mo->fix, mo->geometry, knobs,
	       thpsim_policy_name(ec->policy));
	if (ec->policy == THPSIM_POLICY_RANDOM)
		printf(" (seed %llu, switch-prob %g)",
		       (unsigned long long)ec->seed, ec->switch_prob);
	else if (ec->policy == THPSIM_POLICY_PCT)
		printf(" (seed %llu, depth %u)", (unsigned long long)ec->seed,
		       ec->depth);
	else if (ec->policy == THPSIM_POLICY_DFS)
		printf(" (preemptions %u)", ec->preemptions);
	printf("\n");
}

static void print_result(const thpsim_explore_config_t *ec,
			 const thpsim_explore_result_t *xr,
			 const struct model_opts *mo, double secs)
{
	printf("schedules run: %llu%s in %.3f s (%.0f schedules/s)\n",
	       (unsigned long long)xr->schedules,
	       xr->exhausted ? (ec->policy == THPSIM_POLICY_DPOR ?
				" (every inequivalent schedule)" :
				" (every schedule within the bound)") :
	       xr->interrupted ? " (interrupted)" : "",
	       secs, secs > 0 ? (double)xr->schedules / secs : 0.0);
	if (xr->interrupted)
		printf("stopped by signal %d (%s) before the end: what ran is below\n",
		       (int)cli_stop_signal, strsignal(cli_stop_signal));
	printf("distinct terminal states: %llu\n",
	       (unsigned long long)xr->distinct_states);
	printf("outcomes:\n");
	for (int c = 0; c < THPSIM_OUTCOME__NR; c++)
		if (xr->counts[c])
			printf("  %-12s %llu\n", thpsim_outcome_name((thpsim_outcome_t)c),
			       (unsigned long long)xr->counts[c]);
	printf("schedules that exercised the race: %llu\n",
	       (unsigned long long)xr->exercised);
	if (!xr->found) {
		printf("no violation found%s\n",
		       xr->interrupted ? " in the schedules that ran" : "");
		if (!xr->exercised && !xr->interrupted)
			printf("vacuous: in no schedule did a walker read a table unhooked during its walk, or an entry that changed before its walk ended\n");
		return;
	}
	printf("first violation: %s, in schedule %llu (%llu violating schedules in all)\n",
	       thpsim_outcome_name(xr->first_outcome),
	       (unsigned long long)xr->first_index + 1,
	       (unsigned long long)xr->violations);
	printf("schedule: %s\nreplay: ", xr->first_schedule ? xr->first_schedule : "(out of memory)");
	if (xr->first_schedule)
		cli_print_replay(stdout, &ec->run, mo, xr->first_schedule);
}

/* --trace: the first violation, replayed with the trace on. */
static int trace_first(thpsim_trace_file_t *tf, thpsim_explore_config_t *ec,
		       const thpsim_explore_result_t *xr)
{
	thpsim_run_result_t res;
	int err;

	if (!tf)
		return 0;
	if (!xr->found || !xr->first_schedule) {
		thpsim_trace_abort(tf);
		printf("trace: not written (no violation)\n");
		return 0;
	}
	ec->run.trace = true;
	if (thpsim_replay(&ec->run, xr->first_schedule, &res)) {
		thpsim_trace_abort(tf);
		fprintf(stderr, "thpsim: internal error: %s\n", thpsim_errmsg());
		return EXIT_INTERNAL;
	}
	err = cli_trace_commit(tf, res.trace);
	thpsim_run_result_fini(&res);
	return err;
}

/* --format json: no timing, the run's outcome in the exit status. */
static int explore_run_json(thpsim_explore_config_t *ec, const struct explore_args *a)
{
	thpsim_explore_result_t xr;
	int err;

	if (thpsim_explore(ec, &xr)) {
		fprintf(stderr, "thpsim: internal error: %s\n", thpsim_errmsg());
		return EXIT_INTERNAL;
	}
	err = explore_print_json(ec, &xr, &a->mo, &a->shard, a->config);
	if (!err)
		err = xr.found ? EXIT_VIOLATION :
		      xr.exercised ? EXIT_CLEAN : EXIT_VACUOUS;
	thpsim_explore_result_fini(&xr);
	return err;
}

static int explore_run(thpsim_explore_config_t *ec, const struct model_opts *mo,
		       const char *trace, uint64_t stats_interval)
{
	thpsim_explore_result_t xr;
	thpsim_trace_file_t *tf;
	struct timespec t0, t1;
	struct cli_progress prog;
	int err;

	if (cli_trace_open(trace, &tf))
		return EXIT_USAGE;
	print_header(ec, mo);
	fflush(stdout);
	cli_progress_init(&prog, stats_interval);
	ec->stop = &explore_stop;
	ec->progress = explore_progress;
	ec->progress_arg = &prog;
	cli_signals_stop(stop_explore);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	err = thpsim_explore(ec, &xr);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	cli_progress_end(&prog);
	if (err) {
		thpsim_trace_abort(tf);
		fprintf(stderr, "thpsim: internal error: %s\n", thpsim_errmsg());
		return EXIT_INTERNAL;
	}
	print_result(ec, &xr, mo, (double)(t1.tv_sec - t0.tv_sec) +
				  (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	fflush(stdout);		/* all that was found, before anything else */
	err = trace_first(tf, ec, &xr);
	cli_signals_stop(NULL);
	if (!err) {
		err = cli_exit_status(xr.found);
		if (err == EXIT_CLEAN && !xr.exercised)
			err = EXIT_VACUOUS;
	}
	thpsim_explore_result_fini(&xr);
	return err;
}

int cmd_explore(int argc, char **argv)
{
	struct explore_args a = { .preemptions = UINT64_MAX, .seed = 1,
				  .stats_interval = CLI_STATS_DEFAULT };
	const struct opt opts[] = {
		MODEL_CONFIG_OPTS(&a.mo),
		{ "policy", OPT_CHOICE, &a.policy, "POLICY", "how the next thread is chosen", 0, 0, policies, "random" },
		{ "iterations", OPT_UINT, &a.iterations, "N", "schedules to run at most", 1, 1000000000, NULL, "1000; dfs, dpor: all" },
		{ "seed", OPT_UINT, &a.seed, "S", "random and pct: seed", 0, UINT64_MAX, NULL, "1" },
		{ "switch-prob", OPT_STRING, &a.switch_prob, "X", "random: probability of a switch at each point, in (0, 1]", 0, 0, NULL, "0.05" },
		{ "depth", OPT_UINT, &a.depth, "D", "pct: bug depth (D - 1 priority change points)", 1, 64, NULL, "3" },
		{ "preemptions", OPT_UINT, &a.preemptions, "K", "dfs: preemptions per schedule at most", 0, 16, NULL, "2" },
		{ "trace", OPT_STRING, &a.trace, "FILE.json", "write a Perfetto trace of the first violation", 0, 0, NULL, NULL },
		CLI_STATS_OPT(&a.stats_interval),
		{ "format", OPT_CHOICE, &a.format, "FMT", "output format (json: no timings, mergeable)", 0, 0, xformats, "text" },
		{ "shard", OPT_STRING, &a.shard_s, "K/N", "random: run only schedules i with i % N == K-1, as JSON for thpsim merge", 0, 0, NULL, NULL },
		{ NULL, OPT_FLAG, NULL, NULL, NULL, 0, 0, NULL, NULL },
	};
	const struct cmd cmd = {
		"explore", "thpsim explore SCENARIO [--profile P] [--fix F] [--geometry LxE] [knobs] --policy random|pct|dfs|dpor [--iterations N] [--seed S] [--switch-prob X] [--depth D] [--preemptions K] [--trace FILE.json] [--stats-interval SECONDS]",
		"Run a scenario under many interleavings chosen by a policy (never by its script);\n"
		"count outcomes, and print the first violation's schedule string and replay command.\n"
		"SIGINT, SIGTERM or SIGHUP ends it early and prints what was found (a second one kills).\n"
		"Exit status: 0 no violation, 1 violation, 2 bad usage, 3 internal or output error,\n"
		"5 vacuous: no violation, and no schedule exercised the race: in none did a\n"
		"walker read a table unhooked or freed during its walk, or an entry that\n"
		"changed before its walk ended; 128+N stopped by signal N before finding a violation.",
		opts, 1,
	};
	const char *pos[1] = { NULL };
	thpsim_explore_config_t ec;
	int n = 0, err;

	model_opts_init(&a.mo);
	thpsim_explore_config_init(&ec);
	for (int i = 0; i < argc; i++)
		a.seed_set |= !strncmp(argv[i], "--seed", 6);
	err = opts_parse(&cmd, argc, argv, pos, &n);
	if (err)
		return err == OPTS_HELP ? EXIT_CLEAN : EXIT_USAGE;
	if (cli_model_config("explore", pos[0], &a.mo, &ec.run) ||
	    explore_config(&a, &ec))
		return EXIT_USAGE;
	a.config = shard_config_hash("explore", argc, argv);
	return a.format == 1 ? explore_run_json(&ec, &a) :
	       explore_run(&ec, &a.mo, a.trace, a.stats_interval);
}
