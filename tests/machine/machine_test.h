/*
 * machine_test.h - helpers shared by the machine-layer Criterion suites:
 * assertions that print both operands, CPU threads, bounded polling.
 */
#ifndef THPSIM_TESTS_MACHINE_TEST_H
#define THPSIM_TESTS_MACHINE_TEST_H

#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "thpsim/machine.h"
#include "machine/sched.h"

/* Operand texts are taken here, before macro expansion of atomic_load(). */
#define check_op(a, op, b, as, bs)                                           \
	do {                                                                 \
		long long a_ = (long long)(a), b_ = (long long)(b);          \
		cr_assert(a_ op b_, "%s %s %s failed: %lld vs %lld", as, #op, \
			  bs, a_, b_);                                       \
	} while (0)
#define check_eq(a, b) check_op(a, ==, b, #a, #b)
#define check_ne(a, b) check_op(a, !=, b, #a, #b)
#define check_lt(a, b) check_op(a, <, b, #a, #b)
#define check_le(a, b) check_op(a, <=, b, #a, #b)
#define check_ge(a, b) check_op(a, >=, b, #a, #b)
#define check_gt(a, b) check_op(a, >, b, #a, #b)

/* A thpsim call that must succeed: prints the code and the detail. */
#define check_ok(expr)                                                       \
	do {                                                                 \
		int r_ = (expr);                                             \
		cr_assert(r_ == 0, "%s = %d (%s): %s", #expr, r_,            \
			  thpsim_err_name(r_), thpsim_errmsg());             \
	} while (0)

/* A thpsim call that must fail with code err. */
#define check_err(expr, err)                                                 \
	do {                                                                 \
		int r_ = (expr);                                             \
		cr_assert(r_ == (err), "%s = %d (%s), expected %d (%s): %s", \
			  #expr, r_, thpsim_err_name(r_), (err),             \
			  thpsim_err_name(err), thpsim_errmsg());            \
	} while (0)

#define check_contains(hay, needle)                                          \
	do {                                                                 \
		const char *h_ = (hay), *n_ = (needle);                      \
		cr_assert(h_ && strstr(h_, n_), "\"%s\" does not contain \"%s\"", \
			  h_ ? h_ : "(null)", n_);                           \
	} while (0)

static inline uint64_t test_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#define MS(x) ((uint64_t)(x) * 1000000u)
#define SEC(x) ((uint64_t)(x) * 1000000000u)

/* Poll cond every 100 us for at most ns; evaluates to its last value. */
#define wait_until(cond, ns)                                                 \
	({                                                                   \
		uint64_t end_ = test_now_ns() + (ns);                        \
		while (!(cond) && test_now_ns() < end_)                      \
			usleep(100);                                         \
		(cond);                                                      \
	})

static inline thpsim_machine_t *test_machine(unsigned nr_cpus,
					     thpsim_ipi_backend_t backend)
{
	thpsim_machine_config_t cfg;
	thpsim_machine_t *m = NULL;

	thpsim_machine_config_init(&cfg);
	cfg.nr_cpus = nr_cpus;
	cfg.sync_backend = backend;
	cfg.nr_frames = 64;
	check_ok(thpsim_machine_create(&cfg, &m));
	return m;
}

/* A pthread that is a simulated CPU for the duration of fn. */
struct cpu_thread {
	pthread_t th;
	thpsim_machine_t *m;
	void (*fn)(struct cpu_thread *t);
	void *arg;
	int id;
	int reg_err;
	_Atomic int ready;
	_Atomic uint32_t stop;
};

static inline void *cpu_thread_main(void *p)
{
	struct cpu_thread *t = p;

	t->reg_err = thpsim_cpu_register(t->m, &t->id);
	atomic_store(&t->ready, 1);
	if (t->reg_err)
		return NULL;
	t->fn(t);
	thpsim_cpu_unregister();
	return NULL;
}

static inline void cpu_thread_start(struct cpu_thread *t, thpsim_machine_t *m,
				    void (*fn)(struct cpu_thread *), void *arg)
{
	memset(t, 0, sizeof(*t));
	t->m = m;
	t->fn = fn;
	t->arg = arg;
	cr_assert(pthread_create(&t->th, NULL, cpu_thread_main, t) == 0);
	cr_assert(wait_until(atomic_load(&t->ready), SEC(10)),
		  "CPU thread did not start within 10 s");
	check_ok(t->reg_err);
}

static inline void cpu_thread_join(struct cpu_thread *t)
{
	atomic_store(&t->stop, 1);
	sched_wake(&t->stop, INT32_MAX);
	pthread_join(t->th, NULL);
}

/* Body: spin with interrupts unmasked until stopped. */
static inline void busy_body(struct cpu_thread *t)
{
	while (!atomic_load(&t->stop))
		;
}

/* Body: idle, blocked in a futex wait (still takes IPIs). */
static inline void idle_body(struct cpu_thread *t)
{
	thpsim_cpu_idle_enter();
	while (!atomic_load(&t->stop))
		sched_wait(&t->stop, 0, 0);
	thpsim_cpu_idle_exit();
}

#endif
