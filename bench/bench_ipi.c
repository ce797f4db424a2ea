/*
 * bench_ipi.c - B2, the pseudo-IPI round trip against its floors, versus
 * the number of target CPUs (spinning with interrupts unmasked): 1 is
 * cores - 1 on the 2-core machine, 2 and 3 are oversubscribed.
 *
 *   floor/kill/targets:1          raw pthread_kill + handler ack (the
 *                                 shared floor in lib/machine/floor.c)
 *   floor/membarrier/targets:N    raw membarrier(PRIVATE_EXPEDITED)
 *   ipi/signal/targets:N          thpsim_ipi_sync, signal backend
 *   ipi/membarrier/targets:N      thpsim_ipi_sync, membarrier backend
 *
 * liburcu's signal-flavour barrier, the peer, is in bench_urcu.c.  Each
 * round trip is timed on its own; p50/p90/p99/max come from the library
 * histogram (counters p50_ns, ...).
 */
#include <linux/membarrier.h>

#include "bench.h"
#include "machine/floor.h"
#include "machine/internal.h"

enum series { S_KILL, S_MEMB_RAW, S_SIGNAL, S_MEMB };

static void bm_ipi(gbench_state_t *st, void *arg)
{
	enum series s = (enum series)(uintptr_t)arg;
	int n = (int)gbench_state_arg(st, 0);
	struct sigaction old_sa;
	struct bench_crew c;
	thpsim_cpumask_t mask;
	thpsim_hist_t *h = thpsim_hist_create();
	int raw_sig = thpsim__raw_ipi_signal(bench_machine), err = 0;

	if (!h) {
		gbench_error(st, "out of memory");
		return;
	}
	if ((s == S_MEMB_RAW || s == S_MEMB) && thpsim__membarrier_setup()) {
		thpsim_hist_destroy(h);
		gbench_error(st, "membarrier unavailable");
		return;
	}
	if (!bench_cpu_enter(st)) {
		thpsim_hist_destroy(h);
		return;
	}
	if (s == S_KILL)
		thpsim__raw_ipi_install(raw_sig, &old_sa);
	if (!bench_crew_start(st, &c, n, bench_crew_spin, NULL, true))
		goto out;
	bench_crew_mask(&c, &mask);
	while (gbench_keep_running_batch(st, 1)) {
		uint64_t t0 = bench_now_ns();

		switch (s) {
		case S_KILL:
			thpsim__raw_ipi_round(c.thread[0], raw_sig);
			break;
		case S_MEMB_RAW:
			err = (int)thpsim__membarrier(
				MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0);
			break;
		case S_SIGNAL:
			err = thpsim_smp_call_function_many(bench_machine,
							    &mask, NULL, NULL,
							    true);
			break;
		case S_MEMB:
			err = thpsim__ipi_sync_membarrier(bench_machine, &mask);
			break;
		}
		thpsim_hist_record(h, bench_now_ns() - t0);
		if (err) {
			gbench_error(st, "IPI failed");
			break;
		}
	}
	bench_crew_stop(&c);
	bench_hist_counters(st, NULL, h);
	gbench_counter(st, "targets", n, GBENCH_DEFAULT);
out:
	if (s == S_KILL)
		thpsim__raw_ipi_restore(raw_sig, &old_sa);
	thpsim_cpu_unregister();
	thpsim_hist_destroy(h);
}

static void reg(const char *name, enum series s, int lo, int hi)
{
	gbench_t *b = gbench_register(name, bm_ipi, (void *)(uintptr_t)s);

	gbench_arg_name(b, "targets");
	gbench_dense_range(b, lo, hi);
	gbench_real_time(b);
	gbench_unit(b, GBENCH_US);
}

void bench_register_ipi(void)
{
	reg("floor/kill", S_KILL, 1, 1);
	reg("floor/membarrier", S_MEMB_RAW, 1, 3);
	reg("ipi/signal", S_SIGNAL, 1, 3);
	reg("ipi/membarrier", S_MEMB, 1, 3);
}
