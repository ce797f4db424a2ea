/*
 * test_cli.c - the built thpsim binary against bad input of every kind:
 * each is refused with exit status 2 and a message on stderr naming the
 * bad value; nothing crashes.  THPSIM_CLI is the binary's path.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#ifdef THPSIM_CLI

#define ARGS_MAX 16

static char err_text[8192];

/* Run thpsim with argv (NULL-ended); its stderr in err_text. */
static int run(const char *const *argv)
{
	char *args[ARGS_MAX + 2] = { (char *)THPSIM_CLI };
	int fd[2], status, n = 1;
	ssize_t got, off = 0;
	pid_t pid;

	for (; argv[n - 1] && n <= ARGS_MAX; n++)
		args[n] = (char *)argv[n - 1];
	cr_assert_eq(pipe(fd), 0);
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 1);
		dup2(fd[1], 2);
		close(fd[0]);
		execv(THPSIM_CLI, args);
		_exit(127);
	}
	close(fd[1]);
	while ((got = read(fd[0], err_text + off, sizeof(err_text) - 1 - (size_t)off)) > 0)
		off += got;
	err_text[off] = 0;
	close(fd[0]);
	waitpid(pid, &status, 0);
	cr_assert(WIFEXITED(status), "thpsim died by signal %d", WTERMSIG(status));
	return WEXITSTATUS(status);
}

/* Exit 2 and stderr names `names`. */
static void refused(const char *names, const char *const *argv)
{
	int rc = run(argv);
	char line[256] = { 0 };

	for (int i = 0; argv[i] && strlen(line) < 200; i++)
		snprintf(line + strlen(line), sizeof(line) - strlen(line), "%.40s ", argv[i]);
	cr_expect_eq(rc, 2, "thpsim %s: exit %d (%s)", line, rc, err_text);
	cr_expect(strstr(err_text, names), "thpsim %s: '%s' not named in: %s",
		  line, names, err_text);
}

#define REFUSED(names, ...) refused(names, (const char *const[]){ __VA_ARGS__, NULL })

Test(cli, top_level)
{
	REFUSED("bogus", "bogus");
	REFUSED("--bogus", "--bogus");
	REFUSED("explroe", "explroe");
}

Test(cli, list_and_selfcheck)
{
	REFUSED("extra", "list", "extra");
	REFUSED("--verbose", "list", "--verbose");
	REFUSED("--rounds", "selfcheck", "--rounds", "5");
	REFUSED("99999999999999999999999", "selfcheck", "--rounds", "99999999999999999999999");
	REFUSED("--cpus", "selfcheck", "--cpus", "257");
	REFUSED("-3", "selfcheck", "--signal", "-3");
	REFUSED("--watchdog-ms", "selfcheck", "--watchdog-ms");
}

Test(cli, run)
{
	REFUSED("SCENARIO", "run");
	REFUSED("S99", "run", "S99");
	REFUSED("S2", "run", "S1", "S2");
	REFUSED("armm", "run", "S1", "--profile", "armm");
	REFUSED("nope", "run", "S1", "--fix", "nope");
	REFUSED("3x5", "run", "S1", "--geometry", "3x5");
	REFUSED("9x4", "run", "S1", "--geometry", "9x4");
	REFUSED("99999999999999999999x4", "run", "S1", "--geometry", "99999999999999999999x4");
	REFUSED("x", "run", "S1", "--geometry", "x");
	REFUSED("10", "run", "S1", "--width", "10");
	REFUSED("-1", "run", "S1", "--width", "-1");
	REFUSED("12abc", "run", "S1", "--width", "12abc");
	REFUSED("18446744073709551616", "run", "S1", "--width", "18446744073709551616");
	REFUSED("yes", "run", "S1", "--timeline=yes");
	REFUSED("--timelin", "run", "S1", "--timelin");
	REFUSED("nowhere", "run", "S1", "--ipi-placement", "nowhere");
	REFUSED("--profile", "run", "S1", "--profile");
	REFUSED("--profile", "run", "S1", "--profile", "");
	REFUSED("/nonexistent/dir/t.json", "run", "S1", "--trace", "/nonexistent/dir/t.json");
	REFUSED("/tmp", "run", "S1", "--trace", "/tmp");
}

/* The lab mode: --answer says right (0) or wrong (1) from the computed
 * outcome; S1 on arm64 without a fix is a UAF, with fresh-table SAFE. */
