/*
 * scale_calibrate.c - a cost table measured on this host
 * (thpsim_cost_table_calibrate): the pseudo-IPI round trip of the
 * self-check (thpsim_ipi_selftest, signal backend, p50), memcpy, an
 * atomic, a mutex.  What the host cannot show (a fault, a TLB flush, a
 * grace period's detection) stays as in the built-in `measured` table.
 * Timing only: the result differs from run to run and host to host; keep
 * it as a file (thpsim scale --calibrate FILE) to reuse it.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "thpsim/machine.h"
#include "thpsim/scale.h"
#include "machine/errors.h"
#include "machine/sched.h"

/* ns per iteration of fn over n iterations, the best of 5 runs. */
#define BEST_OF_5(n, body)                                                   \
	({                                                                   \
		double best = 1e30;                                          \
		for (int rep = 0; rep < 5; rep++) {                          \
			uint64_t t0 = thpsim__now_ns();                      \
			for (uint64_t it = 0; it < (n); it++) {              \
				body;                                        \
			}                                                    \
			double per = (double)(thpsim__now_ns() - t0) /       \
				     (double)(n);                            \
			if (per < best)                                      \
				best = per;                                  \
		}                                                            \
		best;                                                        \
	})

int thpsim_cost_table_calibrate(thpsim_cost_table_t *out)
{
	thpsim_machine_config_t mc;
	thpsim_machine_t *m = NULL;
	thpsim_ipi_selftest_t st;
	pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	static _Atomic uint64_t counter;
	const size_t len = 2u << 20;
	char *a, *b;
	double rt, kib;
	int err;

	if (!out)
		return thpsim__err(-THPSIM_EINVAL, "calibrate: out is NULL");
	thpsim_cost_table_builtin("measured", out);
	snprintf(out->name, sizeof(out->name), "calibrated");
	thpsim_machine_config_init(&mc);
	mc.nr_cpus = 4;
	err = thpsim_machine_create(&mc, &m);
	if (!err)
		err = thpsim_ipi_selftest(m, 2000, &st);
	if (m)
		thpsim_machine_destroy(m);
	if (err)
		return err;
	/* The round trip, split as the built-in table splits it. */
	rt = (double)st.sync_signal.p50_ns;
	out->ns[THPSIM_COST_ipi_send] = rt * 0.05;
	out->ns[THPSIM_COST_ipi_delivery] = rt * 0.77;
	out->ns[THPSIM_COST_ipi_handler] = rt * 0.09;
	out->ns[THPSIM_COST_ipi_ack] = rt * 0.09;
	a = malloc(len);
	b = malloc(len);
	if (!a || !b) {
		free(a);
		free(b);
		return thpsim__err(-THPSIM_ENOMEM, "calibrate: out of memory");
	}
	memset(a, 1, len);
	memset(b, 2, len);
	kib = BEST_OF_5(16, memcpy((it & 1) ? a : b, (it & 1) ? b : a, len);
			__asm__ __volatile__("" ::: "memory")) / (double)(len >> 10);
	out->ns[THPSIM_COST_copy_per_kib] = kib;
	free(a);
	free(b);
	out->ns[THPSIM_COST_refcount_atomic] =
		BEST_OF_5(1000000, atomic_fetch_add(&counter, 1));
	out->ns[THPSIM_COST_lock] = out->ns[THPSIM_COST_unlock] =
		BEST_OF_5(1000000, pthread_mutex_lock(&mu);
			  pthread_mutex_unlock(&mu)) / 2;
	return 0;
}
