/*
 * tsan_ipi.c - IPI and soft-mask concurrency for ThreadSanitizer (a plain
 * program: Criterion does not start under TSan).  Exit 0 = pass.
 *
 * IPI functions write plain (non-atomic) data that the sender reads after
 * the call returned, and read plain data the sender wrote before: TSan
 * reports a race unless the csd handshake orders them.
 *
 * TSan delivers an asynchronous signal at the target's next intercepted
 * call, not at once, so every target loop here calls clock_gettime()
 * (thpsim__now_ns) or sleeps.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "thpsim/machine.h"
#include "machine/cpu.h"
#include "machine/sched.h"
#include "tsan_check.h"


#define MAX_CPUS 8
#define SEC 1000000000ull

enum body { BUSY, IDLE, WALKER, MASKED };

struct target {
	pthread_t th;
	thpsim_machine_t *m;
	enum body body;
	int id;
	_Atomic int ready;
	_Atomic uint32_t stop;
	_Atomic unsigned long loops;
	/* MASKED: handshake with the sender. */
	_Atomic int masked;
	_Atomic int release;
};

static void wait_for(_Atomic int *flag, const char *what)
{
	uint64_t end = thpsim__now_ns() + 20 * SEC;

	while (!atomic_load(flag)) {
		if (thpsim__now_ns() > end)
			FAIL("timed out waiting for %s", what);
		usleep(100);
	}
}

static void run_body(struct target *t)
{
	unsigned long flags;

	switch (t->body) {
	case BUSY:
		while (!atomic_load(&t->stop))
			thpsim__now_ns();
		break;
	case IDLE:
		thpsim_cpu_idle_enter();
		while (!atomic_load(&t->stop))
			sched_wait(&t->stop, 0, 0);
		thpsim_cpu_idle_exit();
		break;
	case WALKER:
		while (!atomic_load(&t->stop)) {
			local_irq_save(flags);
			thpsim__now_ns();	/* a signal may land here: pends */
			local_irq_restore(flags);
			thpsim__now_ns();	/* or here: runs at once */
			atomic_fetch_add_explicit(&t->loops, 1,
						  memory_order_relaxed);
		}
		break;
	case MASKED:
		local_irq_save(flags);
		atomic_store(&t->masked, 1);
		while (!atomic_load(&t->release))
			usleep(1000);
		local_irq_restore(flags);
		while (!atomic_load(&t->stop))
			usleep(1000);
		break;
	}
}

static void *target_main(void *p)
{
	struct target *t = p;

	if (thpsim_cpu_register(t->m, &t->id))
		FAIL("register: %s", thpsim_errmsg());
	atomic_store(&t->ready, 1);
	run_body(t);
	CHECK_OK(thpsim_cpu_unregister());
	return NULL;
}

static void start(struct target *t, thpsim_machine_t *m, enum body body)
{
	memset(t, 0, sizeof(*t));
	t->m = m;
	t->body = body;
	if (pthread_create(&t->th, NULL, target_main, t))
		FAIL("pthread_create");
	wait_for(&t->ready, "target registration");
}

static void stop(struct target *t)
{
	atomic_store(&t->stop, 1);
	sched_wake(&t->stop, INT32_MAX);
	pthread_join(t->th, NULL);
}

static thpsim_machine_t *machine(thpsim_ipi_backend_t backend)
{
	thpsim_machine_config_t cfg;
	thpsim_machine_t *m;

	thpsim_machine_config_init(&cfg);
	cfg.nr_cpus = MAX_CPUS;
	cfg.nr_frames = 64;
	cfg.sync_backend = backend;
	cfg.watchdog_ns = 30 * SEC;	/* TSan is slow; never a false fire */
	CHECK_OK(thpsim_machine_create(&cfg, &m));
	CHECK_OK(thpsim_cpu_register(m, NULL));
	return m;
}

static void machine_done(thpsim_machine_t *m)
{
	CHECK_OK(thpsim_cpu_unregister());
	thpsim_machine_destroy(m);
}

/* Plain data, ordered only by the IPI protocol. */
static long ran[MAX_CPUS];
struct msg {
	long seq;
	long seen;
};

static void bump(void *info)
{
	(void)info;
	ran[thpsim_cpu_id()]++;
}

static _Atomic int fn_runs;

static void async_fn(void *info)
{
	struct msg *msg = info;

	msg->seen = msg->seq;
}

static void count(void *info)
{
	(void)info;
	atomic_fetch_add(&fn_runs, 1);
}

static uint64_t deferred(thpsim_machine_t *m)
{
	thpsim_machine_stats_t s;

	thpsim_machine_stats(m, &s);
	return s.ipi_deferred;
}

static _Atomic int sender_done;
static _Atomic int sender_err;

struct sender_arg {
	thpsim_machine_t *m;
	int cpu;
};

static void *sender_main(void *p)
{
	struct sender_arg *a = p;

	if (thpsim_cpu_register(a->m, NULL))
		FAIL("register: %s", thpsim_errmsg());
	atomic_store(&sender_err,
		     thpsim_smp_call_function_single(a->m, a->cpu, count, NULL, true));
	atomic_store(&sender_done, 1);
	CHECK_OK(thpsim_cpu_unregister());
	return NULL;
}

