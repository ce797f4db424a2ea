/*
 * main.c - the thpsim command: dispatch to a subcommand.
 *
 * `thpsim` with no arguments runs the default job: the outcome matrix of
 * scenarios S1-S5 over every profile and fix.  Around every command:
 * fatal signals remove trace temporaries (cli_signal.h); THPSIM_MUTANT is
 * refused unless --allow-mutant is given, and marks the output when it
 * is; standard output is flushed and closed at the end, and a write
 * error there is exit status 3 with a message (as coreutils do).
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_signal.h"
#include "cmds.h"
#include "machine/mutant.h"
#include "opts.h"
#include "thpsim/thpsim.h"

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
	{ "merge", "join the outputs of --shard K/N runs into the unsharded output", cmd_merge },
	{ "scale", "2-256 simulated CPUs in virtual time: latency and interrupts per fix", cmd_scale },
	{ "verify", "every inequivalent interleaving (DPOR): proof, violation or bound", cmd_verify },
	{ NULL, NULL, NULL },
};

static void usage(FILE *out)
{
	fprintf(out, "usage: thpsim [--load LAB.so]... [COMMAND] [options]\n"
		     "   or: thpsim --help | --version\n\n"
		     "Simulates Linux page-table freeing against lockless walkers.\n\n"
		     "commands:\n");
	for (const struct subcmd *s = subcmds; s->name; s++)
		fprintf(out, "    %-24s  %s\n", s->name, s->summary);
	fprintf(out, "\n--load LAB.so: load a lab's shared object first (its constructors and its\n"
		     "thpsim_lab_init() register strategies and scenarios; thpsim/cli.h)\n"
		     "'thpsim COMMAND --help' shows a command's options.\n"
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
	if (best)
		return opts_error("unknown %s '%s' (did you mean '%s'?); see 'thpsim --help'",
				  name[0] == '-' ? "option" : "command",
				  opts_show(name), best->name);
	return opts_error("unknown %s '%s'; see 'thpsim --help'",
			  name[0] == '-' ? "option" : "command", opts_show(name));
}

/* Remove every --allow-mutant before a "--"; true when there was one. */
static bool take_allow_mutant(int *argc, char **argv)
{
	bool found = false;
	int j = 1;

	for (int i = 1; i < *argc; i++) {
		if (!strcmp(argv[i], "--")) {
			while (i < *argc)
				argv[j++] = argv[i++];
			break;
		}
		if (!strcmp(argv[i], "--allow-mutant"))
			found = true;
		else
			argv[j++] = argv[i];
	}
	*argc = j;
	argv[j] = NULL;
	return found;
}

/* THPSIM_MUTANT breaks a mechanism on purpose: never silently. */
static int check_mutant(bool allowed)
{
	const char *const *names = thpsim__mutant_names();
	const char *env = getenv("THPSIM_MUTANT");
	char bad[128], known[256];
	size_t off = 0;
	int r = thpsim__mutant_check(bad, sizeof(bad));

	if (!r)
		return 0;
	known[0] = 0;
	for (int i = 0; names[i] && off < sizeof(known); i++)
		off += (size_t)snprintf(known + off, sizeof(known) - off, "%s%s",
					i ? ", " : "", names[i]);
	if (r < 0)
		return opts_error("THPSIM_MUTANT: unknown mutant '%s' (allowed: %s)",
				  opts_show(bad), known);
	if (!allowed)
		return opts_error("THPSIM_MUTANT=%s is set: a mechanism is broken on purpose and results would not describe the model; unset it, or pass --allow-mutant",
				  opts_show(env));
	fprintf(stderr, "thpsim: warning: MUTANT %s active (THPSIM_MUTANT): results do not describe the model\n",
		env);
	printf("MUTANT %s active (THPSIM_MUTANT): results below do not describe the model\n",
	       env);
	return 0;
}

/* Flush and close stdout; a lost write is exit status 3, with a word. */
static int close_stdout(int status)
{
	int err = 0;

	if (fflush(stdout))
		err = errno;
	if (ferror(stdout) && !err)
		err = EIO;
	if (fclose(stdout) && !err)
		err = errno;
	if (!err)
		return status;
	fprintf(stderr, "thpsim: error: writing standard output: %s\n",
		strerror(err));
	return EXIT_INTERNAL;
}

static int dispatch(int argc, char **argv)
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

/*
 * How this command was invoked, for the command lines it prints (replay,
 * --answer, --solve): "thpsim" when the program is called thpsim, else
 * its argv[0] (a lab binary); then every --load FILE, so the printed line
 * finds the lab's strategies, scenarios and invariants again.
 */
static char invocation[2048] = "thpsim";

const char *cli_invocation(void)
{
	return invocation;
}

static void invocation_add(const char *word)
{
	size_t n = strlen(invocation);

	snprintf(invocation + n, sizeof(invocation) - n, " %s", word);
}

static void invocation_init(const char *argv0)
{
	const char *base = argv0 ? strrchr(argv0, '/') : NULL;

	base = base ? base + 1 : argv0;
	if (argv0 && *argv0 && strcmp(base, "thpsim") && strlen(argv0) < 512)
		snprintf(invocation, sizeof(invocation), "%s", argv0);
}

/* dlopen a lab's .so and run its thpsim_lab_init(), if any. */
static int load_lab(const char *path)
{
	thpsim_lab_init_fn init;
	void *h;
	int r;

	if (!path || !*path)
		return opts_error("--load: missing file (a lab's shared object, e.g. --load ./lab.so)");
	/* A bare name would be searched in the library path: not meant. */
	if (!strchr(path, '/'))
		return opts_error("--load: '%s': give a path with a '/' (e.g. ./%s)",
				  opts_show(path), opts_show(path));
	h = dlopen(path, RTLD_NOW | RTLD_GLOBAL);
	if (!h)
		return opts_error("--load: cannot load '%s': %s", opts_show(path),
				  dlerror());
	*(void **)&init = dlsym(h, THPSIM_LAB_INIT_SYMBOL);
	if (!init) {			/* its constructors did the work */
		invocation_add("--load");
		invocation_add(path);
		return OPTS_OK;
	}
	r = init();
	if (r)
		return opts_error("--load: '%s': %s() failed (%d): %s",
				  opts_show(path), THPSIM_LAB_INIT_SYMBOL, r,
				  r < 0 ? thpsim_errmsg() : "non-zero return");
	invocation_add("--load");
	invocation_add(path);
	return OPTS_OK;
}

/* Leading --load FILE / --load=FILE options: load each, drop them. */
static int take_loads(int *argc, char **argv)
{
	int i = 1, j = 1, err = OPTS_OK;

	while (i < *argc && !err) {
		const char *a = argv[i];

		if (!strcmp(a, "--load")) {
			err = load_lab(i + 1 < *argc ? argv[i + 1] : NULL);
			i += 2;
		} else if (!strncmp(a, "--load=", 7)) {
			err = load_lab(a + 7);
			i++;
		} else {
			break;
		}
	}
	if (err)
		return err;
	while (i < *argc)
		argv[j++] = argv[i++];
	*argc = j;
	argv[j] = NULL;
	return OPTS_OK;
}

int thpsim_cli_main(int argc, char **argv)
{
	bool allow_mutant = take_allow_mutant(&argc, argv);

	cli_signals_init();
	invocation_init(argc > 0 ? argv[0] : NULL);
	if (check_mutant(allow_mutant))
		return close_stdout(EXIT_USAGE);
	if (take_loads(&argc, argv))
		return close_stdout(EXIT_USAGE);
	return close_stdout(dispatch(argc, argv));
}
