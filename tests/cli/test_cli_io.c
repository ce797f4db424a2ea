/*
 * test_cli_io.c - the built thpsim binary against what surrounds it
 * (issue 13): trace destinations that must not be destroyed, output that
 * cannot be written, signals that must not lose results, mutants that
 * must not pass silently, periodic statistics.  THPSIM_CLI is the
 * binary's path.  No test depends on timing to pass: a signal is sent
 * only once the run has printed the progress line that shows it is where
 * the test needs it (bounded generously).
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifdef THPSIM_CLI

#define ARGS_MAX 32
#define BUF_MAX (4u << 20)
#define WAIT_S 240		/* bound on waiting for a progress line */

struct proc {
	pid_t pid;
	int out, err;		/* pipes, -1 when closed or not a pipe */
	char *obuf, *ebuf;
	size_t on, en;
};

/*
 * Start thpsim with argv (NULL-ended).  env: "NAME=VALUE" strings added
 * (THPSIM_MUTANT is removed unless given); out_path: stdout goes there
 * instead of to a pipe.  The fatal signals are reset to their defaults
 * (a shell's background job ignores SIGINT).
 */
static void start(struct proc *p, const char *const *env, const char *out_path,
		  const char *const *argv)
{
	char *args[ARGS_MAX + 2] = { (char *)THPSIM_CLI };
	int ofd[2] = { -1, -1 }, efd[2];
	int n = 1;

	for (; argv[n - 1] && n <= ARGS_MAX; n++)
		args[n] = (char *)argv[n - 1];
	memset(p, 0, sizeof(*p));
	p->obuf = calloc(1, BUF_MAX + 1);
	p->ebuf = calloc(1, BUF_MAX + 1);
	cr_assert(p->obuf && p->ebuf);
	if (!out_path)
		cr_assert_eq(pipe(ofd), 0);
	cr_assert_eq(pipe(efd), 0);
	fflush(NULL);
	p->pid = fork();
	cr_assert(p->pid >= 0);
	if (p->pid == 0) {
		const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE };
		sigset_t none;

		for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
			signal(sigs[i], SIG_DFL);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		unsetenv("THPSIM_MUTANT");
		for (int i = 0; env && env[i]; i++)
			putenv((char *)env[i]);
		if (out_path) {
			int fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

			if (fd < 0)
				_exit(126);
			dup2(fd, 1);
		} else {
			dup2(ofd[1], 1);
		}
		dup2(efd[1], 2);
		execv(THPSIM_CLI, args);
		_exit(127);
	}
	if (!out_path) {
		close(ofd[1]);
		p->out = ofd[0];
	} else {
		p->out = -1;
	}
	close(efd[1]);
	p->err = efd[0];
}