/* 1: a call to a masked CPU runs only at its unmask. */
static void phase_masked_delay(void)
{
	thpsim_machine_t *m = machine(THPSIM_IPI_SIGNAL);
	struct sender_arg a = { .m = m };
	struct target t;
	pthread_t sender;
	uint64_t end;

	start(&t, m, MASKED);
	wait_for(&t.masked, "mask");
	a.cpu = t.id;
	pthread_create(&sender, NULL, sender_main, &a);
	end = thpsim__now_ns() + 20 * SEC;
	while (deferred(m) < 1 && thpsim__now_ns() < end)
		usleep(1000);
	CHECK_EQ(deferred(m) >= 1, 1);
	usleep(100000);
	CHECK_EQ(atomic_load(&fn_runs), 0);
	CHECK_EQ(atomic_load(&sender_done), 0);
	atomic_store(&t.release, 1);
	pthread_join(sender, NULL);
	CHECK_OK(atomic_load(&sender_err));
	CHECK_EQ(atomic_load(&fn_runs), 1);
	stop(&t);
	machine_done(m);
}

/* 2: broadcast to busy, idle and walking CPUs; plain data both ways. */
static void phase_broadcast(void)
{
	thpsim_machine_t *m = machine(THPSIM_IPI_SIGNAL);
	static struct msg msgs[MAX_CPUS];
	struct target t[3];
	thpsim_cpumask_t one;
	int rounds = 300;

	start(&t[0], m, BUSY);
	start(&t[1], m, IDLE);
	start(&t[2], m, WALKER);
	memset(ran, 0, sizeof(ran));
	for (int r = 1; r <= rounds; r++) {
		CHECK_OK(thpsim_smp_call_function(m, bump, NULL, true));
		for (int i = 0; i < 3; i++) {
			CHECK_EQ(ran[t[i].id], r);
			/* Single calls carry data in and out. */
			msgs[i].seq = r;
			thpsim_cpumask_clear(&one);
			thpsim_cpumask_set(&one, (unsigned)t[i].id);
			CHECK_OK(thpsim_smp_call_function_many(m, &one, async_fn,
							       &msgs[i], true));
			CHECK_EQ(msgs[i].seen, r);
		}
	}
	/* No-wait calls: run eventually, each on its own message. */
	static struct msg async[200];
	for (int k = 0; k < 200; k++) {
		async[k].seq = k + 1;
		CHECK_OK(thpsim_smp_call_function_single(m, t[k % 3].id, async_fn,
							 &async[k], false));
	}
	/* Unregistering drains what is still queued; join orders it. */
	for (int i = 0; i < 3; i++)
		stop(&t[i]);
	for (int k = 0; k < 200; k++)
		CHECK_EQ(async[k].seen, k + 1);
	machine_done(m);
}

/* 3: many rounds against a walker that masks and unmasks non-stop. */
static void phase_stress(void)
{
	thpsim_machine_t *m = machine(THPSIM_IPI_SIGNAL);
	struct target w[2];
	thpsim_cpumask_t mask;
	int rounds = 3000;

	start(&w[0], m, WALKER);
	start(&w[1], m, WALKER);
	thpsim_cpu_online_mask(m, &mask);
	memset(ran, 0, sizeof(ran));
	for (int r = 1; r <= rounds; r++) {
		CHECK_OK(thpsim_smp_call_function_many(m, &mask, bump, NULL, true));
		CHECK_EQ(ran[w[0].id], r);
		CHECK_EQ(ran[w[1].id], r);
		if (r % 10 == 0)
			CHECK_OK(thpsim_ipi_sync(m, &mask));
	}
	if (deferred(m) == 0)
		fprintf(stderr, "tsan_ipi: note: no IPI landed in a masked section\n");
	stop(&w[0]);
	stop(&w[1]);
	machine_done(m);
}

/* 4: the membarrier sync against looping and masked walkers. */
static void phase_membarrier(void)
{
	thpsim_machine_t *m = machine(THPSIM_IPI_MEMBARRIER);
	struct target w, t;
	thpsim_cpumask_t mask;

	start(&w, m, WALKER);
	start(&t, m, MASKED);
	wait_for(&t.masked, "mask");
	thpsim_cpu_online_mask(m, &mask);
	thpsim_cpumask_unset(&mask, (unsigned)t.id);
	for (int r = 0; r < 1000; r++)
		CHECK_OK(thpsim_ipi_sync(m, &mask));
	thpsim_cpumask_set(&mask, (unsigned)t.id);
	atomic_store(&t.release, 1);
	CHECK_OK(thpsim_ipi_sync(m, &mask));
	stop(&w);
	stop(&t);
	machine_done(m);
}

int main(void)
{
	phase_masked_delay();
	phase_broadcast();
	phase_stress();
	phase_membarrier();
	printf("tsan_ipi: all phases passed\n");
	return 0;
}
