/*
 * main.c - the thpsim command: dispatch to a subcommand.
 *
 * `thpsim` with no arguments runs the default job: the outcome matrix of
 * scenarios S1-S5 over every profile and fix.
 */
#include <stdio.h>
#include <string.h>

#include "cmds.h"
#include "opts.h"

struct subcmd {
	const char *name;
	const char *summary;
	int (*run)(int argc, char **argv);
};

static const struct subcmd subcmds[] = {
	{ "list", "list scenarios, fixes, profiles and knobs", cmd_list },
	{ "run", "run one scenario deterministically and explain its outcome", cmd_run },
	{ "matrix", "outcome of every scenario x profile x fix (default: S1-S5)", cmd_matrix },
	{ "stress", "run the model free on real threads and signals; judge it as it runs", cmd_stress },
	{ "selfcheck", "check the simulated machine and measure its pseudo-IPI round trip",
	  cmd_selfcheck },
	{ "explore", "run a scenario under many interleavings (random, PCT, bounded DFS, DPOR)", cmd_explore },
	{ "replay", "re-run exactly the interleaving a schedule string recorded", cmd_replay },
	{ "verify", "every inequivalent interleaving (DPOR): proof, violation or bound", cmd_verify },
	{ NULL, NULL, NULL },
};

static void usage(FILE *out)
{
	fprintf(out, "usage: thpsim [COMMAND] [options]\n"
		     "   or: thpsim --help | --version\n\n"
		     "Simulates Linux page-table freeing against lockless walkers.\n\n"
		     "commands:\n");
	for (const struct subcmd *s = subcmds; s->name; s++)
		fprintf(out, "    %-24s  %s\n", s->name, s->summary);
	fprintf(out, "\n'thpsim COMMAND --help' shows a command's options.\n"
		     "exit status: 0 clean, 1 violation found, 2 bad usage, 3 internal error\n");
}

static int unknown_command(const char *name)
{
	const struct subcmd *best = NULL;
	unsigned bestd = 3;

	for (const struct subcmd *s = subcmds; s->name; s++) {
		unsigned d = opts_distance(name, s->name);

		if (d < bestd) {
			bestd = d;
			best = s;
		}
	}
	fprintf(stderr, "thpsim: error: unknown %s '%s'",
		name[0] == '-' ? "option" : "command", name);
	if (best)
		fprintf(stderr, " (did you mean '%s'?)", best->name);
	fprintf(stderr, "; see 'thpsim --help'\n");
	return EXIT_USAGE;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return cmd_matrix_default();
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return EXIT_CLEAN;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("thpsim %s\n", THPSIM_VERSION);
		return EXIT_CLEAN;
	}
	for (const struct subcmd *s = subcmds; s->name; s++)
		if (!strcmp(argv[1], s->name))
			return s->run(argc - 2, argv + 2);
	return unknown_command(argv[1]);
}
