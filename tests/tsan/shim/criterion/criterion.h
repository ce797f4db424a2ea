/*
 * tests/tsan/shim/criterion/criterion.h - a minimal stand-in for the part
 * of Criterion that the concurrency suites use (Test, cr_assert*,
 * cr_expect*, cr_redirect_stderr), so that the same test files build as
 * plain programs under ThreadSanitizer, where Criterion itself does not
 * start ("Could not initialize inheritable arena", TOOLCHAIN.md).
 *
 * Each Test runs in a child process of its own (fork), as under Criterion,
 * with an alarm of THPSIM_SHIM_SLOWDOWN times its .timeout (TSan is slow).
 * The program prints one line per test and exits 1 if any failed.
 * Arguments: --exclude NAME (suite/name, repeatable) skips a test.
 * Only what these suites use is provided; anything else fails to compile.
 */
#ifndef THPSIM_TESTS_CRITERION_SHIM_H
#define THPSIM_TESTS_CRITERION_SHIM_H

#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define THPSIM_SHIM_SLOWDOWN 5
#define THPSIM_SHIM_TESTS_MAX 64

struct criterion_test_extra_data {
	void (*init)(void);
	void (*fini)(void);
	int timeout;
};

struct crs_test {
	const char *suite, *name;
	void (*fn)(void);
	struct criterion_test_extra_data d;
};

static struct crs_test crs_tests[THPSIM_SHIM_TESTS_MAX];
static int crs_nr;
static bool crs_failed;
static char crs_stderr_path[64];

static inline void crs_register(const char *suite, const char *name,
				void (*fn)(void),
				struct criterion_test_extra_data d)
{
	if (crs_nr < THPSIM_SHIM_TESTS_MAX)
		crs_tests[crs_nr++] = (struct crs_test){ suite, name, fn, d };
}

#define Test(suite, name, ...)                                               \
	static void suite##_##name##_fn(void);                               \
	__attribute__((constructor)) static void suite##_##name##_reg(void)  \
	{                                                                    \
		crs_register(#suite, #name, suite##_##name##_fn,             \
			     (struct criterion_test_extra_data){ __VA_ARGS__ }); \
	}                                                                    \
	static void suite##_##name##_fn(void)

__attribute__((format(printf, 5, 6)))
static inline void crs_check(bool ok, bool fatal, const char *cond,
			     const char *where, const char *fmt, ...)
{
	va_list ap;

	if (ok)
		return;
	fprintf(stdout, "  %s: failed: %s", where, cond);
	if (*fmt) {
		fputs(": ", stdout);
		va_start(ap, fmt);
		vfprintf(stdout, fmt, ap);
		va_end(ap);
	}
	fputc('\n', stdout);
	fflush(stdout);
	crs_failed = true;
	if (fatal)
		_exit(1);
}

#define CRS_STR_(x) #x
#define CRS_STR(x) CRS_STR_(x)
#define CRS_WHERE __FILE__ ":" CRS_STR(__LINE__)
#define cr_assert(cond, ...) crs_check(!!(cond), true, #cond, CRS_WHERE, "" __VA_ARGS__)
#define cr_expect(cond, ...) crs_check(!!(cond), false, #cond, CRS_WHERE, "" __VA_ARGS__)
#define cr_assert_eq(a, b, ...) cr_assert((a) == (b), __VA_ARGS__)
#define cr_assert_null(a, ...) cr_assert((a) == NULL, __VA_ARGS__)
#define cr_assert_str_eq(a, b, ...) cr_assert(!strcmp((a), (b)), __VA_ARGS__)
#define cr_expect_eq(a, b, ...) cr_expect((a) == (b), __VA_ARGS__)
#define cr_expect_gt(a, b, ...) cr_expect((a) > (b), __VA_ARGS__)
#define cr_expect_lt(a, b, ...) cr_expect((a) < (b), __VA_ARGS__)

/* .init = cr_redirect_stderr: stderr goes to a file the test reads back. */
static inline void cr_redirect_stderr(void)
{
	int fd;

	snprintf(crs_stderr_path, sizeof(crs_stderr_path),
		 "/tmp/thpsim-shim-XXXXXX");
	fd = mkstemp(crs_stderr_path);
	if (fd < 0 || dup2(fd, 2) < 0)
		_exit(2);
	close(fd);
}

static inline FILE *cr_get_redirected_stderr(void)
{
	FILE *f = fopen(crs_stderr_path, "r");

	unlink(crs_stderr_path);
	return f;
}

static inline bool crs_excluded(const struct crs_test *t, int argc,
				char **argv)
{
	char full[256];

	snprintf(full, sizeof(full), "%s/%s", t->suite, t->name);
	for (int i = 1; i + 1 < argc; i++)
		if (!strcmp(argv[i], "--exclude") && !strcmp(argv[i + 1], full))
			return true;
	return false;
}

static inline int crs_run(const struct crs_test *t)
{
	int status, timeout = (t->d.timeout ? t->d.timeout : 60) *
			      THPSIM_SHIM_SLOWDOWN;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		alarm((unsigned)timeout);
		if (t->d.init)
			t->d.init();
		t->fn();
		if (t->d.fini)
			t->d.fini();
		fflush(NULL);
		_exit(crs_failed ? 1 : 0);
	}
	if (waitpid(pid, &status, 0) < 0)
		return 1;
	if (WIFSIGNALED(status)) {
		printf("  died by signal %d%s\n", WTERMSIG(status),
		       WTERMSIG(status) == SIGALRM ? " (timeout)" : "");
		return 1;
	}
	return WEXITSTATUS(status) != 0;
}

int main(int argc, char **argv)
{
	int failed = 0, ran = 0;

	for (int i = 0; i < crs_nr; i++) {
		const struct crs_test *t = &crs_tests[i];
		struct timespec a, b;
		int bad;

		if (crs_excluded(t, argc, argv)) {
			printf("[SKIP] %s::%s (excluded)\n", t->suite, t->name);
			continue;
		}
		clock_gettime(CLOCK_MONOTONIC, &a);
		bad = crs_run(t);
		clock_gettime(CLOCK_MONOTONIC, &b);
		printf("[%s] %s::%s (%.2fs)\n", bad ? "FAIL" : "PASS", t->suite,
		       t->name, (double)(b.tv_sec - a.tv_sec) +
				(double)(b.tv_nsec - a.tv_nsec) / 1e9);
		fflush(stdout);
		failed += bad;
		ran++;
	}
	printf("Synthesis: Tested: %d | Passing: %d | Failing: %d\n", ran,
	       ran - failed, failed);
	return failed ? 1 : 0;
}

#endif