/* Read what is there (wait at most ms); false when both pipes are shut. */
static bool pump(struct proc *p, int ms)
{
	struct pollfd fds[2] = { { p->out, POLLIN, 0 }, { p->err, POLLIN, 0 } };

	if (p->out < 0 && p->err < 0)
		return false;
	if (poll(fds, 2, ms) <= 0)
		return true;
	for (int i = 0; i < 2; i++) {
		int *fd = i ? &p->err : &p->out;
		char *buf = i ? p->ebuf : p->obuf;
		size_t *len = i ? &p->en : &p->on;
		ssize_t got;

		if (*fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		got = read(*fd, buf + *len, BUF_MAX - *len);
		if (got > 0) {
			*len += (size_t)got;
			buf[*len] = 0;
		} else if (got == 0 || errno != EINTR) {
			close(*fd);
			*fd = -1;
		}
	}
	return true;
}

/* Wait (bounded by WAIT_S) until stderr holds needle. */
static bool wait_stderr(struct proc *p, const char *needle)
{
	time_t end = time(NULL) + WAIT_S;

	while (!strstr(p->ebuf, needle) && time(NULL) < end)
		if (!pump(p, 100))
			break;
	return strstr(p->ebuf, needle) != NULL;
}

/* Read to the end and reap: the exit status, or 128 + the signal. */
static int finish(struct proc *p)
{
	int status;

	while (pump(p, 1000))
		;
	cr_assert_eq(waitpid(p->pid, &status, 0), p->pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void proc_free(struct proc *p)
{
	free(p->obuf);
	free(p->ebuf);
}

static int run_env(struct proc *p, const char *const *env, const char *out_path,
		   const char *const *argv)
{
	start(p, env, out_path, argv);
	return finish(p);
}

#define ARGV(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define ENV(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* A fresh directory for a test's files. */
static void tmpdir(char *dir)
{
	strcpy(dir, "/tmp/thpsim-cli-XXXXXX");
	cr_assert(mkdtemp(dir), "mkdtemp: %s", strerror(errno));
}

/* The names in dir, space-separated, sorted by readdir order. */
static void names_in(const char *dir, char *out, size_t len)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	out[0] = 0;
	cr_assert(d);
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			snprintf(out + strlen(out), len - strlen(out), "%s ",
				 e->d_name);
	closedir(d);
}

/* Remove dir and the files a test made in it. */
static void rmdir_all(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[512];

	if (!d)
		return;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			unlink(path);
		}
	closedir(d);
	rmdir(dir);
}

static void slurp(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n = 0;

	buf[0] = 0;
	if (!f)
		return;
	n = fread(buf, 1, len - 1, f);
	buf[n] = 0;
	fclose(f);
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	cr_assert(f);
	fputs(text, f);
	fclose(f);
	cr_assert_eq(chmod(path, mode), 0);
}

/* ---- 1. --trace destroys nothing ----------------------------------- */

Test(trace_dest, symlink_stays_a_link_and_its_file_gets_the_trace)
{
	char dir[64], link[96], real[96], names[256];
	static char text[1 << 20];
	struct proc p;
	struct stat st;

	tmpdir(dir);
	snprintf(real, sizeof(real), "%s/real.json", dir);
	snprintf(link, sizeof(link), "%s/link.json", dir);
	write_file(real, "old\n", 0640);
	cr_assert_eq(symlink("real.json", link), 0);
	cr_expect_eq(run_env(&p, NULL, NULL, ARGV("run", "S1", "--geometry", "2x4",
						  "--trace", link)), 1, "%s", p.ebuf);
	cr_assert_eq(lstat(link, &st), 0);
	cr_expect(S_ISLNK(st.st_mode), "the symbolic link was replaced");
	slurp(real, text, sizeof(text));
	cr_expect(strstr(text, "traceEvents"), "real.json: %.80s", text);
	cr_assert_eq(stat(real, &st), 0);
	cr_expect_eq(st.st_mode & 0777, 0640, "mode %o", st.st_mode & 0777);
	names_in(dir, names, sizeof(names));
	cr_expect(!strstr(names, "tmp"), "left behind: %s", names);
	rmdir_all(dir);
	proc_free(&p);
}

Test(trace_dest, fifo_is_written_through)
{
	char dir[64], fifo[96];
	static char got[1 << 20];
	size_t n = 0;
	struct proc p;
	struct stat st;
	int fd, rc = -1, status;
	bool done = false;

	tmpdir(dir);
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	cr_assert_eq(mkfifo(fifo, 0600), 0);
	fd = open(fifo, O_RDONLY | O_NONBLOCK);
	cr_assert(fd >= 0);
	start(&p, NULL, "/dev/null",
	      ARGV("run", "S1", "--geometry", "2x4", "--trace", fifo));
	/* Read whatever comes until thpsim is gone (a read of 0 only
	 * means no writer yet or no more). */
	while (!done || n == 0) {
		ssize_t r = read(fd, got + n, sizeof(got) - 1 - n);

		if (r > 0) {
			n += (size_t)r;
			continue;
		}
		if (done)
			break;
		pump(&p, 0);
		if (waitpid(p.pid, &status, WNOHANG) == p.pid) {
			done = true;
			rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
			continue;
		}
		usleep(1000);
	}
	got[n] = 0;
	close(fd);
	cr_expect_eq(rc, 1, "exit %d: %s", rc, p.ebuf);
	cr_expect(strstr(got, "traceEvents"), "read from the FIFO: %.80s", got);
	cr_assert_eq(lstat(fifo, &st), 0);
	cr_expect(S_ISFIFO(st.st_mode), "the FIFO was replaced by a file");
	rmdir_all(dir);
	proc_free(&p);
}

Test(trace_dest, dev_null_stays_a_device)
{
	struct proc p;
	struct stat st;

	cr_expect_eq(run_env(&p, NULL, NULL, ARGV("run", "S1", "--geometry", "2x4",
						  "--trace", "/dev/null")), 1, "%s", p.ebuf);
	cr_assert_eq(stat("/dev/null", &st), 0);
	cr_expect(S_ISCHR(st.st_mode));
	proc_free(&p);
}

Test(trace_dest, dev_full_is_an_output_error)
{
	struct proc p;
	struct stat st;
	int rc = run_env(&p, NULL, NULL, ARGV("run", "S1", "--geometry", "2x4",
					      "--trace", "/dev/full"));

	cr_expect_eq(rc, 3, "exit %d: %s", rc, p.ebuf);
	cr_expect(strstr(p.ebuf, "/dev/full"), "%s", p.ebuf);
	cr_assert_eq(stat("/dev/full", &st), 0);
	cr_expect(S_ISCHR(st.st_mode));
	proc_free(&p);
}

Test(trace_dest, dev_stdout_gets_the_trace)
{
	struct proc p;
	int rc = run_env(&p, NULL, NULL, ARGV("run", "S1", "--geometry", "2x4",
					      "--trace", "/dev/stdout"));

	cr_expect_eq(rc, 1, "exit %d: %s", rc, p.ebuf);
	cr_expect(strstr(p.obuf, "traceEvents"), "stdout: %.200s", p.obuf);
	cr_expect(strstr(p.obuf, "S1 on arm64"), "stdout: %.200s", p.obuf);
	proc_free(&p);
}

Test(trace_dest, read_only_file_and_dangling_link_are_refused)
{
	char dir[64], ro[96], dang[96], text[64];
	struct proc p;
	struct stat st;
	int rc;

	tmpdir(dir);
	snprintf(ro, sizeof(ro), "%s/ro.json", dir);
	snprintf(dang, sizeof(dang), "%s/dangling.json", dir);
	write_file(ro, "keep\n", 0444);
	rc = run_env(&p, NULL, NULL, ARGV("run", "S1", "--trace", ro));
	cr_expect_eq(rc, 2, "exit %d: %s", rc, p.ebuf);
	cr_expect(strstr(p.ebuf, "read-only") && strstr(p.ebuf, ro), "%s", p.ebuf);
	slurp(ro, text, sizeof(text));
	cr_expect_str_eq(text, "keep\n");
	cr_assert_eq(stat(ro, &st), 0);
	cr_expect_eq(st.st_mode & 0777, 0444);
	proc_free(&p);

	cr_assert_eq(symlink("nowhere/x.json", dang), 0);
	rc = run_env(&p, NULL, NULL, ARGV("run", "S1", "--trace", dang));
	cr_expect_eq(rc, 2, "exit %d: %s", rc, p.ebuf);
	cr_expect(strstr(p.ebuf, "dangling.json"), "%s", p.ebuf);
	cr_assert_eq(lstat(dang, &st), 0);
	cr_expect(S_ISLNK(st.st_mode));
	rmdir_all(dir);
	proc_free(&p);
}

/* ---- 2. output that cannot be written ------------------------------ */

Test(output, dev_full_is_exit_3_with_a_message)
{
	const char *const *const cmds[] = {
		ARGV("matrix", "--format", "csv"),
		ARGV("matrix", "--scenarios", "S1", "--format", "json"),
		ARGV("run", "S1", "--timeline"),
		ARGV("list"),
		ARGV("--help"),
		ARGV("run", "--help"),
		ARGV("explore", "S1", "--geometry", "2x4", "--iterations", "10"),
		ARGV("replay", "S1", "--geometry", "2x4", "--schedule",
		     "v1.S1.dae7c2a2.G4K66U16G5.7e5a0409"),
	};

	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		struct proc p;
		int rc = run_env(&p, NULL, "/dev/full", cmds[i]);

		cr_expect_eq(rc, 3, "thpsim %s %s > /dev/full: exit %d (%s)",
			     cmds[i][0], cmds[i][1] ? cmds[i][1] : "", rc, p.ebuf);
		cr_expect(strstr(p.ebuf, "standard output"), "thpsim %s: %s",
			  cmds[i][0], p.ebuf);
		proc_free(&p);
	}
}

