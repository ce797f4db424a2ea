/*
 * fuzz_args.c - libFuzzer harness for the argument parser: the input,
 * split at NUL bytes, is an argument vector for a table with every option
 * type the commands use (flags, bounded and full-range numbers, strings,
 * choices, positionals, the model options), then the shared validation
 * (scenario, profile, fix, geometry) and the schedule check.  Nothing is
 * run; the parser must refuse or accept, never crash or read past argv.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_replay.h"
#include "opts.h"

#define ARGS_MAX 32
#define INPUT_MAX 8192

static const char *const policies[] = { "random", "pct", "dfs", NULL };

static void parse(int argc, char **argv)
{
	struct model_opts mo;
	uint64_t width = 132, iterations = 0, seed = 1;
	const char *schedule = NULL, *trace = NULL;
	bool timeline = false;
	int policy = 0;
	const struct opt opts[] = {
		MODEL_CONFIG_OPTS(&mo),
		{ "policy", OPT_CHOICE, &policy, "P", "policy", 0, 0, policies, "random" },
		{ "iterations", OPT_UINT, &iterations, "N", "n", 1, 1000000000, NULL, NULL },
		{ "seed", OPT_UINT, &seed, "S", "s", 0, UINT64_MAX, NULL, NULL },
		{ "width", OPT_UINT, &width, "N", "w", 60, 1000, NULL, NULL },
		{ "schedule", OPT_STRING, &schedule, "S", "s", 0, 0, NULL, NULL },
		{ "trace", OPT_STRING, &trace, "F", "f", 0, 0, NULL, NULL },
		{ "timeline", OPT_FLAG, &timeline, NULL, "t", 0, 0, NULL, NULL },
		{ NULL, OPT_FLAG, NULL, NULL, NULL, 0, 0, NULL, NULL },
	};
	const struct cmd cmd = { "fuzz", "thpsim fuzz", "fuzz", opts, 2 };
	const char *pos[2] = { NULL, NULL };
	thpsim_run_config_t rc;
	int n = 0;

	model_opts_init(&mo);
	thpsim_run_config_init(&rc);
	if (opts_parse(&cmd, argc, argv, pos, &n))
		return;
	if (cli_model_config("fuzz", pos[0], &mo, &rc))
		return;
	if (schedule)
		thpsim_schedule_check(&rc, schedule);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf, *argv[ARGS_MAX + 1];
	int argc = 0;
	size_t start = 0;

	if (size > INPUT_MAX)
		return 0;
	buf = malloc(size + 1);
	memcpy(buf, data, size);
	buf[size] = 0;
	for (size_t i = 0; i <= size && argc < ARGS_MAX; i++)
		if (buf[i] == 0) {
			/* Each argument its own allocation: ASan sees overreads. */
			argv[argc] = strdup(buf + start);
			argc++;
			start = i + 1;
		}
	argv[argc] = NULL;
	parse(argc, argv);
	for (int i = 0; i < argc; i++)
		free(argv[i]);
	free(buf);
	return 0;
}
