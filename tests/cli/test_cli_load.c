/*
 * test_cli_load.c - the command for lab programs (thpsim/cli.h): `thpsim
 * --load LAB.so` with the example lab (examples/own-scenario built as a
 * plug-in: scenario OWN1, fix lab-sync) gets list, run, explore and
 * replay for them; the same source linked as a program calling
 * thpsim_cli_main() does too; bad plug-ins are exit 2 naming the file.
 * Outcomes are computed by the runs: OWN1 must judge as S1 does.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#if defined(THPSIM_CLI) && defined(THPSIM_LAB_OWN)

#define ARGS_MAX 24

static char out_text[65536], err_text[8192];

static void slurp(int fd, char *buf, size_t len)
{
	size_t off = 0;
	ssize_t got;

	while ((got = read(fd, buf + off, len - 1 - off)) > 0)
		off += (size_t)got;
	buf[off] = 0;
	close(fd);
}

/* Run prog with argv (NULL-ended): stdout in out_text, stderr in
 * err_text (both small enough for the pipes), the exit status back. */
static int run(const char *prog, const char *const *argv)
{
	char *args[ARGS_MAX + 2] = { (char *)prog };
	int out[2], err[2], status, n = 1;
	pid_t pid;

	for (; argv[n - 1] && n <= ARGS_MAX; n++)
		args[n] = (char *)argv[n - 1];
	cr_assert_eq(pipe(out), 0);
	cr_assert_eq(pipe(err), 0);
	pid = fork();
	if (pid == 0) {
		dup2(out[1], 1);
		dup2(err[1], 2);
		close(out[0]);
		close(err[0]);
		execv(prog, args);
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	slurp(out[0], out_text, sizeof(out_text));
	slurp(err[0], err_text, sizeof(err_text));
	waitpid(pid, &status, 0);
	cr_assert(WIFEXITED(status), "%s died by signal %d", prog, WTERMSIG(status));
	return WEXITSTATUS(status);
}

#define RUN(...) run(THPSIM_CLI, (const char *const[]){ __VA_ARGS__, NULL })
#define OWN(...) run(THPSIM_OWN_SCENARIO, (const char *const[]){ __VA_ARGS__, NULL })

/* The outcome word of a `run` (its "outcome: X" line). */
static void outcome_of(char *buf, size_t len)
{
	const char *p = strstr(out_text, "outcome:");

	buf[0] = 0;
	if (p)
		sscanf(p, "outcome: %31s", buf);
	(void)len;
}

Test(cli_load, list_names_the_labs_scenario_and_fix)
{
	int rc = RUN("--load", THPSIM_LAB_OWN, "list");

	cr_assert_eq(rc, 0, "exit %d: %s", rc, err_text);
	cr_expect(strstr(out_text, "OWN1"), "no OWN1 in: %s", out_text);
	cr_expect(strstr(out_text, "lab-sync"), "no lab-sync in: %s", out_text);
	rc = RUN("list");
	cr_expect(!strstr(out_text, "OWN1"), "OWN1 without --load");
}

Test(cli_load, run_judges_own1_as_s1, .timeout = 60)
{
	char own[32], s1[32];
	int rc, rc1;

	rc = RUN("--load", THPSIM_LAB_OWN, "run", "OWN1");
	outcome_of(own, sizeof(own));
	rc1 = RUN("run", "S1");
	outcome_of(s1, sizeof(s1));
	cr_expect_eq(rc, rc1, "OWN1 exit %d, S1 %d (%s)", rc, rc1, err_text);
	cr_expect_str_eq(own, s1);
	cr_expect_str_eq(own, "UAF");
	rc = RUN("--load=" THPSIM_LAB_OWN, "run", "OWN1", "--profile", "x86",
		 "--fix", "lab-sync");
	outcome_of(own, sizeof(own));
	rc1 = RUN("run", "S1", "--profile", "x86", "--fix", "ipi-sync");
	outcome_of(s1, sizeof(s1));
	cr_expect_eq(rc, rc1, "exit %d vs %d: %s", rc, rc1, err_text);
	cr_expect_str_eq(own, s1, "OWN1/lab-sync %s, S1/ipi-sync %s", own, s1);
	cr_expect_str_neq(own, "UAF");
}

Test(cli_load, explore_then_replay_the_labs_schedule, .timeout = 120)
{
	char sched[512] = { 0 };
	const char *p;
	int rc;

	rc = RUN("--load", THPSIM_LAB_OWN, "explore", "OWN1", "--geometry", "2x4",
		 "--iterations", "2000");
	cr_assert(rc == 0 || rc == 1, "explore exit %d: %s", rc, err_text);
	p = strstr(out_text, "schedule: v1.OWN1.");
	cr_assert(p, "no OWN1 schedule found in: %s", out_text);
	sscanf(p, "schedule: %511s", sched);
	rc = RUN("--load", THPSIM_LAB_OWN, "replay", "OWN1", "--geometry", "2x4",
		 "--schedule", sched);
	cr_expect_eq(rc, 1, "replay %s: exit %d (%s)", sched, rc, err_text);
	/* With the lab's fix the schedule is another configuration's. */
	rc = RUN("--load", THPSIM_LAB_OWN, "replay", "OWN1", "--geometry", "2x4",
		 "--fix", "lab-sync", "--schedule", sched);
	cr_expect_eq(rc, 2, "exit %d", rc);
	cr_expect(strstr(err_text, "another configuration"), "%s", err_text);
}

Test(cli_load, own_program_calls_thpsim_cli_main, .timeout = 60)
{
	char own[32], s1[32];
	int rc = OWN("run", "OWN1", "--profile", "x86", "--fix", "lab-sync");

	outcome_of(own, sizeof(own));
	cr_expect_eq(rc, 0, "exit %d: %s", rc, err_text);
	RUN("run", "S1", "--profile", "x86", "--fix", "ipi-sync");
	outcome_of(s1, sizeof(s1));
	cr_expect_str_eq(own, s1, "OWN1/lab-sync %s, S1/ipi-sync %s", own, s1);
	rc = OWN("run", "OWN1");
	cr_expect_eq(rc, 1);
	rc = OWN("run", "OWN2");
	cr_expect_eq(rc, 2);
	cr_expect(strstr(err_text, "OWN2") && strstr(err_text, "OWN1"), "%s", err_text);
	rc = OWN("--help");
	cr_expect_eq(rc, 0);
}

Test(cli_load, bad_plugins_are_usage_errors_naming_the_file)
{
	int rc = RUN("--load", "/nonexistent/lab.so", "list");

	cr_expect_eq(rc, 2);
	cr_expect(strstr(err_text, "/nonexistent/lab.so"), "%s", err_text);
	rc = RUN("--load", THPSIM_SOURCE_DIR "/tests/cli/lab_bad_init.c", "list");
	cr_expect_eq(rc, 2);
	cr_expect(strstr(err_text, "lab_bad_init.c"), "%s", err_text);
	rc = RUN("--load", THPSIM_LAB_BAD_INIT, "list");
	cr_expect_eq(rc, 2);
	cr_expect(strstr(err_text, "test_lab_bad_init") &&
		  strstr(err_text, "thpsim_lab_init") &&
		  strstr(err_text, "letter 0x51"), "%s", err_text);
	rc = RUN("--load", "lab.so", "list");
	cr_expect_eq(rc, 2);
	cr_expect(strstr(err_text, "'lab.so'") && strstr(err_text, "./lab.so"), "%s",
		  err_text);
	rc = RUN("--load");
	cr_expect_eq(rc, 2);
	cr_expect(strstr(err_text, "--load"), "%s", err_text);
	/* Loaded twice: the second registration is refused, by name. */
	rc = RUN("--load", THPSIM_LAB_OWN, "--load", THPSIM_LAB_OWN, "list");
	cr_expect_eq(rc, 2);
	cr_expect(strstr(err_text, "lab-sync"), "%s", err_text);
}

#else
Test(cli_load, not_built)
{
	cr_skip_test("THPSIM_BUILD_SIM is off: no binary to test");
}
#endif