Test(cli, run_predict_answer)
{
	const char *const q[] = { "run", "S1", "--geometry", "2x4", "--predict", NULL };
	const char *const right[] = { "run", "S1", "--geometry", "2x4", "--answer", "uaf", NULL };
	const char *const wrong[] = { "run", "S1", "--geometry", "2x4", "--answer", "SAFE", NULL };
	const char *const fixed[] = { "run", "S1", "--geometry", "2x4", "--fix", "fresh-table",
				      "--answer", "SAFE", NULL };

	cr_expect_eq(run(q), 0, "%s", err_text);
	cr_expect_eq(run(right), 0, "%s", err_text);
	cr_expect_eq(run(wrong), 1, "%s", err_text);
	cr_expect_eq(run(fixed), 0, "%s", err_text);
	REFUSED("bogus", "run", "S1", "--answer", "bogus");
	REFUSED("--solve", "run", "S1", "--predict", "--solve");
	REFUSED("--timeline", "run", "S1", "--predict", "--timeline");
	REFUSED("INVARIANT", "run", "S1", "--answer", "bogus");
}

/* scale: the fix list and the cost file are checked before any run. */
Test(cli, scale_lists_and_costs)
{
	REFUSED("empty item", "scale", "--cpus", "4", "--fixes", "none,,ipi-sync");
	REFUSED("given twice", "scale", "--cpus", "4", "--fixes", "none,none");
	REFUSED("Is a directory", "scale", "--cpus", "4", "--costs", "/tmp");
	REFUSED("--no-sync", "scale", "--cpus", "4", "--no-sync");
	REFUSED("--fail-table-batch", "scale", "--workload", "fork-storm", "--cpus", "4",
		"--fail-table-batch");
}

Test(cli, matrix)
{
	REFUSED("S99", "matrix", "--scenarios", "S1,S99");
	REFUSED("foo", "matrix", "--profiles", "x86,foo");
	REFUSED("bar", "matrix", "--fixes", "none,bar");
	REFUSED("xml", "matrix", "--format", "xml");
	REFUSED("--scenarios", "matrix", "--scenarios", ",");
	REFUSED("0x4", "matrix", "--geometry", "0x4");
}

Test(cli, explore)
{
	REFUSED("foo", "explore", "S1", "--policy", "foo");
	REFUSED("--iterations", "explore", "S1", "--iterations", "0");
	REFUSED("1e3", "explore", "S1", "--iterations", "1e3");
	REFUSED("18446744073709551616", "explore", "S1", "--seed", "18446744073709551616");
	REFUSED("-1", "explore", "S1", "--seed", "-1");
	REFUSED("0", "explore", "S1", "--switch-prob", "0");
	REFUSED("1.5", "explore", "S1", "--switch-prob", "1.5");
	REFUSED("nan", "explore", "S1", "--switch-prob", "nan");
	REFUSED("inf", "explore", "S1", "--switch-prob", "inf");
	REFUSED("abc", "explore", "S1", "--switch-prob", "abc");
	REFUSED("0x1p-3", "explore", "S1", "--switch-prob", "0x1p-3");
	REFUSED(" 0.5", "explore", "S1", "--switch-prob", " 0.5");
	REFUSED("0", "explore", "S1", "--policy", "pct", "--depth", "0");
	REFUSED("65", "explore", "S1", "--policy", "pct", "--depth", "65");
	REFUSED("17", "explore", "S1", "--policy", "dfs", "--preemptions", "17");
	REFUSED("--depth", "explore", "S1", "--depth", "3");
	REFUSED("--preemptions", "explore", "S1", "--policy", "pct", "--preemptions", "1");
	REFUSED("--switch-prob", "explore", "S1", "--policy", "dfs", "--switch-prob", "0.1");
	REFUSED("--seed", "explore", "S1", "--policy", "dfs", "--seed", "3");
	REFUSED("S0", "explore", "S0");
	REFUSED("/nonexistent/t.json", "explore", "S1", "--trace", "/nonexistent/t.json");
}

