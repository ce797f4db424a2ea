/*
 * bench_urcu.c - B2's peer: liburcu's signal flavour
 * urcu_signal_synchronize_rcu() with N registered reader threads spinning
 * outside any read-side section (benchmark only: liburcu 0.13 still ships
 * the flavour, upstream removed it in 0.15).  It sleeps 1 ms per retry,
 * which is what the pseudo-IPI's futex wait avoids.
 */
#include <urcu/urcu-signal.h>

#include "bench.h"

static void reader(struct bench_crew *c, int idx)
{
	(void)idx;
	urcu_signal_register_thread();
	while (!bench_crew_stopping(c)) {
		urcu_signal_read_lock();
		urcu_signal_read_unlock();
		bench_relax();
	}
	urcu_signal_unregister_thread();
}

static void bm_urcu(gbench_state_t *st, void *arg)
{
	int n = (int)gbench_state_arg(st, 0);
	thpsim_hist_t *h = thpsim_hist_create();
	struct bench_crew c;

	(void)arg;
	if (!h) {
		gbench_error(st, "out of memory");
		return;
	}
	if (!bench_crew_start(st, &c, n, reader, NULL, false)) {
		thpsim_hist_destroy(h);
		return;
	}
	while (gbench_keep_running_batch(st, 1)) {
		uint64_t t0 = bench_now_ns();

		urcu_signal_synchronize_rcu();
		thpsim_hist_record(h, bench_now_ns() - t0);
	}
	bench_crew_stop(&c);
	bench_hist_counters(st, NULL, h);
	gbench_counter(st, "targets", n, GBENCH_DEFAULT);
	thpsim_hist_destroy(h);
}

void bench_register_urcu(void)
{
	gbench_t *b = gbench_register("peer/urcu-signal", bm_urcu, NULL);

	gbench_arg_name(b, "targets");
	gbench_dense_range(b, 1, 3);
	gbench_real_time(b);
	gbench_unit(b, GBENCH_US);
}
