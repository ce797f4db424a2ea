/*
 * selftest.c - IPI round trips measured beside their floors.
 *
 * "Every number comes with its floor" (docs/DESIGN.md section 1): the raw floor
 * (floor.c, shared with the benchmarks) is a pthread_kill of a second
 * real-time signal whose handler only bumps an ack word, the sender
 * waiting for it exactly as a thpsim sender waits, so the difference to
 * the thpsim series is the cost of the machinery (csd handshake, queue,
 * soft mask).
 * The membarrier floor is the bare system call.
 *
 * One target CPU thread spins with interrupts unmasked; the calling thread
 * sends.  Timing only: correctness lives in tests/machine/.
 */
#include <linux/membarrier.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "machine/errors.h"
#include "machine/floor.h"
#include "machine/internal.h"
#include "machine/sched.h"

struct target {
	thpsim_machine_t *m;
	pthread_t thread;
	_Atomic int cpu;	/* -1 until registered */
	_Atomic int err;
	_Atomic bool stop;
};

static void *target_main(void *arg)
{
	struct target *t = arg;
	int id, err;

	err = thpsim_cpu_register(t->m, &id);
	if (err) {
		atomic_store(&t->err, err);
		return NULL;
	}
	atomic_store(&t->cpu, id);
	while (!atomic_load_explicit(&t->stop, memory_order_relaxed))
		cpu_relax();
	thpsim_cpu_unregister();
	return NULL;
}

static int target_start(struct target *t, thpsim_machine_t *m)
{
	*t = (struct target){ .m = m, .cpu = -1 };
	if (pthread_create(&t->thread, NULL, target_main, t))
		return thpsim__err(-THPSIM_ENOMEM, "selftest: cannot start the target thread");
	while (atomic_load(&t->cpu) < 0 && !atomic_load(&t->err))
		sched_yield();
	if (atomic_load(&t->err)) {
		pthread_join(t->thread, NULL);
		return thpsim__err(atomic_load(&t->err),
				   "selftest: the target thread could not register: %s",
				   thpsim_strerror(atomic_load(&t->err)));
	}
	return 0;
}

static void target_stop(struct target *t)
{
	atomic_store(&t->stop, true);
	pthread_join(t->thread, NULL);
}

/* ---- series ---------------------------------------------------------- */

enum series {
	S_RAW_SIGNAL,
	S_CALL_SINGLE,
	S_SYNC_SIGNAL,
	S_RAW_MEMB,
	S_SYNC_MEMB,
};

struct bench {
	thpsim_machine_t *m;
	struct target *t;
	thpsim_cpumask_t mask;
	int cpu;
	int raw_sig;
};

static void empty_fn(void *info)
{
	(void)info;
}

static int one_round(struct bench *b, enum series s)
{
	switch (s) {
	case S_RAW_SIGNAL:
		thpsim__raw_ipi_round(b->t->thread, b->raw_sig);
		return 0;
	case S_CALL_SINGLE:
		return thpsim_smp_call_function_single(b->m, b->cpu, empty_fn,
						       NULL, true);
	case S_SYNC_SIGNAL:
		return thpsim_smp_call_function_many(b->m, &b->mask, NULL,
						     NULL, true);
	case S_RAW_MEMB:
		if (thpsim__membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0))
			return -THPSIM_ENOSYS;
		return 0;
	case S_SYNC_MEMB:
		return thpsim__ipi_sync_membarrier(b->m, &b->mask);
	}
	return -THPSIM_EINTERNAL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int measure(struct bench *b, enum series s, unsigned rounds,
		   uint64_t *samples, thpsim_latency_t *out)
{
	unsigned warm = rounds / 10 < 10 ? 10 : rounds / 10;
	uint64_t t0;
	int err;

	for (unsigned i = 0; i < warm; i++) {
		err = one_round(b, s);
		if (err)
			return err;
	}
	for (unsigned i = 0; i < rounds; i++) {
		t0 = thpsim__now_ns();
		err = one_round(b, s);
		samples[i] = thpsim__now_ns() - t0;
		if (err)
			return err;
	}
	qsort(samples, rounds, sizeof(*samples), cmp_u64);
	out->p50_ns = samples[rounds / 2];
	out->p99_ns = samples[(size_t)rounds * 99 / 100];
	out->max_ns = samples[rounds - 1];
	return 0;
}

static int run_series(struct bench *b, unsigned rounds,
		      thpsim_ipi_selftest_t *out)
{
	uint64_t *samples = malloc(rounds * sizeof(*samples));
	int err;

	if (!samples)
		return thpsim__err(-THPSIM_ENOMEM, "selftest: %u samples", rounds);
	err = measure(b, S_RAW_SIGNAL, rounds, samples, &out->raw_signal);
	if (!err)
		err = measure(b, S_CALL_SINGLE, rounds, samples,
			      &out->call_single);
	if (!err)
		err = measure(b, S_SYNC_SIGNAL, rounds, samples,
			      &out->sync_signal);
	out->membarrier_ok = !err && thpsim__membarrier_setup() == 0;
	if (out->membarrier_ok) {
		err = measure(b, S_RAW_MEMB, rounds, samples,
			      &out->raw_membarrier);
		if (!err)
			err = measure(b, S_SYNC_MEMB, rounds, samples,
				      &out->sync_membarrier);
	}
	free(samples);
	return err;
}

int thpsim_ipi_selftest(thpsim_machine_t *m, unsigned rounds,
			thpsim_ipi_selftest_t *out)
{
	struct bench b = { .m = m };
	struct sigaction old_sa;
	struct target t;
	bool registered = false;
	int err;

	if (!m || !out || rounds == 0)
		return thpsim__err(-THPSIM_EINVAL,
				   "selftest: need a machine, an output and rounds >= 1 (rounds %u)",
				   rounds);
	*out = (thpsim_ipi_selftest_t){ .rounds = rounds };
	if (this_cpu() && this_cpu()->machine != m)
		return thpsim__err(-THPSIM_EINVAL,
				   "selftest: caller is CPU %d of another machine",
				   this_cpu()->id);
	if (!this_cpu()) {
		err = thpsim_cpu_register(m, NULL);
		if (err)
			return err;
		registered = true;
	}
	err = target_start(&t, m);
	if (err)
		goto out_unregister;
	b.t = &t;
	b.cpu = atomic_load(&t.cpu);
	b.raw_sig = thpsim__raw_ipi_signal(m);
	thpsim_cpumask_clear(&b.mask);
	thpsim_cpumask_set(&b.mask, (unsigned)atomic_load(&t.cpu));
	thpsim__raw_ipi_install(b.raw_sig, &old_sa);
	err = run_series(&b, rounds, out);
	thpsim__raw_ipi_restore(b.raw_sig, &old_sa);
	target_stop(&t);
out_unregister:
	if (registered)
		thpsim_cpu_unregister();
	return err;
}