Test(cli, verify)
{
	REFUSED("--matrix", "verify", "S1", "--scenarios", "S1");
	REFUSED("--matrix", "verify", "S1", "--fixes", "none");
	REFUSED("S99", "verify", "--matrix", "--scenarios", "S1,S99");
	REFUSED("foo", "verify", "--matrix", "--profiles", "x86,foo");
	REFUSED("bar", "verify", "--matrix", "--fixes", "none,bar");
	REFUSED("--fixes: unknown value 'bar'", "verify", "--matrix", "--fixes", "bar");
	REFUSED("--profiles: unknown value 'foo'", "matrix", "--profiles", "foo");
	REFUSED("empty item", "verify", "--matrix", "--scenarios", "S1,,S2");
	REFUSED("S1", "verify", "--matrix", "S1");
	/* A proof (exit 0), and the one interesting cell of S4: its script
	 * is safe, another interleaving is a UAF (exit 1, docs/VERIFY.md). */
	cr_expect_eq(run((const char *const[]){ "verify", "--matrix", "--geometry", "2x4",
		"--scenarios", "S12", "--profiles", "x86", "--fixes", "none", NULL }), 0,
		"%s", err_text);
	cr_expect_eq(run((const char *const[]){ "verify", "--matrix", "--geometry", "2x4",
		"--scenarios", "S4", "--profiles", "broadcast-norcu", "--fixes",
		"fresh-table", "--iterations", "100000", NULL }), 1, "%s", err_text);
}

Test(cli, replay)
{
	static char big[70000];
	const char *good = NULL;

	REFUSED("--schedule", "replay", "S1");
	REFUSED("empty", "replay", "S1", "--schedule=");
	REFUSED("checksum", "replay", "S1", "--geometry", "2x4", "--schedule",
		"v1.S1.dae7c2a2.G4K66U16G5.7e5a040");
	REFUSED("checksum mismatch", "replay", "S1", "--geometry", "2x4", "--schedule",
		"v1.S1.dae7c2a2.G4K66U16G6.7e5a0409");
	REFUSED("fields", "replay", "S1", "--geometry", "2x4", "--schedule",
		"v1.S1.dae7c2a2.G4K66U16G5");
	REFUSED("not allowed", "replay", "S1", "--schedule", "v1.S1.$(id).G.00000000");
	REFUSED("format 'v9'", "replay", "S1", "--schedule", "v9.S1.dae7c2a2.G.00000000");
	REFUSED("another configuration", "replay", "S1", "--geometry", "2x4",
		"--fix", "ipi-sync", "--schedule", "v1.S1.dae7c2a2.G4K66U16G5.7e5a0409");
	REFUSED("another configuration", "replay", "S1", "--schedule",
		"v1.S1.dae7c2a2.G4K66U16G5.7e5a0409");
	REFUSED("not S4", "replay", "S4", "--geometry", "2x4", "--schedule",
		"v1.S1.dae7c2a2.G4K66U16G5.7e5a0409");
	memset(big, 'G', sizeof(big) - 1);
	REFUSED("longer than", "replay", "S1", "--schedule", big);
	REFUSED("/nonexistent/t.json", "replay", "S1", "--geometry", "2x4",
		"--schedule", "v1.S1.dae7c2a2.G4K66U16G5.7e5a0409", "--trace",
		"/nonexistent/t.json");
	/* The string itself is good: replay reproduces the UAF. */
	good = "v1.S1.dae7c2a2.G4K66U16G5.7e5a0409";
	cr_assert_eq(run((const char *const[]){ "replay", "S1", "--geometry", "2x4",
			 "--schedule", good, NULL }), 1, "%s", err_text);
}

/* Issue 13 item 4: values that look like options, "--", list items,
 * what an echoed value may contain. */
Test(cli, option_values)
{
	static char big[5000];

	REFUSED("got the option '--timeline'", "run", "S1", "--trace", "--timeline");
	REFUSED("got the option '--fix'", "run", "S1", "--profile", "--fix", "none");
	REFUSED("--schedule", "replay", "S1", "--schedule", "--timeline");
	/* --opt=VALUE takes it as written. */
	REFUSED("unknown value '--x'", "run", "S1", "--profile=--x");
	/* "--" ends the options. */
	REFUSED("--timeline", "run", "--", "--timeline");
	REFUSED("unexpected argument '--fix'", "run", "S1", "--", "--fix");
	cr_expect_eq(run((const char *const[]){ "run", "--geometry", "2x4", "--", "S1", NULL }),
		     1, "%s", err_text);
	/* List items may not be empty. */
	REFUSED("empty item", "matrix", "--scenarios", "S1,,S2");
	REFUSED("empty item", "matrix", "--profiles", ",x86");
	REFUSED("empty item", "matrix", "--fixes", "none,");
	/* Control characters are escaped, long values shortened. */
	REFUSED("'\\x1b[31mred'", "run", "S1", "--profile", "\x1b[31mred");
	cr_expect(!strchr(err_text, 0x1b), "raw ESC echoed: %s", err_text);
	REFUSED("a\\nb", "run", "S1", "--fix", "a\nb");
	cr_expect(!strchr(err_text, '\n') || strchr(err_text, '\n') == err_text + strlen(err_text) - 1,
		  "raw newline echoed: %s", err_text);
	memset(big, 'a', sizeof(big) - 1);
	REFUSED("(4999 characters)", "run", "S1", "--profile", big);
	cr_expect_lt(strlen(err_text), 400, "%zu bytes of message", strlen(err_text));
	REFUSED("(4999 characters)", big);
}

