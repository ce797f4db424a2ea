/*
 * misuse.h - the harness of the misuse suites (test_misuse.c: errors,
 * names, geometry, machine, phys, mm, BUG by design; test_misuse_lab.c:
 * stats, scenario, explore, replay, traces, stress).  Each case runs in a
 * child process of its own (fork), so a crash fails that case only and is
 * reported by name.  A function that returns int must return the
 * documented negative code with a message in thpsim_errmsg(); a function
 * that returns a string must return one; a void function must return.
 */
#ifndef THPSIM_TESTS_MISUSE_H
#define THPSIM_TESTS_MISUSE_H

#include <criterion/criterion.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include "thpsim/thpsim.h"

#define E(x) (-THPSIM_##x)
#define ANY_ERROR INT_MIN	/* any negative code, with a message */
#define RETURNS 1		/* no crash is all that is asked */

struct mcase {
	const char *name;
	int (*fn)(void);
	int want;		/* a code, ANY_ERROR, or RETURNS */
};

/* The child's verdict, through a pipe: its return value and message. */
struct child_report {
	int rc;
	char msg[256];
};

static inline void run_case(const struct mcase *c)
{
	struct child_report rep = { 0 };
	int fd[2], status;
	pid_t pid;

	cr_assert_eq(pipe(fd), 0);
	pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0) {
		close(fd[0]);
		alarm(20);
		rep.rc = c->fn();
		snprintf(rep.msg, sizeof(rep.msg), "%s", thpsim_errmsg());
		if (write(fd[1], &rep, sizeof(rep)) != (ssize_t)sizeof(rep))
			_exit(98);
		_exit(0);
	}
	close(fd[1]);
	memset(&rep, 0, sizeof(rep));
	ssize_t got = read(fd[0], &rep, sizeof(rep));
	close(fd[0]);
	waitpid(pid, &status, 0);
	cr_expect(WIFEXITED(status), "%s: died by signal %d", c->name,
		  WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	if (!WIFEXITED(status) || got != (ssize_t)sizeof(rep))
		return;
	if (c->want == RETURNS)
		return;
	if (c->want == ANY_ERROR)
		cr_expect_lt(rep.rc, 0, "%s: returned %d, wanted an error",
			     c->name, rep.rc);
	else
		cr_expect_eq(rep.rc, c->want, "%s: returned %d (%s), wanted %d",
			     c->name, rep.rc, thpsim_err_name(rep.rc), c->want);
	if (rep.rc < 0)
		cr_expect(rep.msg[0], "%s: %d with no message", c->name, rep.rc);
}

static inline void run_cases(const struct mcase *cs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		run_case(&cs[i]);
}

#define RUN(table) run_cases(table, sizeof(table) / sizeof(table[0]))

/* A machine with the calling thread registered, and an mm on it. */
static thpsim_machine_t *M __attribute__((unused));
static thpsim_mm_t *MM __attribute__((unused));

static inline void env(void)
{
	thpsim_machine_config_t mc;
	thpsim_geometry_t g;

	thpsim_machine_config_init(&mc);
	mc.nr_cpus = 2;
	mc.nr_frames = 256;
	if (thpsim_machine_create(&mc, &M) || thpsim_cpu_register(M, NULL))
		_exit(97);
	(void)thpsim_geometry_parse("2x4", &g);
	if (thpsim_mm_create(M, &g, &MM))
		_exit(96);
}

static inline int is_str(const char *s)
{
	return s && *s ? 0 : -1;
}

#endif