/* ---- 3. signals end a run with its results ------------------------ */

/* The replay line's arguments after "thpsim", split at spaces. */
static int replay_argv(const char *out, char *line, size_t len, const char **argv)
{
	const char *r = strstr(out, "replay: thpsim ");
	int n = 0;

	cr_assert(r, "no replay line in: %s", out);
	r += strlen("replay: thpsim ");
	snprintf(line, len, "%.*s", (int)strcspn(r, "\n"), r);
	for (char *save = NULL, *t = strtok_r(line, " ", &save); t && n < ARGS_MAX;
	     t = strtok_r(NULL, " ", &save))
		argv[n++] = t;
	argv[n] = NULL;
	return n;
}

Test(signals, explore_sigint_after_a_violation_prints_its_replay, .timeout = 600)
{
	char dir[64], trace[96], names[256], line[1024];
	const char *rargv[ARGS_MAX + 1];
	struct proc p, q;
	int rc;

	tmpdir(dir);
	snprintf(trace, sizeof(trace), "%s/t.json", dir);
	start(&p, NULL, NULL, ARGV("explore", "S1", "--geometry", "2x4",
				   "--iterations", "1000000000",
				   "--stats-interval", "1", "--trace", trace));
	cr_assert(wait_stderr(&p, "violations (first"), "no progress line: %s", p.ebuf);
	kill(p.pid, SIGINT);
	rc = finish(&p);
	cr_expect_eq(rc, 1, "exit %d: %s", rc, p.ebuf);
	cr_expect(strstr(p.obuf, "(interrupted)"), "%s", p.obuf);
	cr_expect(strstr(p.obuf, "first violation: UAF"), "%s", p.obuf);
	cr_expect(strstr(p.obuf, "schedule: v1.S1."), "%s", p.obuf);
	names_in(dir, names, sizeof(names));
	cr_expect_str_eq(names, "t.json ", "in %s: %s", dir, names);
	/* The replay line reproduces the violation. */
	replay_argv(p.obuf, line, sizeof(line), rargv);
	rc = run_env(&q, NULL, NULL, rargv);
	cr_expect_eq(rc, 1, "replay: exit %d: %s", rc, q.ebuf);
	proc_free(&q);
	rmdir_all(dir);
	proc_free(&p);
}