Test(cli, stress)
{
	if (run((const char *const[]){ "stress", "--help", NULL }) != 0)
		cr_skip_test("no stress command yet");
	REFUSED("17", "stress", "--walkers", "17");
	REFUSED("0", "stress", "--duration", "0");
	REFUSED("foo", "stress", "--ipi", "foo");
	REFUSED("armm", "stress", "--profile", "armm");
	REFUSED("1x4", "stress", "--geometry", "1x4");
}

/* Exit 5 means vacuous: an exploration with no preemption never has a
 * walker inside a changing table; one preemption does. */
Test(cli, explore_vacuous_exits_5)
{
	const char *base[] = { "explore", "S1", "--geometry", "2x4", "--policy",
			       "dfs", "--preemptions", NULL, NULL };

	base[7] = "0";
	cr_expect_eq(run(base), 5, "dfs, 0 preemptions: %s", err_text);
	base[7] = "1";
	cr_expect_neq(run(base), 5, "dfs, 1 preemption: %s", err_text);
}

/* A stress run's exit status follows its own counters: 5 exactly when
 * pins, completed collapses or unhooked reads are missing (and no
 * violation). */
Test(cli, stress_exit_follows_counters, .timeout = 60)
{
	char line[1024], name[64], *p;
	unsigned long long pinned = 0, coll = 0, unhooked = 0, count;
	int rc = -1, viol = 0, is_viol;
	FILE *f = popen(THPSIM_CLI " stress --profile x86 --fix ipi-sync --duration 1"
			" --format csv 2>/dev/null; echo rc=$?", "r");

	cr_assert_not_null(f);
	while (fgets(line, sizeof(line), f)) {
		if ((p = strstr(line, "counter,pages_pinned,,")))
			pinned = strtoull(p + 22, NULL, 10);
		else if ((p = strstr(line, "counter,collapses_ok,,")))
			coll = strtoull(p + 22, NULL, 10);
		else if ((p = strstr(line, "counter,unhooked_reads,,")))
			unhooked = strtoull(p + 24, NULL, 10);
		else if (sscanf(line, "class,%63[^,],%d,%llu", name, &is_viol,
				&count) == 3 && is_viol && count)
			viol = 1;
		else if (!strncmp(line, "rc=", 3))
			rc = atoi(line + 3);
	}
	pclose(f);
	if (viol)
		cr_expect_eq(rc, 1);
	else
		cr_expect_eq(rc, pinned && coll && unhooked ? 0 : 5,
			     "exit %d with %llu pinned, %llu collapses, %llu unhooked reads",
			     rc, pinned, coll, unhooked);
}

#else
Test(cli, not_built)
{
	cr_skip_test("THPSIM_BUILD_SIM is off: no binary to test");
}
#endif

/* thpsim scale: bad values and bad cost files exit 2 naming them. */
Test(cli, scale)
{
	char path[] = "/tmp/thpsim-costs-XXXXXX";
	int fd = mkstemp(path);
	static const char text[] = "# mine\nbase = kernel-arm64\nipi_send = 300\nipi_sned = 3\n";

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, text, sizeof(text) - 1), (ssize_t)(sizeof(text) - 1));
	close(fd);
	REFUSED("'1' out of range", "scale", "--cpus", "1");
	REFUSED("'257' out of range", "scale", "--cpus", "2,257");
	REFUSED("ends with a comma", "scale", "--cpus", "2,4,");
	REFUSED("'2,,x' is not a list", "scale", "--cpus", "2,,x");
	REFUSED("'fork-bomb'", "scale", "--workload", "fork-bomb");
	REFUSED("'nofix'", "scale", "--fixes", "ipi-sync,nofix");
	REFUSED("'sparc'", "scale", "--profile", "sparc");
	REFUSED(":4: unknown cost 'ipi_sned'", "scale", "--costs", path);
	REFUSED("'/nonexistent/costs': not a built-in table", "scale", "--costs", "/nonexistent/costs");
	REFUSED("needs --format csv or json", "scale", "--shard", "1/2");
	REFUSED("'0/2'", "scale", "--format", "csv", "--shard", "0/2");
	REFUSED("walkers: 5 too many for 4 CPUs", "scale", "--cpus", "4", "--walkers", "5");
	unlink(path);
}