Test(signals, explore_sigterm_without_violation_is_128_plus_15, .timeout = 600)
{
	char dir[64], trace[96], names[256];
	struct proc p;
	int rc;

	tmpdir(dir);
	snprintf(trace, sizeof(trace), "%s/t.json", dir);
	start(&p, NULL, NULL, ARGV("explore", "S1", "--fix", "ipi-sync",
				   "--geometry", "2x4", "--iterations", "1000000000",
				   "--stats-interval", "1", "--trace", trace));
	cr_assert(wait_stderr(&p, "no violation yet"), "no progress line: %s", p.ebuf);
	kill(p.pid, SIGTERM);
	rc = finish(&p);
	cr_expect_eq(rc, 128 + SIGTERM, "exit %d: %s", rc, p.ebuf);
	cr_expect(strstr(p.obuf, "outcomes:"), "%s", p.obuf);
	cr_expect(strstr(p.obuf, "no violation found in the schedules that ran"),
		  "%s", p.obuf);
	names_in(dir, names, sizeof(names));
	cr_expect_str_eq(names, "", "left in %s: %s", dir, names);
	rmdir_all(dir);
	proc_free(&p);
}

/* verify stopped by a signal says what it explored: not a proof. */
Test(signals, verify_sigterm_prints_what_was_explored, .timeout = 600)
{
	struct proc p;
	int rc;

	/* 4x512: far too many classes to end before the first progress line
	 * (at 2x4 DPOR now explores S1's 92,195 in a second or two). */
	start(&p, NULL, NULL, ARGV("verify", "S1", "--fix", "ipi-sync", "--geometry", "4x512",
				   "--stats-interval", "1"));
	cr_assert(wait_stderr(&p, "no violation yet"), "no progress line: %s", p.ebuf);
	kill(p.pid, SIGTERM);
	rc = finish(&p);
	cr_expect_eq(rc, 128 + SIGTERM, "exit %d: %s", rc, p.ebuf);
	cr_expect(strstr(p.obuf, "stopped by signal 15"), "%s", p.obuf);
	cr_expect(strstr(p.obuf, "(not a proof)"), "%s", p.obuf);
	proc_free(&p);
}

static void stress_stopped_by(int sig)
{
	struct proc p;
	int rc;

	start(&p, NULL, NULL, ARGV("stress", "--fix", "ipi-sync", "--duration", "3600",
				   "--stats-interval", "1"));
	cr_assert(wait_stderr(&p, "thpsim: stress: "), "no progress line: %s", p.ebuf);
	kill(p.pid, sig);
	rc = finish(&p);
	cr_expect_eq(rc, 128 + sig, "signal %d: exit %d: %s", sig, rc, p.ebuf);
	cr_expect(strstr(p.obuf, "(interrupted)"), "%s", p.obuf);
	cr_expect(strstr(p.obuf, "walks"), "%s", p.obuf);
	cr_expect(strstr(p.obuf, "outcome:"), "%s", p.obuf);
	proc_free(&p);
}

Test(signals, stress_sigterm_prints_what_was_measured, .timeout = 600)
{
	stress_stopped_by(SIGTERM);
}

Test(signals, stress_sighup_prints_what_was_measured, .timeout = 600)
{
	stress_stopped_by(SIGHUP);
}

/* ---- 5. mutants ---------------------------------------------------- */

Test(mutant, refused_without_allow_mutant)
{
	struct proc p;
	int rc = run_env(&p, ENV("THPSIM_MUTANT=gp-ignores-readers"), NULL,
			 ARGV("run", "S1", "--fix", "fresh-table"));

	cr_expect_eq(rc, 2, "exit %d: %s", rc, p.ebuf);
	cr_expect(strstr(p.ebuf, "gp-ignores-readers") && strstr(p.ebuf, "--allow-mutant"),
		  "%s", p.ebuf);
	cr_expect_eq(p.on, 0, "stdout: %s", p.obuf);
	proc_free(&p);
}

Test(mutant, unknown_names_refused_even_when_allowed)
{
	static const char *const envs[] = {
		"THPSIM_MUTANT=bogus", "THPSIM_MUTANT=gp-ignores-readers,bogus",
		"THPSIM_MUTANT=gp-ignores-readers,",
	};

	for (size_t i = 0; i < sizeof(envs) / sizeof(envs[0]); i++) {
		struct proc p;
		int rc = run_env(&p, ENV(envs[i]), NULL, ARGV("--allow-mutant", "list"));

		cr_expect_eq(rc, 2, "%s: exit %d: %s", envs[i], rc, p.ebuf);
		cr_expect(strstr(p.ebuf, "unknown mutant"), "%s: %s", envs[i], p.ebuf);
		proc_free(&p);
	}
}

Test(mutant, allowed_runs_are_marked)
{
	struct proc p;
	int rc = run_env(&p, ENV("THPSIM_MUTANT=gp-ignores-readers"), NULL,
			 ARGV("run", "S1", "--fix", "fresh-table", "--allow-mutant"));

	cr_expect_eq(rc, 1, "the mutant breaks fresh-table: exit %d: %s", rc, p.ebuf);
	cr_expect(!strncmp(p.obuf, "MUTANT gp-ignores-readers", 25), "stdout: %.200s", p.obuf);
	cr_expect(strstr(p.ebuf, "MUTANT gp-ignores-readers"), "stderr: %s", p.ebuf);
	proc_free(&p);

	/* So does a trace made under it. */
	rc = run_env(&p, ENV("THPSIM_MUTANT=gp-ignores-readers"), NULL,
		     ARGV("run", "S1", "--fix", "fresh-table", "--allow-mutant",
			  "--trace", "/dev/stdout"));
	cr_expect_eq(rc, 1, "exit %d: %s", rc, p.ebuf);
	cr_expect(strstr(p.obuf, "fix fresh-table, 4x512, MUTANT gp-ignores-readers"),
		  "trace title not marked: %.300s", p.obuf);
	proc_free(&p);

	/* explore's replay line carries the mutant it needs. */
	rc = run_env(&p, ENV("THPSIM_MUTANT=gp-ignores-readers"), NULL,
		     ARGV("--allow-mutant", "explore", "S1", "--geometry", "2x4",
			  "--iterations", "2000"));
	cr_expect_eq(rc, 1, "exit %d: %s", rc, p.ebuf);
	cr_expect(strstr(p.obuf, "replay: THPSIM_MUTANT=gp-ignores-readers thpsim replay"),
		  "%s", p.obuf);
	cr_expect(strstr(p.obuf, "--allow-mutant\n"), "%s", p.obuf);
	proc_free(&p);
}

/* ---- 8. periodic statistics ---------------------------------------- */

Test(progress, stress_prints_statistics_while_it_runs, .timeout = 300)
{
	struct proc p;
	int rc = run_env(&p, NULL, NULL, ARGV("stress", "--fix", "ipi-sync",
					      "--duration", "3", "--stats-interval", "1"));

	/* 5: a short run may not exercise the race; what matters is the
	 * statistics, and that nothing was found or failed. */
	cr_expect(rc == 0 || rc == 5, "exit %d: %s", rc, p.ebuf);
	cr_expect(strstr(p.ebuf, "thpsim: stress: ") && strstr(p.ebuf, "walks"),
		  "stderr: %s", p.ebuf);
	proc_free(&p);
	rc = run_env(&p, NULL, NULL, ARGV("stress", "--fix", "ipi-sync",
					  "--duration", "2", "--stats-interval", "0"));
	cr_expect(rc == 0 || rc == 5, "exit %d: %s", rc, p.ebuf);
	cr_expect(!strstr(p.ebuf, "thpsim: stress: "), "--stats-interval 0: %s", p.ebuf);
	proc_free(&p);
}

#else
Test(cli_io, not_built)
{
	cr_skip_test("THPSIM_BUILD_SIM is off: no binary to test");
}
#endif
